"""Reading one raw email into a ParsedMail, whatever the sender's client did.

The stdlib ``email`` package (``policy.default``) does the MIME parsing; this
module walks the result, decodes what the stdlib gets wrong for Chinese mail
(see ``charsets`` and ``filenames``), unpacks zips and forwarded messages,
and turns every problem into a human-readable defect instead of an exception.

The bytes are parsed by ``mime_bytes.parse_bytes`` (bounded, never raising).
"""
from __future__ import annotations

import binascii
import email.utils
import quopri
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message

from intake.mail.charsets import (decode_bytes, decode_header_value_checked, html_to_text,
                             mailbox_from_header, message_ids, single_line as _single_line)
from intake.mail.archives import expand_zip
from intake.mail.filenames import filename_from_headers, header_params, sanitise_filename
from intake.mail.mime_bytes import parse_bytes
from intake.mail.parsed import MailAttachment, ParsedMail

__all__ = ["MailAttachment", "ParsedMail", "parse_mail"]


# Multipart nesting inside one message; real clients stay under 6.
MAX_MULTIPART_NESTING = 20
# Bytes of attachments (zip members included) one mail may decode to. A few
# bytes of hostile mail can decode to gigabytes (zips, forwarded copies); a
# real application is a form and some scans, far under this.
MAX_DECODED_BYTES = 80 * 1024 * 1024
_ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_UNOPENED_ARCHIVES = (".rar", ".7z")
_FORWARD_SEPARATOR = "---------- Forwarded message ----------"


@dataclass
class _Walk:  # state shared by the whole walk, forwarded messages included
    max_parts: int
    max_depth: int
    defects: list[str]
    attachments: list[MailAttachment] = field(default_factory=list)
    parts_seen: int = 0
    stopped: bool = False
    # Bytes the remaining attachments may still decode to.
    decoded_budget: int = field(default_factory=lambda: MAX_DECODED_BYTES)

    def spend(self, filename: str, size: int) -> bool:
        """Count an attachment's decoded bytes; False (with a defect) when over the mail's budget."""
        if size > self.decoded_budget:
            self.defects.append(f"{filename}: this mail's attachments decode to more than "
                                f"{MAX_DECODED_BYTES // (1024 * 1024)} MB; not kept (possible decompression bomb)")
            return False
        self.decoded_budget -= size
        return True


# ---------------------------------------------------------------- headers

def _raw_header(part: Message, name: str) -> str | None:
    """The raw value of a header (first occurrence), bytes still escaped."""
    name = name.lower()
    return next((str(value) for key, value in part.raw_items()
                 if str(key).strip().lower() == name), None)


def _decoded_header(part: Message, name: str, defects: list[str] | None = None) -> str:
    raw = _raw_header(part, name)
    if raw is None:
        return ""
    text, repaired = decode_header_value_checked(raw)
    if defects is not None and repaired:
        defects.append(f"{name}: charset missing or wrong; decoded by guessing")
    return _single_line(text)


def _date(part: Message, defects: list[str]) -> datetime | None:
    raw = _raw_header(part, "Date")
    if raw is None:
        return None
    try:
        return email.utils.parsedate_to_datetime(_single_line(raw))
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("Date: not a valid date")
        return None


def _return_path(part: Message) -> str | None:
    raw = _raw_header(part, "Return-Path")
    if raw is None:
        return None
    value = re.sub(r"\s+", "", raw)
    inside = re.search(r"<([^<>]*)>", value)
    return inside.group(1) if inside else value


# ---------------------------------------------------------------- parts

def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return "application/octet-stream"


def _disposition(part: Message) -> str:
    raw = _raw_header(part, "Content-Disposition") or ""
    return raw.split(";", 1)[0].strip().lower()


def _payload_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, str):
        return payload.encode("utf-8", errors="surrogateescape")
    return payload or b""


def _part_text(part: Message, walk: _Walk) -> str:
    params = dict(header_params(_raw_header(part, "Content-Type")))
    charset = params.get("charset")
    if isinstance(charset, tuple):
        charset = charset[2]
    text, repaired = decode_bytes(_payload_bytes(part), charset)
    if repaired:
        walk.defects.append(f"text part labelled {charset or 'with no charset'} "
                            "did not decode cleanly; decoded by guessing")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _note_defects(part: Message, content_type: str, walk: _Walk) -> None:
    for defect in getattr(part, "defects", []) or []:
        summary = (type(defect).__doc__ or "").strip().splitlines()[0:1]
        walk.defects.append(f"{content_type} part: {type(defect).__name__}"
                            + (f" ({summary[0]})" if summary else ""))


