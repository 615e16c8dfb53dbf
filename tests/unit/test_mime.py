"""parse_mail on hand-written raw mail: encodings, hostile input and limits."""
import base64
import io
import time
import zipfile

import pytest
from hypothesis import given, settings, strategies as st

from intake.mail.mime import MailAttachment, ParsedMail, parse_mail

GBK_NAME = "张喆申请表.docx"


def b64(text: str, codec: str) -> str:
    return base64.b64encode(text.encode(codec)).decode()


def mail_with_part(part_headers: str, payload: bytes = b"UEsDBA==",
                   top: str = "From: a@example.com\r\nSubject: s\r\n") -> bytes:
    """A multipart/mixed mail whose second part has the given raw headers."""
    return (top.encode("utf-8", "surrogateescape")
            + b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="BB"\r\n\r\n'
            b"--BB\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody\r\n"
            b"--BB\r\n" + part_headers.encode("utf-8", "surrogateescape")
            + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + payload + b"\r\n--BB--\r\n")


def only_attachment(raw: bytes) -> MailAttachment:
    mail = parse_mail(raw)
    assert len(mail.attachments) == 1, mail
    return mail.attachments[0]


# ---------------------------------------------------------------- filenames

@pytest.mark.parametrize("headers, expected", [
    ("Content-Type: application/pdf\r\nContent-Disposition: attachment; "
     "filename*=UTF-8''%E5%BC%A0%E5%96%86.pdf", "张喆.pdf"),
    ("Content-Type: application/pdf\r\nContent-Disposition: attachment; "
     "filename*=gbk''%D5%C5%86%B4.pdf", "张喆.pdf"),
    ("Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
     " filename*0*=UTF-8''%E5%BC%A0;\r\n filename*1*=%E5%96%86.pdf", "张喆.pdf"),
    ("Content-Type: application/msword\r\nContent-Disposition: attachment; "
     f'filename="=?GBK?B?{b64(GBK_NAME, "gbk")}?="', GBK_NAME),
    ("Content-Type: application/msword\r\nContent-Disposition: attachment; "
     f'filename="=?gb2312?B?{b64(GBK_NAME, "gbk")}?="', GBK_NAME),
    ("Content-Type: application/msword\r\nContent-Disposition: attachment; filename=\""
     f'=?GBK?B?{b64("张喆", "gbk")}?=\r\n =?GBK?B?{b64("申请表.docx", "gbk")}?="', GBK_NAME),
    ("Content-Type: application/msword\r\nContent-Disposition: attachment; filename=\""
     + GBK_NAME.encode("gbk").decode("ascii", "surrogateescape") + '"', GBK_NAME),
    ("Content-Type: application/msword\r\nContent-Disposition: attachment; filename=\""
     + GBK_NAME.encode("utf-8").decode("ascii", "surrogateescape") + '"', GBK_NAME),
    (f'Content-Type: application/msword; name="=?UTF-8?B?{b64(GBK_NAME, "utf-8")}?="\r\n'
     "Content-Disposition: attachment", GBK_NAME),
    ("Content-Type: application/msword; name=\"=?gb18030?B?" + b64(GBK_NAME, "gb18030")
     + '?="', GBK_NAME),
])
def test_attachment_filename_encodings(headers, expected):
    assert only_attachment(mail_with_part(headers)).filename == expected


def test_rfc2231_wins_over_plain_filename():
    headers = ("Content-Type: application/pdf\r\nContent-Disposition: attachment; "
               "filename=\"fallback.pdf\"; filename*=UTF-8''%E5%BC%A0.pdf")
    assert only_attachment(mail_with_part(headers)).filename == "张.pdf"


@pytest.mark.parametrize("disposition, expected", [
    ("filename*=UTF-8''..%2F..%2Fetc%2Fcron.d%2Fx.pdf", "x.pdf"),
    (f'filename="=?UTF-8?B?{b64("../../evil.pdf", "utf-8")}?="', "evil.pdf"),
    ('filename="..\\\\..\\\\windows\\\\evil.pdf"', "evil.pdf"),
    ("filename*=UTF-8''a%00b%0D%0Ac.pdf", "abc.pdf"),
    ("filename*=UTF-8''%E2%80%AEfdp.exe", "fdp.exe"),
    ('filename="CON.pdf"', "_CON.pdf"),
    ('filename="lpt1"', "_lpt1"),
    ('filename=".."', "attachment-1.pdf"),
    ('filename=""', "attachment-1.pdf"),
])
def test_hostile_filenames_are_sanitised(disposition, expected):
    headers = f"Content-Type: application/pdf\r\nContent-Disposition: attachment; {disposition}"
    assert only_attachment(mail_with_part(headers)).filename == expected


