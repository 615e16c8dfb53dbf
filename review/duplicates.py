"""Possible duplicate applications, compared side by side, merged or kept apart by hand.

Two applications may be one person when they share an ID number, a mobile
number or an email address within the campaign. Nothing is merged
automatically: a person chooses which one stays. A merge deletes nothing — the
other application is set to 不通过 with a reason naming the one that stays,
and ``reopen`` undoes it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.core.masking import mask_fields
from intake.core.models import Application, AuditEntry
from intake.core.statuses import ApplicationStatus
from parsers.schema import load_schema
from review import audit
from review.corrections import OPEN_STATUSES, check_version
from review.decisions import DecisionRefused

MAX_DUPLICATES = 20
KEEP_APART_LOOKBACK = 200  # keep_apart rows of one application scanned for a pair


@dataclass
class ComparedField:
    key: str
    label: str
    values: list[str]  # one per application, masked, as shown
    differs: bool


def normalised_mobile(value: str | None) -> str | None:
    """Digits only, without a leading 86 country code."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) > 11 and digits.startswith("86"):
        digits = digits[2:]
    return digits or None


def possible_duplicates(session: Session, application: Application) -> list[Application]:
    """Other applications of the campaign with the same ID number, mobile or email.

    One query per fact, each answered by its own index: an OR of the three
    lets the database scan the whole table in id order instead."""
    conditions = []
    if application.id_number:
        conditions.append(Application.id_number == application.id_number)
    mobile = normalised_mobile(application.mobile)
    if mobile:
        conditions.append(Application.mobile.in_(sorted({mobile, application.mobile or mobile})))
    if application.email:
        conditions.append(Application.email == application.email.strip().lower())
    # The link the worker made when another sender's form carried an ID number on file.
    conditions.append(Application.possible_duplicate_of_id == application.id)
    if application.possible_duplicate_of_id is not None:
        conditions.append(Application.id == application.possible_duplicate_of_id)
    ids: set[int] = set()
    for condition in conditions:
        ids.update(session.scalars(
            select(Application.id)
            .where(Application.campaign == application.campaign, condition, Application.id != application.id)
            .limit(MAX_DUPLICATES)
        ))
    if not ids:
        return []
    return list(session.scalars(
        select(Application).where(Application.id.in_(sorted(ids)[:MAX_DUPLICATES])).order_by(Application.id)
    ))


def shared_facts(a: Application, b: Application) -> list[str]:
    """What the two have in common, in Chinese (why they are shown as possible duplicates)."""
    facts = []
    if a.possible_duplicate_of_id == b.id or b.possible_duplicate_of_id == a.id:
        facts.append("另一发件人发来的报名表，收件时已标记为可能重复")
    if a.id_number and a.id_number == b.id_number:
        facts.append("身份证号码相同")
    if normalised_mobile(a.mobile) and normalised_mobile(a.mobile) == normalised_mobile(b.mobile):
        facts.append("手机号码相同")
    if a.email and (a.email or "").lower() == (b.email or "").lower():
        facts.append("电子邮箱相同")
    return facts


def compare(applications: list[Application]) -> list[ComparedField]:
    """Each form field, masked, across the applications; ``differs`` when they disagree."""
    masked = [mask_fields(dict(app.fields or {})) for app in applications]
    rows = []
    for spec in load_schema().fields:
        values = [_shown(fields.get(spec.key)) for fields in masked]
        if not any(values):
            continue
        rows.append(ComparedField(spec.key, spec.label, values, len(set(values)) > 1))
    return rows


def merge(session: Session, kept: Application, dropped: Application, *, username: str, address: str | None,
          kept_version: int | None, dropped_version: int | None) -> None:
    """``dropped`` becomes 不通过 as a duplicate of ``kept``; both are noted and audited."""
    check_version(kept, kept_version)
    check_version(dropped, dropped_version)
    if kept.id == dropped.id or kept.campaign != dropped.campaign:
        raise DecisionRefused("只能合并同一批次中的两份不同的申请。")
    if dropped.status not in OPEN_STATUSES:
        raise DecisionRefused(f"{dropped.reference} 已有审核结论；如确需合并，请先对它点“重新审核”。")
    versions = len(dropped.versions) or dropped.version
    earlier_warnings = len(dropped.warnings or [])
    dropped.status = ApplicationStatus.REJECTED
    dropped.decision_reason = f"与 {kept.reference} 重复，已合并"
    dropped.decided_by, dropped.decided_at = username, datetime.now(timezone.utc)
    dropped.warnings = [*(dropped.warnings or []),
                        f"已作为 {kept.reference} 的重复报名合并（本条 {versions} 个版本保留未删）；如有误，点“重新审核”即可恢复。"]
    kept.warnings = [*(kept.warnings or []),
                     f"已合并重复报名 {dropped.reference}（{versions} 个版本、{earlier_warnings} 条提示），"
                     "其材料仍在该报名中。"]
    details = {"kept": kept.reference, "kept_id": kept.id, "merged": dropped.reference, "merged_id": dropped.id}
    for application in (kept, dropped):
        audit.record(session, "merge", username=username, application_id=application.id, details=details,
                     address=address)


def keep_apart(session: Session, a: Application, b: Application, *, username: str, address: str | None,
               note: str | None = None) -> None:
    """Record on both that a person judged them to be different applicants; nothing else changes."""
    if a.id == b.id or a.campaign != b.campaign:
        raise DecisionRefused("请选择同一批次中的另一份申请。")
    note = (note or "").strip()[:500] or None
    for this, other in ((a, b), (b, a)):
        audit.record(session, "keep_apart", username=username, application_id=this.id, address=address,
                     details={"other_id": other.id, "other": other.reference, "note": note})


def last_keep_apart(session: Session, a: Application, b: Application) -> AuditEntry | None:
    """The latest "keep apart" judgement on this pair, if any."""
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.application_id == a.id, AuditEntry.action == "keep_apart")
        .order_by(AuditEntry.id.desc())
        .limit(KEEP_APART_LOOKBACK)
    )
    # JSON lookups differ between SQLite and PostgreSQL; the pair is matched here instead.
    return next((entry for entry in entries if (entry.details or {}).get("other_id") == b.id), None)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(item) for item in value)
    return str(value)
