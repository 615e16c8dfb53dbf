"""The dashboard's figures: counts by status and county, targets, and what failed.

The counts come from one GROUP BY over the campaign's applications and the
failures (its own mail and replies) from scans of the message and outbox tables; at a province's 100,000 rows those
are full scans, so the figures are cached per app and campaign for
``CACHE_SECONDS`` (a dashboard a minute old is fine). A retry clears the
cache: the admin who clicked it must see the row leave the list.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from intake.core.config import CampaignSettings
from intake.core.masking import redact_text
from intake.core.models import Application, Message, OutboxMail
from intake.core.statuses import ApplicationStatus, MessageStatus, OutboxStatus

CACHE_SECONDS = 60.0
FAILED_LIST_LIMIT = 100
NO_COUNTY = "未填写"


@dataclass(frozen=True)
class CountyFigures:
    county: str
    total: int
    approved: int
    target: int  # 0: the county has no workstations configured

    @property
    def met(self) -> bool:
        return self.target > 0 and self.approved >= self.target


@dataclass(frozen=True)
class Counts:
    by_status: dict[ApplicationStatus, int]
    counties: list[CountyFigures]
    late: int
    to_check: int  # waiting for review with fields a person must check
    computed_at: datetime

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class Failure:
    id: int
    what: str  # the message's subject, or the reply's recipient and subject
    error: str
    at: datetime | None
    retryable: bool = True  # a mail too large to download is read in webmail, not retried


@dataclass(frozen=True)
class Figures:
    counts: Counts
    messages_failed: int
    messages: list[Failure]  # the newest FAILED_LIST_LIMIT
    replies_failed: int
    replies: list[Failure]


@dataclass
class FiguresCache:
    """campaign name → (expires at, figures); one per app, shared by its request threads."""

    entries: dict[str, tuple[float, Figures]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, session: Session, campaign: CampaignSettings) -> Figures:
        now = time.monotonic()
        hit = self.entries.get(campaign.name)
        if hit is not None and hit[0] > now:
            return hit[1]
        figures = Figures(compute_counts(session, campaign), *failed_messages(session, campaign.name),
                          *failed_replies(session, campaign.name))
        with self.lock:
            self.entries[campaign.name] = (now + CACHE_SECONDS, figures)
        return figures

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def compute_counts(session: Session, campaign: CampaignSettings) -> Counts:
    rows = session.execute(
        select(Application.county, Application.status, Application.is_late,
               func.sum(case((Application.review_count > 0, 1), else_=0)),
               func.count())
        .where(Application.campaign == campaign.name)
        .group_by(Application.county, Application.status, Application.is_late)
    ).all()
    by_status = {status: 0 for status in ApplicationStatus}
    per_county: dict[str, list[int]] = {}
    late = to_check = 0
    for county, status, is_late, with_review, count in rows:
        by_status[status] += count
        totals = per_county.setdefault(county or NO_COUNTY, [0, 0])
        totals[0] += count
        if status == ApplicationStatus.APPROVED:
            totals[1] += count
        late += count if is_late else 0
        if status == ApplicationStatus.PENDING_REVIEW:
            to_check += int(with_review or 0)
    counties = [
        CountyFigures(name, *per_county.get(name, (0, 0)),
                      target=campaign.workstations.get(name, 0) * campaign.experts_per_workstation)
        for name in county_order(campaign, per_county)
    ]
    return Counts(by_status, counties, late, to_check, datetime.now(timezone.utc))


def county_order(campaign: CampaignSettings, seen) -> list[str]:
    """The campaign's counties in its order, then any others the data holds, then 未填写."""
    order = campaign.counties
    order += sorted(name for name in seen if name not in order and name != NO_COUNTY)
    return order + ([NO_COUNTY] if NO_COUNTY in seen else [])


def failed_messages(session: Session, campaign: str | None = None) -> tuple[int, list[Failure]]:
    """Mail that failed to process, and mail too large to download (headers only): that of
    ``campaign``'s mailbox, or (None) of every mailbox."""
    unread = Message.status.in_([MessageStatus.FAILED, MessageStatus.TOO_LARGE])
    if campaign is not None:
        unread = unread & (Message.campaign == campaign)
    total = session.scalar(select(func.count()).select_from(Message).where(unread))
    rows = session.execute(
        select(Message.id, Message.subject, Message.from_address, Message.error, Message.defects,
               Message.status, Message.received_at)
        .where(unread).order_by(Message.id.desc()).limit(FAILED_LIST_LIMIT)
    ).all()
    # Errors can quote mail; numbers in them are masked like everywhere else.
    return total or 0, [
        Failure(r.id, f"{r.subject or '（无主题）'} · {r.from_address or ''}",
                redact_text(r.error or "；".join(r.defects or [])), r.received_at,
                retryable=r.status == MessageStatus.FAILED)
        for r in rows]


def failed_replies(session: Session, campaign: str | None = None) -> tuple[int, list[Failure]]:
    """Replies that could not be sent: by ``campaign``'s account, or (None) by any."""
    failed = OutboxMail.status == OutboxStatus.FAILED
    if campaign is not None:
        failed = failed & OutboxMail.of_campaign(campaign)
    total = session.scalar(select(func.count()).select_from(OutboxMail).where(failed))
    rows = session.execute(
        select(OutboxMail.id, OutboxMail.to_address, OutboxMail.subject, OutboxMail.last_error,
               OutboxMail.created_at)
        .where(failed).order_by(OutboxMail.id.desc()).limit(FAILED_LIST_LIMIT)
    ).all()
    return total or 0, [Failure(r.id, f"{r.to_address} · {r.subject}", redact_text(r.last_error or ""),
                                r.created_at) for r in rows]
