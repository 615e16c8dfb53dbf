"""What the detail page shows, worked out from stored rows: field states, the email's text,
version diffs, history lines and possible duplicates. No Flask here, so it is easy to test.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from intake.core.masking import ID_NUMBER_KEYS, PHONE_KEYS, mask_fields, mask_id_number, mask_phone, redact_text
from intake.core.models import Application, ApplicationVersion
from intake.mail.mime import parse_mail
from parsers.schema import FieldSpec, FormSchema
from review.source_boxes import PagePlace

BODY_LIMIT = 20_000
MASKED_KEYS = ID_NUMBER_KEYS | PHONE_KEYS


@dataclass
class FieldView:
    key: str
    label: str
    kind: str
    value: str            # what the input holds (masked unless revealed)
    state: str            # ok | review | missing | confirmed
    note: str = ""        # why it needs review, or its confidence
    masked: bool = False  # the value shown is masked: the input cannot save it
    box: PagePlace | None = None  # where on the original's pages it was read, when known


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
                revealed: str | None = None, places: dict[str, PagePlace] | None = None) -> list[FieldView]:
    """Every field of the form, in form order, with its state, the reason for it and, from
    ``places`` (``review.source_boxes.places_of_fields``), where on the original it was read."""
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
                         mask_value(spec.key, raw) if masked else value_text(raw), "ok", masked=masked,
                         box=(places or {}).get(spec.key))
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

def email_text(raw: bytes, limit: int = BODY_LIMIT) -> str:
    """The message's body as the worker read it (``intake.mail``: the same charset repairs
    for Chinese mail, HTML as text), capped and masked; never rendered as HTML."""
    try:
        text = parse_mail(raw).body_text
    except Exception:  # noqa: BLE001 - a hostile message must not break the page; say so instead
        return "（邮件正文无法解析，请下载原始邮件查看）"
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
