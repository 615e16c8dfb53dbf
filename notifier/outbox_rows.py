"""The outbox rows' states (``notifier.outbox``): claimed, sent, retried, held, failed.

Each change is a transaction of its own, committed before anything else
happens: a claim before the server is spoken to, an outcome right after its
answer, so a crash in between leaves at most the one message it was sending.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from intake.core.models import OutboxMail
from intake.core.statuses import OutboxStatus
from notifier.send_limits import Hold

log = logging.getLogger("notifier.outbox")

# How long a claimed row may stay ``sending`` before another flush may take
# it: far longer than one SMTP conversation (timeouts are about a minute), so
# only a crashed flush leaves a row this long. The lease end is kept in
# next_attempt_at, which a ``sending`` row has no other use for.
SENDING_LEASE = timedelta(minutes=10)
MAX_ERROR_CHARS = 1000
UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True)
class Claim:
    row_id: int
    attempts: int  # counting the attempt this claim starts
    created_at: datetime
    to_address: str
    raw: bytes


def claim_due(session_factory: sessionmaker[Session], t: datetime, limit: int, campaign: str | None) -> list[Claim]:
    """Take up to ``limit`` of the oldest due rows: mark them sending and
    commit, in one transaction, before any is sent."""
    with session_factory() as session, session.begin():
        query = (
            select(OutboxMail.id, OutboxMail.attempts, OutboxMail.status)
            .where(OutboxMail.of_campaign(campaign), OutboxMail.status.in_(UNSENT), OutboxMail.next_attempt_at <= t)
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(limit)
        )
        if supports_skip_locked(session):
            query = query.with_for_update(skip_locked=True)
        claimed: dict[int, int] = {}  # row id → attempts, oldest due first
        for row_id, attempts, status in session.execute(query).all():
            # Conditional on what we read, so two flushes can't both claim it
            # (SQLite has no row locks; this is its guard).
            taken = session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == row_id, OutboxMail.status == status, OutboxMail.attempts == attempts)
                .values(status=OutboxStatus.SENDING, attempts=attempts + 1, next_attempt_at=t + SENDING_LEASE)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken != 1:
                continue
            if status == OutboxStatus.SENDING:
                log.warning("outbox %s was left sending (crash?); sending again with the same Message-ID", row_id)
            claimed[row_id] = attempts + 1
        if not claimed:
            return []
        rows = {row_id: (created_at, to_address, raw) for row_id, created_at, to_address, raw in session.execute(
            select(OutboxMail.id, OutboxMail.created_at, OutboxMail.to_address, OutboxMail.raw)
            .where(OutboxMail.id.in_(claimed))
        )}
    return [Claim(row_id, attempts, *rows[row_id]) for row_id, attempts in claimed.items()]


def release(session_factory: sessionmaker[Session], claims: list[Claim], t: datetime) -> None:
    """Give back rows claimed but not tried (the flush stopped first): as they were, due now."""
    if not claims:
        return
    with session_factory() as session, session.begin():
        for claim in claims:
            session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == claim.row_id, OutboxMail.status == OutboxStatus.SENDING,
                       OutboxMail.attempts == claim.attempts)
                .values(status=OutboxStatus.PENDING, attempts=claim.attempts - 1, next_attempt_at=t)
                .execution_options(synchronize_session=False)
            )


def record_sent(session_factory: sessionmaker[Session], row_id: int, t: datetime) -> None:
    update_row(session_factory, row_id, status=OutboxStatus.SENT, sent_at=t, last_error=None)


def record_retry(session_factory: sessionmaker[Session], row_id: int, next_at: datetime, error: str) -> None:
    update_row(session_factory, row_id, status=OutboxStatus.PENDING, next_attempt_at=next_at, last_error=error)


def record_held(session_factory: sessionmaker[Session], row_id: int, hold: Hold, attempts: int) -> None:
    # Not an attempt: the claim's count is given back, so backoff is unchanged.
    update_row(session_factory, row_id, status=OutboxStatus.PENDING, next_attempt_at=hold.until,
                attempts=attempts, last_error=hold.reason)


def record_failed(session_factory: sessionmaker[Session], row_id: int, error: str) -> None:
    update_row(session_factory, row_id, status=OutboxStatus.FAILED, last_error=error)


def update_row(session_factory: sessionmaker[Session], row_id: int, **values) -> None:
    with session_factory() as session, session.begin():
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == row_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def expire_unsent(
    session_factory: sessionmaker[Session], t: datetime, expire_after: timedelta, reason: str, campaign: str | None
) -> int:
    """With the server unusable, rows past their expiry can't go either: fail them."""
    with session_factory() as session, session.begin():
        result = session.execute(
            update(OutboxMail)
            .where(
                OutboxMail.of_campaign(campaign),
                OutboxMail.created_at <= t - expire_after,
                or_(
                    OutboxMail.status == OutboxStatus.PENDING,
                    # a row whose lease is still running is in another flush's hands
                    and_(OutboxMail.status == OutboxStatus.SENDING, OutboxMail.next_attempt_at <= t),
                ),
            )
            .values(status=OutboxStatus.FAILED, last_error=("expired: " + reason)[:MAX_ERROR_CHARS])
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0


def count_unsent(session_factory: sessionmaker[Session], campaign: str | None) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.of_campaign(campaign), OutboxMail.status.in_(UNSENT)))


def hold_due(session_factory: sessionmaker[Session], t: datetime, hold: Hold, campaign: str | None) -> None:
    """The overall limit holds every due row, not just the one that met it: each says why it waits."""
    with session_factory() as session, session.begin():
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.of_campaign(campaign), OutboxMail.status == OutboxStatus.PENDING,
                   OutboxMail.next_attempt_at <= t)
            .values(next_attempt_at=hold.until, last_error=hold.reason)
            .execution_options(synchronize_session=False)
        )


def supports_skip_locked(session: Session) -> bool:
    # SQLite has one writer and no row locks; PostgreSQL needs SKIP LOCKED so
    # two flushes don't queue up behind the same row.
    return session.get_bind().dialect.name != "sqlite"