def _recovered_multipart(part: Message, walk: _Walk) -> Message | None:
    """Re-parse a multipart whose boundary is missing, using the first ``--x`` line."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return None
    found = re.search(r"^--([^\s]{1,70}?)(?:--)?[ \t]*\r?$", payload, re.M)
    if found is None:
        return None
    body = payload.encode("utf-8", errors="surrogateescape")
    header = f'Content-Type: multipart/mixed; boundary="{found.group(1)}"\r\n\r\n'
    walk.defects.append(f"multipart boundary missing or wrong; guessed \"{found.group(1)}\"")
    return parse_bytes(header.encode("utf-8", "surrogateescape") + body,
                        walk.max_parts, walk.defects)


def _inner_message(part: Message, walk: _Walk) -> Message | None:
    """The message inside a message/rfc822 part, undoing a transfer encoding."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    encoding = (_raw_header(part, "Content-Transfer-Encoding") or "").strip().lower()
    if encoding in ("base64", "quoted-printable"):
        # RFC 2046 forbids it but Outlook does it; the stdlib then parsed
        # the encoded text as if it were headers.
        text = inner.get_payload() if inner is not None and not inner.keys() else None
        if isinstance(text, str):
            data = text.encode("ascii", errors="ignore")
            try:
                decoded = binascii.a2b_base64(data) if encoding == "base64" \
                    else quopri.decodestring(data)
            except (binascii.Error, ValueError):
                decoded = b""
            return parse_bytes(decoded, walk.max_parts, walk.defects)
    return inner


def _add_attachment(part: Message, content_type: str, origin: str,
                    container: str | None, depth: int, walk: _Walk) -> str:
    """Store one leaf part as an attachment; returns body text of a forwarded .eml."""
    name, repaired = filename_from_headers(_raw_header(part, "Content-Disposition"),
                                           _raw_header(part, "Content-Type"))
    filename = sanitise_filename(name, content_type=content_type,
                                 index=len(walk.attachments) + 1)
    if repaired:
        walk.defects.append(f"attachment name {filename!r}: charset missing or wrong; "
                            "decoded by guessing")
    data = _payload_bytes(part)
    lowered = filename.lower()
    if lowered.endswith(".eml"):
        forwarded = parse_bytes(data, walk.max_parts, walk.defects)
        if forwarded.keys():
            return _read_forwarded(forwarded, depth, walk)
    # What a file is comes from its bytes: a PDF declared application/zip (a
    # polyglot) stays a PDF, never unpacked into what its tail hides.
    if data.startswith(_ZIP_MAGIC) and (lowered.endswith(".zip") or content_type in _ZIP_TYPES):
        members, problems = expand_zip(filename, data, max_total=walk.decoded_budget)
        walk.defects.extend(problems)
        if members:
            walk.decoded_budget -= sum(len(member.data) for member in members)
            walk.attachments.extend(members)
            return ""
    elif lowered.endswith(_UNOPENED_ARCHIVES):
        walk.defects.append(f"{filename}: archive format not unpacked; kept as is")
    if walk.spend(filename, len(data)):
        walk.attachments.append(MailAttachment(filename=filename, content_type=content_type,
                                               data=data, origin=origin, container=container))
    return ""


def _read_forwarded(inner: Message, depth: int, walk: _Walk) -> str:
    """Collect a forwarded message's attachments; return its body under a separator."""
    if depth + 1 > walk.max_depth:
        walk.defects.append(f"forwarded messages nested more than {walk.max_depth} deep; "
                            "the inner ones were not read")
        return ""
    subject = _decoded_header(inner, "Subject")
    body = _read_message(inner, depth + 1, subject or "(no subject)", walk)
    lines = [_FORWARD_SEPARATOR]
    for name in ("From", "Date", "Subject"):
        value = _decoded_header(inner, name)
        if value:
            lines.append(f"{name}: {value}")
    return "\n".join(lines) + "\n\n" + body


