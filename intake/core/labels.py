"""The Chinese names staff see for stored statuses, reasons and form fields.

One table for every place staff look (the review app, exports, ``intake
status``, the demo), so a status is never 待审核 on one screen and
``pending_review`` or 审核中 on another. The stored values stay the English
keys in ``statuses``; only what is shown comes from here.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum

from intake.core.statuses import ApplicationStatus, AttachmentStatus, MessageStatus, OutboxStatus, ReplyKind
from parsers.schema import load_schema

# In the enum's order: screens list them in this order (the queue's status tabs, the dashboard).
APPLICATION_STATUS_LABELS: Mapping[ApplicationStatus, str] = {
    ApplicationStatus.INCOMPLETE: "待补充",
    ApplicationStatus.PENDING_REVIEW: "待审核",
    ApplicationStatus.APPROVED: "已通过",
    ApplicationStatus.REJECTED: "未通过",
}

MESSAGE_STATUS_LABELS: Mapping[MessageStatus, str] = {
    MessageStatus.STORED: "已收取待处理",
    MessageStatus.PROCESSED: "已处理",
    MessageStatus.IGNORED: "已忽略",
    MessageStatus.FAILED: "处理失败",
    MessageStatus.TOO_LARGE: "邮件过大未收取",
}

ATTACHMENT_STATUS_LABELS: Mapping[AttachmentStatus, str] = {
    AttachmentStatus.PARSED: "已识别",
    AttachmentStatus.PARTIAL: "部分识别",
    AttachmentStatus.NOT_A_FORM: "不是报名表",
    AttachmentStatus.UNREADABLE: "无法读取",
}

OUTBOX_STATUS_LABELS: Mapping[OutboxStatus, str] = {
    OutboxStatus.PENDING: "待发送",
    OutboxStatus.SENDING: "发送中",
    OutboxStatus.SENT: "已发送",
    OutboxStatus.FAILED: "发送失败",
}

REPLY_KIND_LABELS: Mapping[ReplyKind, str] = {
    ReplyKind.ACKNOWLEDGEMENT: "确认回执",
    ReplyKind.INCOMPLETE: "补充提醒",
    ReplyKind.LATE: "逾期通知",
    ReplyKind.UPDATE: "更新回执",
    ReplyKind.POSSIBLE_DUPLICATE: "待核对回执",
    ReplyKind.SEVERAL: "多份报名回执",
    ReplyKind.INQUIRY: "报名咨询答复",
    ReplyKind.REMINDER: "截止提醒",
    ReplyKind.REQUEST_INFO: "需补充材料",
    ReplyKind.APPROVED: "通过通知",
    ReplyKind.REJECTED: "未通过通知",
}

# Attachment.reason: the ``reason`` keys of parsers.errors, the sandbox's
# "crashed", and the two the worker sets itself (intake/worker/reading.py).
ATTACHMENT_REASON_LABELS: Mapping[str, str] = {
    "corrupt": "文件损坏",
    "encrypted": "设有密码",
    "too_large": "文件过大",
    "unsupported": "格式不支持",
    "isolation_unavailable": "无法隔离，未转换",
    "timeout": "解析超时",
    "not_a_document": "不是文档",
    "no_form_fields": "未找到报名表字段",
    "crashed": "解析进程异常",
    "failed": "解析失败",  # ParseError's own reason, for an error no subclass names
}

_TABLES: Mapping[type[Enum], Mapping] = {
    ApplicationStatus: APPLICATION_STATUS_LABELS,
    MessageStatus: MESSAGE_STATUS_LABELS,
    AttachmentStatus: ATTACHMENT_STATUS_LABELS,
    OutboxStatus: OUTBOX_STATUS_LABELS,
    ReplyKind: REPLY_KIND_LABELS,
}


def status_label(value: Enum) -> str:
    """The Chinese name of any stored status or reply kind.

    Dispatches on the enum's type because the bare values overlap
    ("failed" is both a message and an outbox status, "approved" both an
    application status and a reply kind) and mean different things.
    """
    return _TABLES[type(value)][value]


def reason_label(reason: str | None) -> str:
    """The Chinese name of an attachment's reason; an unknown key is shown as it is
    rather than hidden, so a reason added later still tells staff something."""
    if not reason:
        return ""
    return ATTACHMENT_REASON_LABELS.get(reason, reason)


def field_label(key: str) -> str:
    """The form's own label for a field key (姓名 for ``name``).

    A key the schema no longer has (a field renamed after applications were
    stored) is shown as the key, so old rows still display instead of failing.
    """
    schema = load_schema()
    try:
        return schema.label_for(key)
    except KeyError:
        return key


def field_labels(keys: Iterable[str]) -> list[str]:
    return [field_label(key) for key in keys]
