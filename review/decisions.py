"""Decisions on applications: 通过, 不通过, 需补充, 重新审核 — one at a time or in bulk.

Bulk decisions run ``decide`` once per application, so they pass the same
checks, write the same audit rows and queue the same emails as single ones.
Nothing here commits: the view does, so a decision, its audit row and its
email are stored together or not at all. An application is decided under its
own campaign's terms (required fields, reply account), whichever campaign the
person has open; who may decide is the view's question (``review.campaign_access``).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from intake.core.completeness import missing_required, status_for
from intake.core.config import Settings
from intake.core.models import Application
from intake.core.statuses import ApplicationStatus, ReplyKind
from notifier.staff_notices import NoticeNotSent, queue_staff_notice
from parsers.schema import load_schema
from review import audit
from review.corrections import CONFLICT_MESSAGE, Conflict, check_version

ACTIONS = ("approve", "reject", "request_info", "reopen")
BULK_ACTIONS = ("approve", "reject")
ACTION_NAMES = {"approve": "通过", "reject": "不通过", "request_info": "需补充", "reopen": "重新审核"}
NOTICE_FOR = {"approve": ReplyKind.APPROVED, "reject": ReplyKind.REJECTED, "request_info": ReplyKind.REQUEST_INFO}
DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)
MAX_TEXT_CHARS = 1000
MAX_BULK = 500


class DecisionRefused(Exception):
    """The decision cannot be made on this application; the message (Chinese) says what to do."""


@dataclass
class Decision:
    """What one ``decide`` did (or, in bulk, why it did nothing)."""

    application_id: int
    reference: str
    name: str
    action: str
    outcome: str = "ok"  # ok | refused | conflict
    message: str = ""  # the refusal or conflict, in Chinese
    emailed: bool = False
    email_problem: str | None = None  # why no email went although one was asked for

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def refusal(application: Application, action: str, *, settings: Settings, reason: str | None = None,
            reason_text: str | None = None, fields: Sequence[str] = ()) -> str | None:
    """Why ``action`` cannot be taken on this application now, or None; changes nothing."""
    status = application.status
    if action not in ACTIONS:
        return "未知的操作。"
    if action == "reopen":
        return None if status in DECIDED else "只有已通过或不通过的申请可以重新审核。"
    if status == ApplicationStatus.APPROVED:
        return "该申请已通过；如需更改，请先点“重新审核”。"
    if status == ApplicationStatus.REJECTED:
        return "该申请已不通过；如需更改，请先点“重新审核”。"
    if action == "approve":
        missing = missing_required(application.fields or {},
                                   settings.campaign_named(application.campaign).required_fields)
        if missing:
            labels = "、".join(_label(key) for key in missing)
            return f"缺少必填项：{labels}，不能通过。请先补全这些字段，或选择“需补充”请申请人补充。"
    if action == "reject":
        if reason and reason not in settings.web.rejection_reasons:
            return "请从列表中选择不通过的原因。"
        if not (reason or (reason_text or "").strip()):
            return "请选择或填写不通过的原因。"
    if action == "request_info":
        known = set(load_schema().keys)
        if not [key for key in fields if key in known]:
            return "请至少勾选一项需要申请人补充的内容。"
    return None


def decide(
    session: Session,
    application: Application,
    action: str,
    *,
    username: str,
    address: str | None,
    expected_version: int | None,
    settings: Settings,
    reason: str | None = None,
    reason_text: str | None = None,
    fields: Sequence[str] = (),
    note: str | None = None,
    notify: bool = True,
) -> Decision:
    """Make one decision: status, audit row and (when asked and possible) the applicant's email.

    Raises ``Conflict`` for a stale ``expected_version`` and ``DecisionRefused``
    when the checks say no; nothing is changed in either case.
    """
    check_version(application, expected_version)
    reason = (reason or "").strip() or None
    reason_text = (reason_text or "").strip()[:MAX_TEXT_CHARS] or None
    note = (note or "").strip()[:MAX_TEXT_CHARS] or None
    known = set(load_schema().keys)
    requested = [key for key in load_schema().keys if key in set(fields) & known]
    problem = refusal(application, action, settings=settings, reason=reason, reason_text=reason_text,
                      fields=requested)
    if problem:
        raise DecisionRefused(problem)

    now = datetime.now(timezone.utc)
    details: dict = {"from": application.status.value}
    if action == "approve":
        application.status = ApplicationStatus.APPROVED
        application.decision_reason = None
    elif action == "reject":
        application.status = ApplicationStatus.REJECTED
        application.decision_reason = "；".join(part for part in (reason, reason_text) if part)
        details.update(reason=reason, reason_text=reason_text)
    elif action == "request_info":
        labels = "、".join(_label(key) for key in requested)
        application.decision_reason = f"需补充：{labels}" + (f"（{note}）" if note else "")
        details.update(fields=requested, note=note)
    else:  # reopen: back to the queue; the audit log keeps the decision it undoes
        missing = missing_required(application.fields or {},
                                   settings.campaign_named(application.campaign).required_fields)
        application.status = status_for(missing)
        details["reason"] = application.decision_reason
        application.decision_reason = None
    if action == "reopen":
        application.decided_by, application.decided_at = None, None
    else:
        application.decided_by, application.decided_at = username, now
    details["to"] = application.status.value
    details["notify"] = bool(notify and action in NOTICE_FOR)
    entry = audit.record(session, action, username=username, application_id=application.id,
                         details=details, address=address)
    session.flush()  # the audit entry's id keys the email; a stale row fails here

    result = Decision(application.id, application.reference or "", application.name or "", action)
    if notify and action in NOTICE_FOR:
        try:
            row = queue_staff_notice(
                application, NOTICE_FOR[action], settings.campaign_named(application.campaign), session=session,
                decision_id=entry.id,
                requested_keys=requested, note=note or "",
                reason=application.decision_reason if action == "reject" else "",
            )
        except NoticeNotSent as exc:
            result.email_problem = str(exc)
        else:
            result.emailed = row is not None
    return result


def bulk_decide(
    session: Session,
    ids: Iterable[int],
    action: str,
    *,
    username: str,
    address: str | None,
    settings: Settings,
    campaign: str,
    expected_versions: Mapping[int, int] | None = None,
    reason: str | None = None,
    reason_text: str | None = None,
    notify: bool = True,
) -> list[Decision]:
    """``decide`` for each application (approve or reject), each in its own savepoint.

    One refused or conflicting application does not stop the others; an empty
    selection decides nothing, and an id of another ``campaign`` is refused as unknown. ``expected_versions`` (id → row_version seen on
    the confirmation page) makes a change made meanwhile a conflict.
    """
    wanted = list(dict.fromkeys(int(i) for i in ids))[:MAX_BULK]
    if action not in BULK_ACTIONS:
        raise DecisionRefused("批量操作只能是通过或不通过。")
    if not wanted:
        return []
    found = {a.id: a for a in session.scalars(select(Application).where(
        Application.id.in_(wanted), Application.campaign == campaign))}
    results: list[Decision] = []
    for app_id in wanted:
        application = found.get(app_id)
        if application is None:
            results.append(Decision(app_id, "", "", action, "refused", "申请不存在（可能已被删除）。"))
            continue
        expected = (expected_versions or {}).get(app_id, application.row_version)
        reference, name = application.reference or "", application.name or ""
        try:
            with session.begin_nested():
                results.append(decide(
                    session, application, action, username=username, address=address, expected_version=expected,
                    settings=settings, reason=reason, reason_text=reason_text, notify=notify,
                ))
        except (Conflict, StaleDataError):
            results.append(Decision(app_id, reference, name, action, "conflict", CONFLICT_MESSAGE))
        except DecisionRefused as exc:
            results.append(Decision(app_id, reference, name, action, "refused", str(exc)))
    return results


def _label(key: str) -> str:
    try:
        return load_schema().label_for(key)
    except KeyError:
        return key