def _read_message(message: Message, depth: int, container: str | None, walk: _Walk) -> str:
    """Walk one message's MIME tree (iteratively); return its body text."""
    plain: list[str] = []
    html: list[str] = []
    forwarded: list[str] = []
    # (part, multipart nesting, html is only an alternative to plain text, recovered)
    stack: list[tuple[Message, int, bool, bool]] = [(message, 0, False, False)]
    while stack and not walk.stopped:
        part, nesting, html_is_alternative, recovered = stack.pop()
        walk.parts_seen += 1
        if walk.parts_seen > walk.max_parts:
            walk.defects.append(f"more than {walk.max_parts} MIME parts; stopped reading")
            walk.stopped = True
            break
        content_type = _content_type(part)
        if content_type in ("message/rfc822", "message/global"):
            inner = _inner_message(part, walk)
            if inner is not None:
                forwarded.append(_read_forwarded(inner, depth, walk))
        elif content_type.startswith("message/") or content_type == "text/rfc822-headers":
            pass  # delivery-report pieces: the report's content type says enough
        elif part.is_multipart():
            if nesting >= MAX_MULTIPART_NESTING:
                walk.defects.append(f"multipart nested more than {MAX_MULTIPART_NESTING} deep; "
                                    "inner parts not read")
            else:
                children = [c for c in part.get_payload() if isinstance(c, Message)]
                has_plain = content_type == "multipart/alternative" and any(
                    _content_type(c) == "text/plain" for c in children)
                for child in reversed(children):
                    stack.append((child, nesting + 1, html_is_alternative or has_plain, False))
        elif content_type.startswith("multipart/"):
            repaired = None if recovered else _recovered_multipart(part, walk)
            if repaired is not None:
                stack.append((repaired, nesting, html_is_alternative, True))
            else:
                plain.append(_part_text(part, walk))
        else:
            disposition = _disposition(part)
            named = filename_from_headers(_raw_header(part, "Content-Disposition"),
                                          _raw_header(part, "Content-Type"))[0] is not None
            if content_type in ("text/plain", "text/html") and not named \
                    and disposition != "attachment":
                if content_type == "text/plain":
                    plain.append(_part_text(part, walk))
                elif not html_is_alternative:
                    html.append(html_to_text(_part_text(part, walk)))
            else:
                if container is not None:
                    origin = "forwarded"
                elif disposition == "inline" or (not disposition and
                                                 _raw_header(part, "Content-ID")):
                    origin = "inline"
                else:
                    origin = "attachment"
                text = _add_attachment(part, content_type, origin, container, depth, walk)
                if text:
                    forwarded.append(text)
        _note_defects(part, content_type, walk)
    body = "\n".join(t.strip("\n") for t in (plain or html) if t.strip())
    return "\n\n".join(t for t in [body, *forwarded] if t)


# ---------------------------------------------------------------- entry point

def parse_mail(raw: bytes, *, max_parts: int = 200, max_depth: int = 5) -> ParsedMail:
    """Parse raw RFC 5322 bytes. Never raises: problems end up in ``defects``.

    ``max_parts`` caps MIME parts over the whole message, forwarded ones
    included; ``max_depth`` caps how deep forwarded messages (message/rfc822
    inside message/rfc822 ...) are read.  Multipart nesting inside one message
    is capped separately at MAX_MULTIPART_NESTING.
    """
    defects: list[str] = []
    try:
        return _parse_mail(bytes(raw), max_parts, max_depth, defects)
    except Exception as error:  # last line of defence; the contract is "no exceptions"
        defects.append(f"message could not be read ({type(error).__name__}: {error})")
        return ParsedMail(message_id=None, subject="", from_name="", from_address=None,
                          reply_to_address=None, date=None, in_reply_to=None,
                          references=[], body_text="", attachments=[], headers=[],
                          return_path=None, content_type="text/plain", defects=defects)


def _parse_mail(raw: bytes, max_parts: int, max_depth: int, defects: list[str]) -> ParsedMail:
    message = parse_bytes(raw, max_parts, defects)
    walk = _Walk(max_parts=max_parts, max_depth=max_depth, defects=defects)
    subject = _decoded_header(message, "Subject", defects)
    from_name, from_address = mailbox_from_header(_raw_header(message, "From"))
    if _raw_header(message, "From") is not None and from_address is None:
        defects.append("From: no single usable address")
    _, reply_to = mailbox_from_header(_raw_header(message, "Reply-To"))
    headers = [(_single_line(str(name)), _single_line(decode_header_value_checked(value)[0]))
               for name, value in message.raw_items()]
    own_ids = message_ids(_raw_header(message, "Message-ID"))
    in_reply_to = message_ids(_raw_header(message, "In-Reply-To"))
    body = _read_message(message, 0, None, walk)
    return ParsedMail(
        message_id=own_ids[0] if own_ids else None,
        subject=subject, from_name=from_name, from_address=from_address,
        reply_to_address=reply_to, date=_date(message, defects),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=message_ids(_raw_header(message, "References")),
        body_text=body, attachments=walk.attachments, headers=headers,
        return_path=_return_path(message), content_type=_content_type(message),
        defects=list(dict.fromkeys(defects)))  # one line per distinct problem
