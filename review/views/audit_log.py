"""审计日志: who did what and when — logins, reveals, corrections, decisions, exports.

A city's admin reads the entries about the current campaign's applications and
their own account's other entries (logins, exports, retries); a provincial
account reads every entry. Newest first, 100 rows a page, paged by the (at, id)
of the last row shown (keyset: page 500 costs what page 1 costs).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from intake.core.masking import redact_text
from intake.core.models import Application, AuditEntry
from review.audit import ACTION_LABELS
from review.campaign_access import is_admin_in, is_provincial
from review.request_scope import db, settings

blueprint = Blueprint("audit_log", __name__)

PAGE_ROWS = 100
CURSOR_FORMAT = "%Y%m%dT%H%M%S%f"


@dataclass(frozen=True)
class AuditFilter:
    username: str = ""
    action: str = ""
    reference: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args) -> AuditFilter:
        action = args.get("action", "")
        return cls(username=args.get("user", "").strip()[:64], action=action if action in ACTION_LABELS else "",
                   reference=args.get("reference", "").strip()[:40],
                   since=_day(args.get("since")), until=_day(args.get("until")))

    def query_args(self) -> dict[str, str]:
        values = {"user": self.username, "action": self.action, "reference": self.reference,
                  "since": self.since.isoformat() if self.since else "",
                  "until": self.until.isoformat() if self.until else ""}
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    username: str
    action: str
    application_id: int | None
    reference: str | None
    campaign: str | None  # the application's
    details: str
    address: str


@dataclass(frozen=True)
class AuditScope:
    """Whose entries a person reads: None, every entry; else those about this campaign's
    applications and this account's own entries about no application."""

    campaign: str | None
    username: str | None


@blueprint.route("/audit")
def index():
    if is_provincial():
        scope = AuditScope(None, None)
    elif is_admin_in(g.campaign.name):
        scope = AuditScope(g.campaign.name, g.user.username)
    else:
        abort(403)
    wanted = AuditFilter.from_args(request.args)
    cursor = _cursor(request.args.get("before", ""))
    rows, more = audit_page(db(), wanted, cursor, scope=scope)
    older = None
    if more:
        last = rows[-1]  # `at` comes back in UTC; the cursor keeps it so
        older = url_for("audit_log.index", **wanted.query_args(),
                        before=f"{last.at.strftime(CURSOR_FORMAT)}-{last.id}")
    titles = {campaign.name: campaign.title for campaign in settings().campaigns}
    return render_template("audit_log.html", rows=rows, wanted=wanted, labels=ACTION_LABELS, older=older,
                           paged=cursor is not None, tz=g.campaign.tz, detail_url=_detail_url,
                           campaign_titles=titles if scope.campaign is None else None)


def audit_page(session: Session, wanted: AuditFilter, cursor: tuple[datetime, int] | None, *,
               scope: AuditScope) -> tuple[list[AuditRow], bool]:
    tz = g.campaign.tz
    statement = (select(AuditEntry, Application.reference, Application.campaign)
                 .outerjoin(Application, Application.id == AuditEntry.application_id))
    if scope.campaign is not None:
        statement = statement.where(or_(
            Application.campaign == scope.campaign,
            and_(AuditEntry.application_id.is_(None), AuditEntry.username == scope.username)))
    if wanted.username:
        statement = statement.where(AuditEntry.username == wanted.username)
    if wanted.action:
        statement = statement.where(AuditEntry.action == wanted.action)
    if wanted.reference:
        statement = statement.where(Application.reference == wanted.reference)
    if wanted.since:  # whole days in the centre's time zone
        statement = statement.where(AuditEntry.at >= datetime.combine(wanted.since, time.min, tzinfo=tz))
    if wanted.until:
        statement = statement.where(AuditEntry.at < datetime.combine(wanted.until + timedelta(days=1), time.min,
                                                                     tzinfo=tz))
    if cursor is not None:
        at, entry_id = cursor
        statement = statement.where(or_(AuditEntry.at < at, and_(AuditEntry.at == at, AuditEntry.id < entry_id)))
    found = session.execute(statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(PAGE_ROWS + 1)).all()
    rows = [AuditRow(entry.id, entry.at, entry.username, entry.action, entry.application_id, reference, campaign,
                     _details_text(entry.details), entry.address or "")
            for entry, reference, campaign in found[:PAGE_ROWS]]
    return rows, len(found) > PAGE_ROWS


def _details_text(details: dict[str, Any] | None) -> str:
    # Corrections record old → new values; an ID number in them stays masked here too.
    parts = []
    for key, value in (details or {}).items():
        parts.append(f"{key}: {redact_text(str(value))}")
    return "；".join(parts)


def _detail_url(application_id: int) -> str | None:
    # The detail page is its own blueprint; without it (a partial app) the reference is shown as text.
    if "detail.show" not in current_app.view_functions:
        return None
    return url_for("detail.show", app_id=application_id)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _cursor(value: str) -> tuple[datetime, int] | None:
    stamp, _, entry_id = value.partition("-")
    try:
        return datetime.strptime(stamp, CURSOR_FORMAT).replace(tzinfo=timezone.utc), int(entry_id)
    except ValueError:
        return None
