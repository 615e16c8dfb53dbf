"""What one email is read into: plain data handed from ``mime`` to the worker."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class MailAttachment:
    filename: str          # decoded, sanitised display name
    content_type: str      # as declared, lower-case
    data: bytes
    origin: str            # "attachment", "inline", "zip" or "forwarded"
    container: str | None = None  # zip filename or forwarded message subject


@dataclass
class ParsedMail:
    message_id: str | None
    subject: str
    from_name: str
    from_address: str | None
    reply_to_address: str | None
    date: datetime | None
    in_reply_to: str | None
    references: list[str]
    body_text: str
    attachments: list[MailAttachment]
    headers: list[tuple[str, str]]
    return_path: str | None
    content_type: str
    defects: list[str] = field(default_factory=list)
