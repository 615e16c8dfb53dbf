"""A person corrects or confirms one field of an application.

A corrected value goes through exactly the parser's normalisation and checks
(``parsers.text.fields.normalise`` / ``validate`` and the ID ↔ birth date ↔
gender agreement of ``parsers.text.checks``), so a value typed by staff is
judged like a value read from a form. A value that fails is still saved —
the person may know better — but stays flagged until someone confirms it.

Both steps check the application's ``row_version`` against the one the
person's page was built from: two people saving the same application never
overwrite each other silently.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from intake.core.completeness import missing_required, status_for
from intake.core.masking import mask_fields, redact_text
from intake.core.models import Application
from intake.core.statuses import ApplicationStatus
from parsers.schema import FieldSpec, load_schema
from parsers.text import checks
from parsers.text.fields import normalise, validate
from review import audit

CONFLICT_MESSAGE = "已被他人修改，请刷新后再改。"
OPEN_STATUSES = (ApplicationStatus.INCOMPLETE, ApplicationStatus.PENDING_REVIEW)
# The fields the ID-number agreement check compares (as the parser's _cross_check_id).
ID_AGREEMENT_KEYS = ("id_number", "birth_date", "gender")
MAX_RAW_CHARS = 4000


class Conflict(Exception):
    """The application changed since the page was loaded; nothing was written."""

    def __init__(self, message: str = CONFLICT_MESSAGE) -> None:
        super().__init__(message)


class UnknownField(ValueError):
    """The form has no such field."""


@dataclass
class FieldVerdict:
    key: str
    label: str
    value: Any  # the normalised value saved (None: cleared)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def text(self) -> str:
        """The verdict as staff read it; ID and phone numbers masked (it is flashed and audited)."""
        if self.ok:
            return "通过校验" if self.value is not None else "已清空"
        return redact_text("；".join(self.problems))


def check_version(application: Application, expected_version: int | None) -> None:
    if expected_version is None or application.row_version != expected_version:
        raise Conflict()


def field_problems(spec: FieldSpec, value: Any, fields: dict[str, Any]) -> list[str]:
    """What the parser would say about this value in this form, in Chinese; empty when it passes."""
    if value in (None, "", []):
        return []
    problems = list(validate(spec, value))
    if spec.key in ID_AGREEMENT_KEYS and not problems:
        id_number = fields.get("id_number")
        if id_number and not checks.check_id_number(str(id_number)):
            problems += checks.check_id_agrees(str(id_number), fields.get("birth_date"), fields.get("gender"))
    return problems


def correct_field(
    session: Session,
    application: Application,
    key: str,
    raw: str,
    *,
    username: str,
    expected_version: int | None,
    address: str | None,
    required_fields: Sequence[str],
) -> FieldVerdict:
    """Save a corrected value (normalised and checked as the parser does) and audit it."""
    check_version(application, expected_version)
    spec = _spec(key)
    old_fields = dict(application.fields or {})
    old_value = old_fields.get(key)
    value = normalise(spec, (raw or "")[:MAX_RAW_CHARS])
    fields = dict(old_fields)
    if value is None:
        fields.pop(key, None)
    else:
        fields[key] = value
    problems = field_problems(spec, value, fields)
    verdict = FieldVerdict(key=key, label=spec.label, value=value, problems=problems)

    # The old value's verdicts no longer hold; the new value's (if any) replace them.
    stale = set(field_problems(spec, old_value, old_fields))
    warnings = [text for text in application.warnings or [] if text not in stale]
    warnings += [problem for problem in problems if problem not in warnings]
    needs_review = [k for k in application.needs_review or [] if k != key]
    confirmed = [k for k in application.confirmed_fields or [] if k != key]
    if problems:
        needs_review.append(key)
    else:
        confirmed.append(key)

    application.fields = fields
    application.warnings = warnings
    application.needs_review = _in_form_order(needs_review)
    application.confirmed_fields = _in_form_order(confirmed)
    _update_missing(application, required_fields)
    application.sync_columns()
    masked_old, masked_new = _masked(key, old_value), _masked(key, value)
    audit.record(session, "correct", username=username, application_id=application.id, address=address,
                 details={"field": key, "old": masked_old, "new": masked_new, "verdict": verdict.text})
    return verdict


def confirm_field(
    session: Session,
    application: Application,
    key: str,
    *,
    username: str,
    expected_version: int | None,
    address: str | None,
) -> FieldVerdict:
    """A person checked the value against the original and it stands: no longer needs review."""
    check_version(application, expected_version)
    spec = _spec(key)
    fields = dict(application.fields or {})
    value = fields.get(key)
    application.needs_review = [k for k in application.needs_review or [] if k != key]
    if key not in (application.confirmed_fields or []):
        application.confirmed_fields = _in_form_order([*(application.confirmed_fields or []), key])
    application.sync_columns()
    verdict = FieldVerdict(key=key, label=spec.label, value=value)
    audit.record(session, "confirm", username=username, application_id=application.id, address=address,
                 details={"field": key, "value": _masked(key, value)})
    return verdict


def next_field_to_review(application: Application, after_key: str | None = None) -> str | None:
    """The next key (form order) still needing review after ``after_key``, wrapping round."""
    pending = _in_form_order(application.needs_review or [])
    if not pending:
        return None
    order = load_schema().keys
    if after_key in order:
        position = order.index(after_key)
        later = [k for k in pending if k in order and order.index(k) > position]
        if later:
            return later[0]
    return pending[0]


def _update_missing(application: Application, required_fields: Sequence[str]) -> None:
    missing = missing_required(application.fields or {}, required_fields)
    application.missing_fields = missing
    # A decided application keeps its decision; only the two open statuses follow the form.
    if application.status in OPEN_STATUSES:
        application.status = status_for(missing)


def _spec(key: str) -> FieldSpec:
    try:
        return load_schema().spec_for(key)
    except KeyError:
        raise UnknownField(f"报名表没有字段“{key}”。") from None


def _masked(key: str, value: Any) -> Any:
    # The audit log keeps ID and phone numbers masked: it must not become a copy of them.
    if value is None:
        return None
    return mask_fields({key: value})[key]


def _in_form_order(keys: list[str]) -> list[str]:
    order = {key: number for number, key in enumerate(load_schema().keys)}
    unique = list(dict.fromkeys(keys))
    return sorted(unique, key=lambda k: order.get(k, len(order)))