def test_svg_payload_name_keeps_text_but_is_a_safe_filename():
    name = only_attachment(mail_with_part(
        "Content-Type: application/pdf\r\nContent-Disposition: attachment; "
        "filename*=UTF-8''%22%3E%3Csvg%20onload%3Dalert(1)%3E.pdf")).filename
    assert "svg onload=alert(1)" in name and name.endswith(".pdf")
    assert not set(name) & set('<>"/\\\x00')


def test_very_long_name_truncated_to_255_bytes_keeping_extension():
    long_name = "申" * 1000 + ".docx"
    headers = ("Content-Type: application/msword\r\nContent-Disposition: attachment; "
               f"filename*=UTF-8''{__import__('urllib.parse').parse.quote(long_name)}")
    name = only_attachment(mail_with_part(headers)).filename
    assert len(name.encode("utf-8")) <= 255 and name.endswith(".docx")


def test_nameless_attachment_gets_name_from_content_type():
    assert only_attachment(mail_with_part("Content-Type: image/jpeg")).filename \
        == "attachment-1.jpg"


# ---------------------------------------------------------------- headers

def test_subject_with_encoded_crlf_cannot_inject_headers():
    evil = b64("Hello\r\nBcc: victim@x", "utf-8")
    mail = parse_mail(f"From: a@example.com\r\nSubject: =?UTF-8?B?{evil}?=\r\n\r\nx".encode())
    assert "\r" not in mail.subject and "\n" not in mail.subject
    assert "Bcc: victim@x" in mail.subject
    assert all("\n" not in v and "\r" not in v for _, v in mail.headers)


def test_from_display_name_looking_like_address():
    mail = parse_mail(b'From: "admin@centre" <attacker@x>\r\nSubject: s\r\n\r\nx')
    assert (mail.from_name, mail.from_address) == ("admin@centre", "attacker@x")


@pytest.mark.parametrize("value", ["a@x, b@y", "a@x@y", "<>", ""])
def test_unusable_from_gives_none(value):
    mail = parse_mail(f"From: {value}\r\nSubject: s\r\n\r\nx".encode())
    assert mail.from_address is None


def test_basic_headers():
    raw = (b"Return-Path: <bounce@Example.com>\r\nFrom: =?utf-8?B?5byg5LiJ?= <ZS@Example.COM>\r\n"
           b"Reply-To: other@example.org\r\nMessage-ID:  <id-1@example.com> \r\n"
           b"In-Reply-To: <prev@example.com>\r\nReferences: <r1@x>\r\n <r2@x>\r\n"
           b"Date: Mon, 10 Mar 2025 09:30:00 +0800\r\nSubject: test\r\n\r\nhello\r\n")
    mail = parse_mail(raw)
    assert mail.message_id == "<id-1@example.com>"
    assert (mail.from_name, mail.from_address) == ("张三", "ZS@example.com")
    assert mail.reply_to_address == "other@example.org"
    assert mail.in_reply_to == "<prev@example.com>"
    assert mail.references == ["<r1@x>", "<r2@x>"]
    assert mail.date.isoformat() == "2025-03-10T09:30:00+08:00"
    assert mail.return_path == "bounce@Example.com"
    assert mail.body_text == "hello" and mail.content_type == "text/plain"
    assert ("Subject", "test") in mail.headers


def test_null_return_path_and_missing_one():
    assert parse_mail(b"Return-Path: <>\r\n\r\nx").return_path == ""
    assert parse_mail(b"Subject: x\r\n\r\nx").return_path is None


def test_raw_8bit_gbk_subject_and_from():
    raw = ("Subject: 专家申请 张喆\r\nFrom: 张喆 <z@qq.com>\r\n"
           "Content-Type: text/plain; charset=gb2312\r\n\r\n申请内容\r\n").encode("gbk")
    mail = parse_mail(raw)
    assert (mail.subject, mail.from_name, mail.body_text) == ("专家申请 张喆", "张喆", "申请内容")


def test_bad_date_is_a_defect():
    mail = parse_mail(b"Date: yesterday-ish\r\n\r\nx")
    assert mail.date is None and any("Date" in d for d in mail.defects)


# ---------------------------------------------------------------- structure

