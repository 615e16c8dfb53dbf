"""One table of Chinese names for every place staff look: review app, exports, `intake status`, the demo."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from intake.cli.reporting import print_status
from intake.core import labels
from intake.core.labels import field_label, field_labels, reason_label, status_label
from intake.core.db import make_engine, make_session_factory
from intake.core.models import Application, Attachment, Base, Message
from intake.core.statuses import ApplicationStatus, AttachmentStatus, MessageStatus, OutboxStatus, ReplyKind
from parsers import errors
from parsers.sandbox import ChildCrashed
from parsers.schema import load_schema
from review import exports, queue_query
from review.views import dashboard, decisions


@pytest.mark.parametrize("enum", [ApplicationStatus, MessageStatus, AttachmentStatus, OutboxStatus, ReplyKind])
def test_every_status_and_reply_kind_has_a_distinct_chinese_name(enum):
    names = [status_label(member) for member in enum]
    assert len(set(names)) == len(names)
    assert all(name and not name.isascii() for name in names)


def test_the_names_staff_already_know():
    assert [status_label(s) for s in ApplicationStatus] == ["待补充", "待审核", "已通过", "未通过"]
    assert status_label(MessageStatus.FAILED) == "处理失败"
    assert status_label(OutboxStatus.FAILED) == "发送失败"  # same stored value, another table
    assert status_label(ReplyKind.APPROVED) == "通过通知"
    assert status_label(AttachmentStatus.NOT_A_FORM) == "不是报名表"


def test_every_reason_the_parsers_and_worker_store_has_a_name():
    reasons = {cls.reason for cls in (errors.ParseError, errors.CorruptFile, errors.EncryptedFile,
                                      errors.TooLarge, errors.UnsupportedFormat, errors.ParseTimeout, ChildCrashed)}
    reasons |= {"not_a_document", "no_form_fields"}  # set by intake/worker/reading.py
    assert {reason: reason_label(reason) for reason in reasons if reason_label(reason) == reason} == {}
    assert reason_label("encrypted") == "设有密码"
    assert reason_label(None) == ""
    assert reason_label("something_new") == "something_new"  # shown, not hidden


def test_field_labels_come_from_the_form_schema():
    schema = load_schema()
    assert field_label("name") == "姓名"
    assert field_labels(["id_number", "mobile"]) == [schema.label_for("id_number"), schema.label_for("mobile")]
    assert all(not field_label(key).isascii() for key in schema.keys)
    assert field_label("retired_field") == "retired_field"


def test_review_uses_the_core_table():
    table = labels.APPLICATION_STATUS_LABELS
    assert queue_query.STATUS_LABELS is table
    assert exports.STATUS_LABELS is table
    assert dashboard.STATUS_LABELS is table
    assert decisions.STATUS_LABELS is table


def _seed(session) -> None:
    when = datetime(2020, 9, 20, 2, 0, tzinfo=timezone.utc)
    ok = Message(raw_sha256="1" * 64, size=1, body_sha256="0" * 64, received_at=when, status=MessageStatus.PROCESSED)
    broken = Message(raw_sha256="2" * 64, size=1, body_sha256="0" * 64, received_at=when, status=MessageStatus.FAILED,
                     subject="报名", error="ValueError: boom")
    ok.attachments.append(Attachment(filename="表.docx", content_type="application/msword", sha256="3" * 64, size=1,
                                     origin="attachment", kind="docx", status=AttachmentStatus.UNREADABLE,
                                     reason="encrypted", error="文件设有密码"))
    application = Application(campaign="zj-2020", reference="ZJZJ-2020-0001", status=ApplicationStatus.PENDING_REVIEW,
                              message=ok, fields={"name": "张伟"}, received_at=when)
    application.sync_columns()
    session.add_all([ok, broken, application])


def test_intake_status_prints_chinese_names_never_keys_or_dicts(tmp_path, capsys):
    engine = make_engine(f"sqlite:///{tmp_path / 'status.sqlite3'}")
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        _seed(session)
        session.commit()
        print_status(session=session)
    engine.dispose()
    out = capsys.readouterr().out
    assert "报名：待审核 1 份" in out
    assert "邮件：已处理 1 封，处理失败 1 封" in out
    assert "回复：无" in out
    assert "附件：无法读取 1 个" in out
    assert "（设有密码）" in out
    for key in ("pending_review", "processed", "encrypted", "unreadable", "{", "}"):
        assert key not in out
