"""Raw mail written byte for byte: header values, parameters and parts exactly as given.

The ``email`` package repairs what it writes (it folds, quotes and encodes);
hostile mail must keep its CR/LF in encoded words, its NUL in a filename,
its missing boundary. These helpers write the bytes themselves.
"""
from __future__ import annotations

import base64
import urllib.parse
from datetime import datetime
from email.utils import format_datetime

from devtools.samples.mailbox import CENTRE_ADDRESS


def word(text: str) -> str:
    """``text`` as one RFC 2047 UTF-8 B-word (whatever it holds: CR, LF, NUL)."""
    return f"=?UTF-8?B?{base64.b64encode(text.encode('utf-8')).decode()}?="


def _base64_lines(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"\r\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76))


def text_part(text: str, subtype: str = "plain", charset: str = "utf-8", codec: str | None = None) -> bytes:
    """A text part labelled ``charset`` and encoded with ``codec`` (the label's own codec unless given)."""
    return (f"Content-Type: text/{subtype}; charset=\"{charset}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            .encode() + _base64_lines(text.encode(codec or charset)))


def file_part(data: bytes, *, content_type: str, disposition: str) -> bytes:
    return (f"Content-Type: {content_type}\r\nContent-Disposition: {disposition}\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode("utf-8", "surrogateescape") + _base64_lines(data)


def attachment(filename: str, data: bytes, content_type: str = "application/octet-stream") -> bytes:
    """An attachment named the way Outlook names one (RFC 2231, UTF-8)."""
    quoted = urllib.parse.quote(filename, safe="")
    return file_part(data, content_type=f'{content_type}; name="{word(filename)}"',
                     disposition=f"attachment; filename*=UTF-8''{quoted}")


def raw_mail(*, sender: str, subject: str, parts: list[bytes], date: datetime, message_id: str | None,
             headers: list[tuple[str, str]] = (), to: str = CENTRE_ADDRESS, boundary: str = "hostile-boundary",
             content_type: str | None = None) -> bytes:
    """A multipart/mixed mail; header values are written exactly as given."""
    lines = [("From", sender), ("To", to), ("Subject", subject), ("Date", format_datetime(date))]
    lines += [("Message-ID", message_id)] if message_id else []
    lines += [("MIME-Version", "1.0"), *headers,
              ("Content-Type", content_type or f'multipart/mixed; boundary="{boundary}"')]
    head = b"".join(f"{name}: {value}\r\n".encode("utf-8", "surrogateescape") for name, value in lines)
    body = b"".join(b"--%s\r\n%s\r\n" % (boundary.encode(), part) for part in parts)
    return head + b"\r\n" + body + b"--%s--\r\n" % boundary.encode()