def test_html_only_mail_reduced_to_text():
    raw = (b"Content-Type: text/html; charset=utf-8\r\n\r\n"
           b"<p>\xe7\x94\xb3\xe8\xaf\xb7</p><script>x()</script><img src=http://t/p.gif>")
    assert parse_mail(raw).body_text == "申请"


def test_alternative_prefers_plain_text():
    raw = (b'Content-Type: multipart/alternative; boundary="A"\r\n\r\n'
           b"--A\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n"
           b"--A\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<b>html</b>\r\n--A--\r\n")
    assert parse_mail(raw).body_text == "plain"


def test_inline_image_with_content_id_kept_as_inline():
    att = only_attachment(mail_with_part(
        "Content-Type: image/jpeg; name=IMG_0001.JPG\r\nContent-ID: <img1@phone>",
        payload=base64.b64encode(b"\xff\xd8\xff")))
    assert (att.origin, att.filename, att.data) == ("inline", "IMG_0001.JPG", b"\xff\xd8\xff")


def test_forwarded_message_attachments_and_body():
    inner = (f'Subject: =?GBK?B?{b64("原始申请", "gbk")}?=\r\nFrom: z@qq.com\r\n'
             'Content-Type: multipart/mixed; boundary="IN"\r\n\r\n'
             "--IN\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n原始正文\r\n"
             "--IN\r\nContent-Type: application/pdf; name=form.pdf\r\n"
             "Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--IN--\r\n")
    raw = (b'Subject: Fw\r\nContent-Type: multipart/mixed; boundary="OUT"\r\n\r\n'
           b"--OUT\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
           b"--OUT\r\nContent-Type: message/rfc822\r\n\r\n" + inner.encode("utf-8")
           + b"\r\n--OUT--\r\n")
    mail = parse_mail(raw)
    assert [(a.filename, a.origin, a.container, a.data) for a in mail.attachments] == \
        [("form.pdf", "forwarded", "原始申请", b"%PDF")]
    assert mail.body_text.startswith("see below") and "原始正文" in mail.body_text


def test_base64_encoded_message_rfc822_is_decoded():
    inner = b"Subject: inner\r\nContent-Type: application/pdf; name=a.pdf\r\n" \
            b"Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n"
    raw = (b'Content-Type: multipart/mixed; boundary="O"\r\n\r\n--O\r\n'
           b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + base64.encodebytes(inner) + b"--O--\r\n")
    assert [(a.filename, a.container) for a in parse_mail(raw).attachments] == [("a.pdf", "inner")]


def test_attached_eml_file_is_read_as_forwarded():
    inner = b"Subject: old\r\nContent-Type: text/plain\r\n\r\nold body\r\n"
    att_headers = "Content-Type: application/octet-stream; name=old.eml"
    mail = parse_mail(mail_with_part(att_headers, base64.b64encode(inner)))
    assert mail.attachments == [] and "old body" in mail.body_text


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_attachment_is_expanded():
    data = base64.b64encode(_zip({"dir/申请表.docx": b"D", "__MACOSX/._x": b"", "b.pdf": b"P"}))
    mail = parse_mail(mail_with_part("Content-Type: application/zip; name=all.zip", data))
    assert [(a.filename, a.origin, a.container) for a in mail.attachments] == \
        [("申请表.docx", "zip", "all.zip"), ("b.pdf", "zip", "all.zip")]


def test_broken_zip_stays_one_attachment_with_defect():
    data = base64.b64encode(b"PK\x03\x04 not really a zip")
    mail = parse_mail(mail_with_part("Content-Type: application/zip; name=bad.zip", data))
    assert [a.filename for a in mail.attachments] == ["bad.zip"]
    assert any("bad.zip" in d for d in mail.defects)


def test_rar_kept_as_is_with_note():
    mail = parse_mail(mail_with_part("Content-Type: application/x-rar; name=a.rar"))
    assert [a.filename for a in mail.attachments] == ["a.rar"]
    assert any("a.rar" in d for d in mail.defects)


# ---------------------------------------------------------------- broken and hostile

def test_missing_boundary_is_recovered_with_defect():
    raw = (b"Content-Type: multipart/mixed\r\n\r\n--XYZ\r\nContent-Type: text/plain\r\n\r\n"
           b"hello\r\n--XYZ\r\nContent-Type: application/pdf; name=a.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--XYZ--\r\n")
    mail = parse_mail(raw)
    assert mail.body_text == "hello" and [a.filename for a in mail.attachments] == ["a.pdf"]
    assert mail.defects


