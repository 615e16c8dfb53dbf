"""What the detail page shows, worked out from stored rows: field states, the email's text,
version diffs, history lines and possible duplicates. No Flask here, so it is easy to test.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any, Iterable


from intake.core.masking import ID_NUMBER_KEYS, PHONE_KEYS, mask_fields, mask_id_number, mask_phone, redact_text
from intake.core.models import Application, ApplicationVersion
from parsers.schema import FieldSpec, FormSchema

BODY_LIMIT = 20_000
MASKED_KEYS = ID_NUMBER_KEYS | PHONE_KEYS
# Labels some mail clients put on GBK bytes; gb18030 is their superset and decodes them all.
_GB_LABELS = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "euc-cn", "cp936"}


@dataclass
class FieldView:
    key: str
    label: str
    kind: str
    value: str            # what the input holds (masked unless revealed)
    state: str            # ok | review | missing | confirmed
    note: str = ""        # why it needs review, or its confidence
    masked: bool = False  # the value shown is masked: the input cannot save it
    box: Any = None       # the parser's source box on the page, when it records one


def value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(item) for item in value)
    return str(value)


def mask_value(key: str, value: Any) -> str:
    text = value_text(value)
    if not text or key not in MASKED_KEYS:
        return text
    return mask_id_number(text) if key in ID_NUMBER_KEYS else mask_phone(text)


def field_views(application: Application, schema: FormSchema, required: Iterable[str],
                revealed: str | None = None) -> list[FieldView]:
    """Every field of the form, in form order, with its state and the reason for it."""
    fields = application.fields or {}
    required = set(required) | set(application.missing_fields or [])
    confirmed = set(application.confirmed_fields or [])
    review = set(application.needs_review or [])
    views = []
    for spec in schema.fields:
        raw = fields.get(spec.key)
        empty = raw in (None, "", [])
        masked = spec.key in MASKED_KEYS and not empty and spec.key != revealed
        view = FieldView(spec.key, spec.label, spec.kind,
                         mask_value(spec.key, raw) if masked else value_text(raw), "ok", masked=masked)
        confidence = (application.confidence or {}).get(spec.key)
        if empty and spec.key in required:
            view.state, view.note = "missing", "必填项未填写"
        elif spec.key in confirmed:
            view.state, view.note = "confirmed", "已人工确认"
        elif spec.key in review:
            view.state, view.note = "review", review_reason(spec, application.warnings or [], confidence)
        elif confidence is not None and confidence < 1.0 and not empty:
            view.note = f"置信度 {confidence:.2f}"
        views.append(view)
    return views


def review_reason(spec: FieldSpec, warnings: list[str], confidence: float | None) -> str:
    """The parser's own words when a warning names the field; else what the numbers say."""
    mentions = [warning for warning in warnings if spec.label in warning]
    if mentions:
        return redact_text("；".join(mentions))
    if confidence is not None and confidence < 1.0:
        return f"OCR 置信度 {confidence:.2f}"
    if spec.kind == "ticks":
        return "勾选位置不明确"
    return "需人工核对"


# ---- the email's text -------------------------------------------------------------------

class _TextOfHtml(HTMLParser):
    """Only the text of an HTML body: it is shown escaped, never rendered."""

    BREAKS = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title") and self.skip:
            self.skip -= 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()


def _decoded(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = (part.get_content_charset() or "utf-8").lower()
    charset = "gb18030" if charset in _GB_LABELS else charset
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown label: utf-8 is the likeliest truth
        return payload.decode("utf-8", errors="replace")


def email_text(raw: bytes, limit: int = BODY_LIMIT) -> str:
    """The message's body as plain text (text/plain preferred, else HTML stripped), capped."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        part = message.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001 - a hostile message must not break the page; say so instead
        return "（邮件正文无法解析，请下载原始邮件查看）"
    if part is None:
        return ""
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    text = text.replace("\r\n", "\n").strip()
    if len(text) > limit:
        text = text[:limit] + "\n……（正文过长，以下省略）"
    return redact_text(text)


# ---- versions, history, duplicates ----------------------------------------------------

@dataclass
class VersionView:
    version: ApplicationVersion
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (label, old, new), masked


def version_views(versions: list[ApplicationVersion], schema: FormSchema) -> list[VersionView]:
    """Each version with what changed since the one before it (the first: nothing to compare)."""
    views: list[VersionView] = []
    previous: dict[str, Any] | None = None
    for version in sorted(versions, key=lambda v: v.version):
        current = mask_fields(version.fields or {})
        view = VersionView(version)
        if previous is not None:
            for spec in schema.fields:
                old, new = value_text(previous.get(spec.key)), value_text(current.get(spec.key))
                if old != new:
                    view.changes.append((spec.label, old, new))
        views.append(view)
        previous = current
    return views


def details_text(details: dict[str, Any] | None, schema: FormSchema) -> str:
    """An audit row's details as one line; numbers that look like IDs or phones stay masked."""
    parts = []
    for key, value in (details or {}).items():
        if key == "field" and isinstance(value, str) and value in schema.keys:
            value = schema.label_for(value)
        parts.append(f"{key}: {value_text(value) if not isinstance(value, dict) else value}")
    return redact_text("；".join(parts))
