"""Sample emails shaped like what real mail clients send to the centre.

Each builder returns raw RFC 5322 bytes with CRLF line endings, built with the
``email`` package (compat32 ``Message`` objects write headers exactly as given)
and mimicking each client's quirks on purpose: RFC 2047 words inside quoted
parameters (QQ Mail, 126/163 Coremail, Foxmail, Outlook's ``name=``), gb2312
labels on GBK bytes (Foxmail), raw 8-bit GBK headers, RFC 2231 names (Outlook,
iPhone), inline photos (iPhone).  Same arguments, same bytes.
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
import quopri
import re
import urllib.parse
import zipfile
from datetime import datetime, timedelta, timezone
from email import encoders, policy
from email.generator import BytesGenerator
from email.message import Message
from email.utils import format_datetime
from typing import Sequence

from intake.mail.filenames import content_type_for

__all__ = ["qq_mail", "netease_mail", "outlook_mail", "foxmail_mail", "phone_mail",
           "raw8bit_mail", "forwarded_mail", "html_only_mail", "zip_mail", "auto_reply",
           "bounce", "bulk_mail", "gbk_zip", "DEMO_MAILBOX", "SAMPLE_DATE"]

DEMO_MAILBOX = "intake@example.com"
SAMPLE_DATE = datetime(2025, 3, 10, 9, 30, tzinfo=timezone(timedelta(hours=8)))
Attachments = Sequence[tuple[str, bytes]]
# compat32 writes header strings as given (folding long ones at spaces) and
# passes surrogate-escaped 8-bit header bytes through untouched.
_WIRE = policy.compat32.clone(linesep="\r\n")


def _token(*parts: object) -> str:
    """Deterministic hex token for boundaries and Message-IDs."""
    return hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest().upper()


def _words(text: str, label: str, *, codec: str | None = None, max_bytes: int = 45) -> str:
    """``text`` as RFC 2047 B-words; long text split into several words, as clients do."""
    if text.isascii():
        return text
    codec = codec or label
    chunks, current = [], ""
    for char in text:
        if current and len((current + char).encode(codec)) > max_bytes:
            chunks.append(current)
            current = ""
        current += char
    chunks.append(current)
    return " ".join(f"=?{label}?B?{base64.b64encode(c.encode(codec)).decode()}?="
                    for c in chunks)


def _mailbox(name: str, address: str, label: str, quoted: bool) -> str:
    if not name:
        return address
    encoded = _words(name, label, codec="gb18030" if "gb" in label.lower() else None)
    return f'"{encoded}" <{address}>' if quoted else f"{encoded} <{address}>"


def _leaf(content_type: str, data: bytes, *, encoding: str = "base64",
          extra: Sequence[tuple[str, str]] = ()) -> Message:
    """One body part; headers in the order given (no MIME-Version on subparts)."""
    part = Message()
    part["Content-Type"] = content_type
    if encoding == "base64":
        part.set_payload(data)
        encoders.encode_base64(part)
    elif encoding == "quoted-printable":
        part.set_payload(quopri.encodestring(data).decode("ascii"))
        part["Content-Transfer-Encoding"] = "quoted-printable"
    else:  # 7bit/8bit: bytes as they are, surrogate-escaped so the generator keeps them
        part.set_payload(data.decode("ascii", errors="surrogateescape"))
        part["Content-Transfer-Encoding"] = encoding
    for name, value in extra:
        part[name] = value
    return part


def _multipart(subtype: str, boundary: str, parts: list[Message],
               headers: Sequence[tuple[str, str]] = (), params: str = "") -> Message:
    """A multipart; top-level ones get their envelope headers first, as clients write them."""
    container = Message()
    for name, value in headers:
        container[name] = value
    container["Content-Type"] = f'multipart/{subtype};{params}\r\n\tboundary="{boundary}"'
    for part in parts:
        container.attach(part)
    return container


def _wire(message: Message) -> bytes:
    out = io.BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=_WIRE).flatten(message)
    return out.getvalue()


def _envelope(sender: str, to: str, subject: str, date: datetime,
              message_id: str) -> list[tuple[str, str]]:
    return [("From", sender), ("To", to), ("Subject", subject),
            ("Date", format_datetime(date)), ("Message-ID", message_id)]


def _alternative(body: str, label: str, codec: str, boundary: str,
                 encoding: str = "base64") -> Message:
    markup = "<div>" + "<br>".join(html.escape(line) for line in body.split("\n")) + "</div>"
    return _multipart("alternative", boundary, [
        _leaf(f'text/plain; charset="{label}"', body.encode(codec), encoding=encoding),
        _leaf(f'text/html; charset="{label}"', markup.encode(codec), encoding=encoding)])


def _encoded_attachments(attachments: Attachments, label: str, codec: str | None = None,
                         generic_type: bool = False) -> list[Message]:
    """Attachments named with RFC 2047 words inside quoted name= and filename=."""
    parts = []
    for filename, data in attachments:
        word = _words(filename, label, codec=codec)
        kind = "application/octet-stream" if generic_type else content_type_for(filename)
        parts.append(_leaf(f'{kind}; name="{word}"', data,
                           extra=[("Content-Disposition", f'attachment; filename="{word}"')]))
    return parts


def _chinese_webmail(*, client: str, label: str, quoted_from: bool, generic_type: bool,
                     extra_headers: list[tuple[str, str]], sender_name: str,
                     sender_address: str, subject: str, body: str, attachments: Attachments,
                     to_address: str, date: datetime | None, message_id: str | None) -> bytes:
    """QQ, Coremail and Foxmail share one shape: RFC 2047 words in quoted params.
    The public builders pass their own arguments through as ``**locals()``."""
    date = date or SAMPLE_DATE
    token = _token(client, sender_address, subject, date)
    codec = "gb18030" if "gb" in label.lower() else label
    parts = [_alternative(body, label, codec, f"----=_NextPart_{token[:8]}_alt"),
             *_encoded_attachments(attachments, label, codec, generic_type)]
    domain = sender_address.rpartition("@")[2] or "example.com"
    message = _multipart("mixed", f"----=_NextPart_{token[:8]}_{token[8:16]}", parts, [
        *_envelope(_mailbox(sender_name, sender_address, label, quoted_from), f"<{to_address}>",
                   _words(subject, label, codec=codec), date,
                   message_id or f"<{token[:24].lower()}@{domain}>"),
        ("MIME-Version", "1.0"), *extra_headers])
    message.preamble = "This is a multi-part message in MIME format."
    return _wire(message)


def qq_mail(*, sender_name: str, sender_address: str, subject: str, body: str,
            attachments: Attachments = (), to_address: str = DEMO_MAILBOX,
            date: datetime | None = None, message_id: str | None = None) -> bytes:
    """QQ Mail webmail: gb18030 everywhere, quoted encoded-word display name,
    every attachment typed application/octet-stream."""
    return _chinese_webmail(
        client="qq", label="gb18030", quoted_from=True, generic_type=True, **locals(),
        extra_headers=[("X-Priority", "3"), ("X-QQ-MIME", "TCMime 1.0 by Tencent"),
                       ("X-Mailer", "QQMail 2.x"), ("X-QQ-Mailer", "QQMail 2.x")])


def netease_mail(*, sender_name: str, sender_address: str, subject: str, body: str,
                 attachments: Attachments = (), to_address: str = DEMO_MAILBOX,
                 date: datetime | None = None, message_id: str | None = None,
                 charset: str = "GBK") -> bytes:
    """126/163 Coremail webmail. ``charset`` is the label written ("GBK",
    "gb2312" - still carrying GBK bytes - or "UTF-8")."""
    arguments = {k: v for k, v in locals().items() if k != "charset"}
    return _chinese_webmail(
        client="coremail", label=charset, quoted_from=False, generic_type=False, **arguments,
        extra_headers=[("X-Priority", "3"), ("X-Coremail-Locale", "zh_CN"),
                       ("X-Mailer", "Coremail Webmail Server Version XT5.0.14")])


def foxmail_mail(*, sender_name: str, sender_address: str, subject: str, body: str,
                 attachments: Attachments = (), to_address: str = DEMO_MAILBOX,
                 date: datetime | None = None, message_id: str | None = None) -> bytes:
    """Foxmail (Windows): labels everything gb2312 but writes GBK bytes, so a
    name such as 张喆 (喆 is outside GB2312) breaks strict decoders."""
    return _chinese_webmail(
        client="foxmail", label="gb2312", quoted_from=True, generic_type=False, **locals(),
        extra_headers=[("X-Priority", "3"), ("X-Has-Attach", "yes" if attachments else "no"),
                       ("X-Mailer", "Foxmail 7.2.25.228[cn]")])


def _rfc2231(filename: str) -> str:
    """``filename*=utf-8''...``, split into ``filename*0*=`` continuations when long."""
    quoted = urllib.parse.quote(filename, safe="")
    if len(quoted) <= 60:
        return f"filename*=utf-8''{quoted}"
    # Up to 20 characters or %XX escapes per piece: an escape is never split.
    pieces = re.findall(r"(?:%[0-9A-F]{2}|[^%]){1,20}", quoted)
    return ";\r\n\t".join(f"filename*{i}*={'utf-8' + chr(39) * 2 if i == 0 else ''}{p}"
                          for i, p in enumerate(pieces))


def outlook_mail(*, sender_name: str, sender_address: str, subject: str, body: str,
                 attachments: Attachments = (), to_address: str = DEMO_MAILBOX,
                 date: datetime | None = None, message_id: str | None = None) -> bytes:
    """Outlook/Exchange: RFC 2231 filename*= on Content-Disposition, an RFC 2047
    name= on Content-Type, UTF-8 quoted-printable bodies."""
    date = date or SAMPLE_DATE
    token = _token("outlook", sender_address, subject, date)
    parts = [_alternative(body, "utf-8", "utf-8", f"_000_{token[:30]}_",
                          encoding="quoted-printable")]
    for filename, data in attachments:
        parts.append(_leaf(f'{content_type_for(filename)}; name="{_words(filename, "utf-8")}"',
                           data, extra=[("Content-Description", _words(filename, "utf-8")),
                                        ("Content-Disposition",
                                         f"attachment; {_rfc2231(filename)}")]))
    return _wire(_multipart("mixed", f"_004_{token[:30]}_", parts, [
        *_envelope(_mailbox(sender_name, sender_address, "utf-8", False),
                   f'"{to_address}" <{to_address}>', _words(subject, "utf-8"), date,
                   message_id or f"<{token[:32]}@prod.outlook.com>"),
        ("Thread-Topic", _words(subject, "utf-8")), ("Accept-Language", "zh-CN, en-US"),
        ("Content-Language", "zh-CN"), ("X-MS-Has-Attach", "yes" if attachments else ""),
        ("X-MS-TNEF-Correlator", ""), ("MIME-Version", "1.0")]))


def phone_mail(*, sender_name: str, sender_address: str, subject: str, body: str,
               attachments: Attachments = (), to_address: str = DEMO_MAILBOX,
               date: datetime | None = None, message_id: str | None = None) -> bytes:
    """iPhone Mail: quoted-printable UTF-8 text, photos inline with Content-ID,
    other files as RFC 2231 attachments, and the "发自我的iPhone" signature part."""
    date = date or SAMPLE_DATE
    token = _token("iphone", sender_address, subject, date)
    parts = [_leaf("text/plain;\r\n\tcharset=utf-8", body.encode("utf-8"),
                   encoding="quoted-printable")]
    for number, (filename, data) in enumerate(attachments):
        kind = content_type_for(filename)
        if kind.startswith("image/"):
            cid = f"<{_token(token, number)[:8]}-{token[8:12]}@icloud.com>"
            name = filename if filename.isascii() else _words(filename, "utf-8")
            parts.append(_leaf(f'{kind};\r\n\tname="{name}"', data, extra=[
                ("Content-Disposition", f'inline;\r\n\tfilename="{name}"'),
                ("Content-Id", cid)]))
        else:
            parts.append(_leaf(f"{kind};\r\n\tname*=utf-8''{urllib.parse.quote(filename)}",
                               data, extra=[("Content-Disposition",
                                             f"attachment; {_rfc2231(filename)}")]))
    parts.append(_leaf("text/plain;\r\n\tcharset=utf-8", "\n\n发自我的iPhone".encode("utf-8"),
                       encoding="quoted-printable"))
    boundary = f"Apple-Mail-{token[:8]}-{token[8:12]}-{token[12:16]}"
    return _wire(_multipart("mixed", boundary, parts, [
        ("From", _mailbox(sender_name, sender_address, "utf-8", False)),
        ("Mime-Version", "1.0 (1.0)"), ("Date", format_datetime(date)),
        ("Subject", _words(subject, "utf-8")),
        ("Message-Id", message_id or f"<{token[:8]}-{token[8:12]}-{token[12:24]}@icloud.com>"),
        ("To", to_address), ("X-Mailer", "iPhone Mail (21E236)")]))


def raw8bit_mail(*, sender_name: str, sender_address: str, subject: str, body: str,
                 attachments: Attachments = (), to_address: str = DEMO_MAILBOX,
                 date: datetime | None = None, message_id: str | None = None) -> bytes:
    """Raw 8-bit GBK in Subject, From and filename parameters, no encoding at all, as
    some Android vendor mail apps and old desktop clients send (RFC 6532 allows
    raw UTF-8 only; nothing allows GBK)."""
    def gbk(text: str) -> str:  # surrogate-escaped so the generator writes raw bytes
        return text.encode("gb18030").decode("ascii", errors="surrogateescape")
    date = date or SAMPLE_DATE
    token = _token("raw8bit", sender_address, subject, date)
    parts = [_leaf('text/plain; charset="gb2312"', body.encode("gb18030"), encoding="8bit")]
    for filename, data in attachments:
        parts.append(_leaf(f'{content_type_for(filename)}; name="{gbk(filename)}"', data,
                           extra=[("Content-Disposition", f'attachment; filename="{gbk(filename)}"')]))
    return _wire(_multipart("mixed", f"=_{token[:20]}", parts, [
        *_envelope(f'"{gbk(sender_name)}" <{sender_address}>' if sender_name else sender_address,
                   to_address, gbk(subject), date,
                   message_id or f"<{token[:20].lower()}@localhost>"),
        ("MIME-Version", "1.0")]))


def forwarded_mail(original_raw: bytes, *, sender_name: str, sender_address: str,
                   subject: str, body: str, attachments: Attachments = (),
                   to_address: str = DEMO_MAILBOX, date: datetime | None = None,
                   message_id: str | None = None) -> bytes:
    """A mail forwarded "as attachment" (QQ/Coremail/Thunderbird): the original
    travels byte for byte inside a message/rfc822 part."""
    date = date or SAMPLE_DATE
    token = _token("forward", sender_address, subject, date, len(original_raw))
    parts = [_leaf('text/plain; charset="UTF-8"', body.encode("utf-8")),
             *_encoded_attachments(attachments, "UTF-8")]
    forwarded = Message()
    forwarded["Content-Type"] = "message/rfc822"
    forwarded["Content-Disposition"] = "attachment"
    # A str payload is written verbatim; surrogates carry any 8-bit bytes.
    forwarded.set_payload(original_raw.decode("ascii", errors="surrogateescape"))
    parts.append(forwarded)
    return _wire(_multipart("mixed", f"----=_Part_{token[:12]}", parts, [
        *_envelope(_mailbox(sender_name, sender_address, "UTF-8", False), to_address,
                   _words(subject, "UTF-8"), date,
                   message_id or f"<{token[:16].lower()}@example.com>"),
        ("MIME-Version", "1.0")]))


def html_only_mail(*, sender_name: str, sender_address: str, subject: str, body: str,
                   attachments: Attachments = (), to_address: str = DEMO_MAILBOX,
                   date: datetime | None = None, message_id: str | None = None) -> bytes:
    """HTML only (some web and phone clients), with a style, a script and a remote image
    never to be fetched; ``body`` is used as markup when it has tags, else as text lines."""
    date = date or SAMPLE_DATE
    token = _token("html", sender_address, subject, date)
    lines = body if re.search(r"<[A-Za-z][^>]*>", body) else \
        "<br>".join(html.escape(line) for line in body.split("\n"))
    markup = ("<html><head><title>x</title><style>div{color:red}</style></head><body>"
              "<script>alert('x')</script><img src=\"https://tracker.invalid/p.gif\">"
              f"<div>{lines}</div></body></html>")
    parts = [_leaf('text/html; charset="utf-8"', markup.encode("utf-8")),
             *_encoded_attachments(attachments, "utf-8")]
    return _wire(_multipart("mixed", f"b1_{token[:24]}", parts, [
        *_envelope(_mailbox(sender_name, sender_address, "utf-8", True), to_address,
                   _words(subject, "utf-8"), date,
                   message_id or f"<{token[:24].lower()}@example.com>"),
        ("MIME-Version", "1.0")]))


class _GbkZipInfo(zipfile.ZipInfo):
    """A member whose name is written as GBK bytes without the UTF-8 flag, as
    the Windows Explorer zip, WinRAR and 360zip do on Chinese Windows."""

    def _encodeFilenameFlags(self):  # zipfile's hook for name bytes and flags
        return self.filename.encode("gb18030"), self.flag_bits & ~0x800


def gbk_zip(files: Attachments) -> bytes:
    """A zip whose member names are GBK bytes (no UTF-8 flag)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for filename, data in files:
            info = _GbkZipInfo(filename, date_time=(2025, 3, 10, 9, 30, 0))
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def zip_mail(*, sender_name: str, sender_address: str, subject: str, body: str,
             attachments: Attachments = (), to_address: str = DEMO_MAILBOX,
             date: datetime | None = None, message_id: str | None = None,
             zip_name: str = "申请材料.zip") -> bytes:
    """126 webmail mail carrying one zip (made on Chinese Windows) of the attachments."""
    arguments = {k: v for k, v in locals().items() if k != "zip_name"}
    return netease_mail(**{**arguments, "attachments": [(zip_name, gbk_zip(attachments))]})