def test_invalid_base64_gives_best_effort_with_defects():
    mail = parse_mail(mail_with_part("Content-Type: application/pdf; name=a.pdf",
                                     payload=b"JVBE!!Rg=*"))
    assert mail.attachments[0].data  # whatever could be decoded
    assert any("Base64" in d for d in mail.defects)


def test_unterminated_multipart_is_best_effort():
    raw = b'Content-Type: multipart/mixed; boundary="Q"\r\n\r\n--Q\r\n\r\npartial'
    mail = parse_mail(raw)
    assert mail.body_text == "partial" and mail.defects


def test_many_tiny_parts_hit_cap_quickly():
    raw = (b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
           + b"--b\r\n\r\nx\r\n" * 100_000 + b"--b--\r\n")
    started = time.monotonic()
    mail = parse_mail(raw)
    assert time.monotonic() - started < 3
    assert any("200" in d for d in mail.defects)


def test_deeply_nested_messages_do_not_recurse_forever():
    raw = b"".join(b"Subject: level %d\r\nContent-Type: message/rfc822\r\n\r\n" % i
                   for i in range(3000)) + b"Subject: end\r\n\r\nbody\r\n"
    mail = parse_mail(raw)
    assert mail.subject == "level 0" and mail.defects


def test_deeply_nested_multiparts_do_not_recurse_forever():
    raw = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
                   for i in range(3000)) + b"Content-Type: text/plain\r\n\r\nx\r\n"
    assert parse_mail(raw).defects


def test_custom_caps_are_respected():
    raw = mail_with_part("Content-Type: application/pdf; name=a.pdf")
    mail = parse_mail(raw, max_parts=2)
    assert mail.defects and not mail.attachments


@pytest.mark.parametrize("raw", [b"", b"\x00\xff" * 50, b"\r\n\r\n", b"Subject: x",
                                 b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
                                 b"Content-Type: message/rfc822\r\n\r\n",
                                 b"Content-Type: text/plain; charset=\"\x00\"\r\n\r\nx",
                                 b"From: \"\\\r\n\r\n", b":\r\n:\r\n\r\n"])
def test_garbage_never_raises(raw):
    assert isinstance(parse_mail(raw), ParsedMail)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(raw):
    assert isinstance(parse_mail(raw), ParsedMail)


SEED = mail_with_part(f'Content-Type: application/msword; name="=?GBK?B?{b64(GBK_NAME, "gbk")}?="')


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(SEED) - 1), st.binary(max_size=8)), max_size=6))
def test_mutated_mail_never_raises(edits):
    raw = bytearray(SEED)
    for offset, junk in edits:
        raw[offset:offset + len(junk)] = junk
    assert isinstance(parse_mail(bytes(raw)), ParsedMail)


def test_many_parts_with_rfc2231_boundary_are_also_cut():
    raw = (b"Content-Type: multipart/mixed; boundary*=us-ascii''b\r\n\r\n"
           + b"--b\r\n\r\nx\r\n" * 100_000 + b"--b--\r\n")
    started = time.monotonic()
    mail = parse_mail(raw)
    assert time.monotonic() - started < 4 and mail.defects


def test_parts_with_the_same_headers_are_each_read():
    # Two scans sent with identical part headers: each header is read once, both files kept.
    part = (b"--BB\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"scan.jpg\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n")
    raw = (b'From: a@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="BB"\r\n'
           b"\r\n" + part + base64.b64encode(b"first page") + b"\r\n" + part + base64.b64encode(b"second page")
           + b"\r\n--BB--\r\n")
    mail = parse_mail(raw)
    assert [(a.content_type, a.data) for a in mail.attachments] == [
        ("image/jpeg", b"first page"), ("image/jpeg", b"second page")]


def test_mails_with_the_same_headers_are_read_apart():
    # What one mail's headers were read as never carries over to the next mail.
    first = parse_mail(mail_with_part('Content-Type: application/pdf; name="a.pdf"', base64.b64encode(b"%PDF-1")))
    second = parse_mail(mail_with_part('Content-Type: application/pdf; name="a.pdf"', base64.b64encode(b"%PDF-2"),
                                       top="From: b@example.com\r\nSubject: t\r\n"))
    assert [a.data for a in first.attachments] == [b"%PDF-1"]
    assert [a.data for a in second.attachments] == [b"%PDF-2"]
    assert (second.from_address, second.subject) == ("b@example.com", "t")
