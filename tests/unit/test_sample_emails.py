"""Every sample builder round-trips through parse_mail to what it was given."""
import re

import pytest

from intake.mail.autoreply import no_reply_reason
from intake.mail.mime import parse_mail
from devtools.samples import emails

ATTACHMENTS = [
    ("张喆-专家申请表.docx", b"PK\x03\x04docx bytes"),
    ("身份证 正面.jpg", b"\xff\xd8\xff\xe0jpeg"),
    ("附件" + "很长的文件名称" * 8 + ".pdf", b"%PDF-1.4"),
]
ARGS = dict(sender_name="张喆", sender_address="zhangzhe@qq.com",
            subject="申请湛江市中小企业服务中心专家库（张喆）",
            body="您好：\n附件是我的申请表，请查收。\n张喆", attachments=ATTACHMENTS)
PLAIN_BUILDERS = ["qq_mail", "netease_mail", "foxmail_mail", "outlook_mail", "phone_mail",
                  "raw8bit_mail", "html_only_mail"]


@pytest.mark.parametrize("builder", PLAIN_BUILDERS + ["zip_mail"])
def test_round_trip(builder):
    raw = getattr(emails, builder)(**ARGS)
    mail = parse_mail(raw)
    assert (mail.from_name, mail.from_address) == ("张喆", "zhangzhe@qq.com")
    assert mail.subject == ARGS["subject"]
    assert [a.filename for a in mail.attachments] == [name for name, _ in ATTACHMENTS]
    assert [a.data for a in mail.attachments] == [data for _, data in ATTACHMENTS]
    if builder == "phone_mail":
        assert mail.body_text.startswith(ARGS["body"]) and mail.body_text.endswith("发自我的iPhone")
    else:
        assert mail.body_text == ARGS["body"]
    assert mail.defects == []
    assert no_reply_reason(mail) is None


@pytest.mark.parametrize("builder", PLAIN_BUILDERS + ["zip_mail", "auto_reply", "bulk_mail"])
def test_wire_format_is_crlf_and_deterministic(builder):
    kwargs = {k: v for k, v in ARGS.items() if builder != "auto_reply" or k != "attachments"}
    raw = getattr(emails, builder)(**kwargs)
    assert raw == getattr(emails, builder)(**kwargs)
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) < 1000 for line in raw.split(b"\r\n"))


def test_client_quirks_are_really_there():
    foxmail = emails.foxmail_mail(**ARGS)
    assert b"=?gb2312?B?" in foxmail and b'filename="=?gb2312?B?' in foxmail
    assert "张喆".encode("gbk") not in foxmail  # encoded, not raw
    qq = emails.qq_mail(**ARGS)
    assert b"X-QQ-Mailer" in qq and b"=?gb18030?B?" in qq
    assert b"filename*=utf-8''" in emails.outlook_mail(**ARGS) or \
        b"filename*0*=utf-8''" in emails.outlook_mail(**ARGS)
    raw8 = emails.raw8bit_mail(**ARGS)
    assert "张喆-专家申请表.docx".encode("gbk") in raw8
    phone = emails.phone_mail(**ARGS)
    assert b"Content-Id: <" in phone and b"inline" in phone


def test_phone_photo_is_inline():
    mail = parse_mail(emails.phone_mail(**ARGS))
    origins = {a.filename: a.origin for a in mail.attachments}
    assert origins["身份证 正面.jpg"] == "inline" and origins[ATTACHMENTS[0][0]] == "attachment"


def test_netease_gb2312_label_with_gbk_bytes():
    mail = parse_mail(emails.netease_mail(**ARGS, charset="gb2312"))
    assert mail.subject == ARGS["subject"] and mail.from_name == "张喆"
    assert mail.attachments[0].filename == "张喆-专家申请表.docx"


def test_netease_utf8():
    mail = parse_mail(emails.netease_mail(**ARGS, charset="UTF-8"))
    assert mail.body_text == ARGS["body"] and mail.attachments[0].filename == ATTACHMENTS[0][0]


def test_zip_mail_members():
    mail = parse_mail(emails.zip_mail(**ARGS, zip_name="张喆材料.zip"))
    assert {(a.origin, a.container) for a in mail.attachments} == {("zip", "张喆材料.zip")}


def test_forwarded_mail():
    original = emails.foxmail_mail(**ARGS)
    raw = emails.forwarded_mail(original, sender_name="李四", sender_address="lisi@163.com",
                                subject="转发：专家申请", body="请查收转发的申请。")
    mail = parse_mail(raw)
    assert (mail.subject, mail.from_address) == ("转发：专家申请", "lisi@163.com")
    assert mail.body_text.startswith("请查收转发的申请。") and ARGS["body"] in mail.body_text
    assert [(a.filename, a.origin, a.container) for a in mail.attachments] == \
        [(name, "forwarded", ARGS["subject"]) for name, _ in ATTACHMENTS]


def test_date_and_message_id_parameters():
    from datetime import datetime, timezone
    when = datetime(2025, 4, 1, 8, 0, tzinfo=timezone.utc)
    mail = parse_mail(emails.qq_mail(**ARGS, date=when, message_id="<given@qq.com>"))
    assert mail.date == when and mail.message_id == "<given@qq.com>"
    assert re.fullmatch(r"<[^<>@\s]+@[^<>\s]+>", parse_mail(emails.qq_mail(**ARGS)).message_id)


def test_auto_reply_is_not_answered():
    mail = parse_mail(emails.auto_reply(sender_name="王五", sender_address="wangwu@126.com",
                                        subject="已收到您的申请", in_reply_to="<ack@example.com>"))
    assert mail.subject == "自动回复: 已收到您的申请" and mail.in_reply_to == "<ack@example.com>"
    assert no_reply_reason(mail) == "auto-submitted"


def test_bounce_is_not_answered():
    mail = parse_mail(emails.bounce(recipient="gone@qq.com", original_subject="已收到您的申请"))
    assert mail.content_type == "multipart/report" and mail.return_path == ""
    assert mail.from_address == "MAILER-DAEMON@126.com" and mail.attachments == []
    assert no_reply_reason(mail) == "bounce"


def test_bulk_mail_is_not_answered():
    mail = parse_mail(emails.bulk_mail(**ARGS))
    assert mail.subject == ARGS["subject"] and no_reply_reason(mail) == "bulk"


def test_html_only_mail_accepts_markup_body():
    mail = parse_mail(emails.html_only_mail(**{**ARGS, "body": "<p>您好：</p><p>附件为本人报名表。</p>"}))
    assert mail.body_text == "您好：\n\n附件为本人报名表。"