def auto_reply(*, sender_name: str, sender_address: str, subject: str,
               body: str = "您好，我正在休假，将于返回后尽快回复您的邮件。",
               attachments: Attachments = (), to_address: str = DEMO_MAILBOX,
               date: datetime | None = None, message_id: str | None = None,
               in_reply_to: str | None = None) -> bytes:
    """A Chinese out-of-office reply ("自动回复: <original subject>") with
    Auto-Submitted: auto-replied, as Coremail and Exchange send them."""
    arguments = {k: v for k, v in locals().items() if k != "in_reply_to"}
    raw = netease_mail(**{**arguments, "subject": f"自动回复: {subject}"})
    extra = "Auto-Submitted: auto-replied\r\n"
    if in_reply_to:
        extra += f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n"
    return extra.encode("ascii") + raw


def bounce(*, recipient: str, original_subject: str, reporting_host: str = "mx.126.com",
           to_address: str = DEMO_MAILBOX, date: datetime | None = None,
           message_id: str | None = None, sender_address: str = "MAILER-DAEMON@126.com",
           sender_name: str = "系统退信", subject: str = "系统退信",
           body: str = "抱歉，您的邮件无法送达。", attachments: Attachments = ()) -> bytes:
    """A delivery status notification (multipart/report) from MAILER-DAEMON with
    a null Return-Path, as sent when our acknowledgement can't be delivered."""
    date = date or SAMPLE_DATE
    token = _token("bounce", recipient, original_subject, date)
    per_message, per_recipient = Message(), Message()
    per_message["Reporting-MTA"] = f"dns; {reporting_host}"
    for name, value in [("Final-Recipient", f"rfc822; {recipient}"), ("Action", "failed"),
                        ("Status", "5.1.1"), ("Diagnostic-Code", "smtp; 550 User not found")]:
        per_recipient[name] = value
    status = Message()
    status["Content-Type"] = "message/delivery-status"
    status.set_payload([per_message, per_recipient])
    headers_copy = (f"From: {to_address}\r\nTo: {recipient}\r\n"
                    f"Subject: {_words(original_subject, 'UTF-8')}\r\n")
    parts = [_leaf('text/plain; charset="UTF-8"', body.encode("utf-8")), status,
             _leaf("text/rfc822-headers", headers_copy.encode("ascii"), encoding="7bit"),
             *_encoded_attachments(attachments, "UTF-8")]
    return _wire(_multipart("report", f"----=_Bounce_{token[:16]}", parts, [
        ("Return-Path", "<>"),
        *_envelope(_mailbox(sender_name, sender_address, "UTF-8", False), to_address,
                   _words(subject, "UTF-8"), date,
                   message_id or f"<{token[:16].lower()}@{reporting_host}>"),
        ("Auto-Submitted", "auto-replied"), ("MIME-Version", "1.0")],
        params=" report-type=delivery-status;"))


def bulk_mail(*, sender_name: str, sender_address: str, subject: str, body: str,
              attachments: Attachments = (), to_address: str = DEMO_MAILBOX,
              date: datetime | None = None, message_id: str | None = None) -> bytes:
    """A newsletter from a mass mailer: Precedence: bulk and List-Unsubscribe."""
    raw = netease_mail(**locals(), charset="UTF-8")
    domain = sender_address.rpartition("@")[2] or "example.com"
    extra = (f"Precedence: bulk\r\nList-Unsubscribe: <mailto:unsubscribe@{domain}>,"
             f"\r\n <https://{domain}/unsubscribe>\r\n")
    return extra.encode("ascii") + raw
