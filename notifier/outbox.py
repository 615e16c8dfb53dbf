"""The outbox: replies are recorded in the database first and sent later.

Recording and sending are separate so that a reply is decided in the same
transaction as the application it answers, and sending can fail, wait and
retry without losing anything.

Each row is sent at most once under normal operation: a flush claims it
(``sending``, attempts + 1) and commits *before* talking to the server, then
records the outcome. If the process dies between the server's 250 and that
last commit, the row stays ``sending``; once its lease runs out it is sent
again with the same Message-ID, so mail clients can fold the duplicate away.
That narrow window is the only way a reply can go twice.

A flush claims a few rows in one transaction (``CLAIM_AT_ONCE``) but records
each outcome in its own, right after the server's answer, so that window
stays one message wide. It sends over one SMTP connection, and with
``until_none_due`` (``intake poll --once``) goes on batch after batch until
nothing is due; the scheduled flush sends one batch per tick.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from intake.core import crash_points
from intake.core.config import OutboxSettings, SmtpSettings
from intake.core.masking import redact_text
from intake.core.models import OutboxMail, utcnow
from intake.core.statuses import OutboxStatus, ReplyKind
from notifier.compose import ComposedReply
from notifier.send_limits import Hold, SendBudget, waiting_for_limits
from notifier.smtp import PermanentSendError, SendError, SmtpSession, TransientSendError

log = logging.getLogger(__name__)

# How long a claimed row may stay ``sending`` before another flush may take
# it: far longer than one SMTP conversation (timeouts are about a minute), so
# only a crashed flush leaves a row this long. The lease end is kept in
# next_attempt_at, which a ``sending`` row has no other use for.
SENDING_LEASE = timedelta(minutes=10)
# Rows claimed in one transaction: fewer commits, and a crash leaves at most
# this many leased (sent late, never twice).
CLAIM_AT_ONCE = 10
MAX_ERROR_CHARS = 1000
UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING)


class Sender(Protocol):
    """How a flush hands one message over: a ``notifier.smtp.SmtpSession`` unless a test swaps it."""

    def __call__(self, settings: SmtpSettings, message: bytes, *, to_address: str) -> None: ...


@dataclass
class FlushReport:
    sent: int = 0
    retried: int = 0  # sent back to pending with a later next_attempt_at
    failed: int = 0  # permanently refused or expired this flush
    remaining: int = 0  # rows still unsent (pending or sending) after the flush
    stopped_by: str | None = None  # the server-wide error that ended the flush early, redacted
    held: int = 0  # rows held back by a send limit this flush (notifier.send_limits)
    held_because: str | None = None
    stopped_by_limit: Hold | None = None  # the overall limit, reached: what is still due waits for it too
    waiting_for_limit: int = 0  # unsent replies a send limit holds back, after the flush
    held_until: datetime | None = None  # the earliest one of those goes

    def merged(self, other: "FlushReport") -> "FlushReport":
        """Two accounts' flushes (two campaigns) as one."""
        held = [moment for moment in (self.held_until, other.held_until) if moment is not None]
        return FlushReport(
            sent=self.sent + other.sent, retried=self.retried + other.retried, failed=self.failed + other.failed,
            remaining=self.remaining + other.remaining, stopped_by=self.stopped_by or other.stopped_by,
            held=self.held + other.held, held_because=self.held_because or other.held_because,
            stopped_by_limit=self.stopped_by_limit or other.stopped_by_limit,
            waiting_for_limit=self.waiting_for_limit + other.waiting_for_limit,
            held_until=min(held) if held else None,
        )


def outbox_message_id(key: str, domain: str) -> str:
    """The Message-ID for the reply with this idempotency key; the same on every resend."""
    if not domain or any(c in domain for c in "<>@ \r\n"):
        raise ValueError(f"not a domain for a Message-ID: {domain!r}")
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]
    return f"<intake.{digest}@{domain}>"


def enqueue(
    *,
    session: Session,
    key: str,
    kind: ReplyKind,
    to_address: str,
    reply: ComposedReply,
    application_id: int | None,
    source_message_id: int | None,
    now: datetime,
    campaign: str | None = None,
) -> OutboxMail | None:
    """Record a reply to be sent; None (and nothing added) if ``key`` is already recorded.

    Does not commit: the caller's transaction decides, so the reply and the
    state it reports are stored together or not at all.
    """
    if _key_exists(session, key):
        return None
    row = OutboxMail(
        campaign=campaign,
        idempotency_key=key,
        kind=ReplyKind(kind).value,
        application_id=application_id,
        source_message_id=source_message_id,
        to_address=to_address,
        subject=str(reply.message.get("Subject", "")),
        message_id_header=str(reply.message.get("Message-ID", "")),
        raw=reply.wire,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    # Another worker may record the same key between our check and insert;
    # the unique constraint catches it, and the savepoint keeps the caller's
    # transaction usable.
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        if _key_exists(session, key):
            return None
        raise
    return row


def flush_outbox(
    session_factory: sessionmaker[Session],
    smtp: SmtpSettings,
    policy: OutboxSettings,
    *,
    now: Callable[[], datetime] = utcnow,
    send: Sender | None = None,
    until_none_due: bool = False,
    campaign: str | None = None,
) -> FlushReport:
    """Send what is due of ``campaign``'s replies (``smtp`` is its account),
    ``policy.batch_size`` rows (or, ``until_none_due``, batch after batch until
    nothing is due), over one SMTP connection; stop at the first server-wide
    failure or when the overall send limit is reached."""
    report = FlushReport()
    with ExitStack() as stack:
        if send is None:
            send = stack.enter_context(SmtpSession(smtp))
        more_due = True
        while more_due:
            more_due = _flush_batch(session_factory, smtp, policy, now=now, send=send, report=report,
                                    campaign=campaign) and until_none_due
    if report.stopped_by:
        # With the server unusable, what is past its expiry can't go either (rows this flush gave back included).
        expire_after = timedelta(hours=policy.expire_after_hours)
        report.failed += _expire_unsent(session_factory, now(), expire_after, report.stopped_by, campaign)
    if report.stopped_by_limit is not None:
        _hold_due(session_factory, now(), report.stopped_by_limit, campaign)
    report.remaining = _count_unsent(session_factory, campaign)
    with session_factory() as session:
        report.waiting_for_limit, report.held_until = waiting_for_limits(session, campaign=campaign)
    return report


def _flush_batch(session_factory: sessionmaker[Session], smtp: SmtpSettings, policy: OutboxSettings, *,
                 now: Callable[[], datetime], send: Sender, report: FlushReport, campaign: str | None) -> bool:
    """One batch; True when it was full and nothing stopped it (more may be due)."""
    expire_after = timedelta(hours=policy.expire_after_hours)
    with session_factory() as session:
        budget = SendBudget.read(session, now(), policy, campaign=campaign)
    handled = 0
    while handled < policy.batch_size:
        claims = _claim_due(session_factory, now(), min(CLAIM_AT_ONCE, policy.batch_size - handled), campaign)
        if not claims:
            return False
        for position, claim in enumerate(claims):
            handled += 1
            try:
                go_on = _send_claimed(claim, session_factory, smtp, policy, expire_after, now=now, send=send,
                                      budget=budget, report=report)
            except BaseException:
                _release(session_factory, claims[position + 1:], now())
                raise
            if not go_on:
                _release(session_factory, claims[position + 1:], now())
                return False
    return True


def _send_claimed(claim: Claim, session_factory: sessionmaker[Session], smtp: SmtpSettings, policy: OutboxSettings,
                  expire_after: timedelta, *, now: Callable[[], datetime], send: Sender, budget: SendBudget,
                  report: FlushReport) -> bool:
    """Send one claimed row and record what happened; False when nothing else may go now."""
    hold = budget.hold_for(claim.to_address, now())
    if hold is not None:
        _record_held(session_factory, claim.row_id, hold, claim.attempts - 1)
        report.held += 1
        report.held_because = hold.reason
        if hold.everyone:
            report.stopped_by_limit = hold
            return False
        return True
    try:
        send(smtp, claim.raw, to_address=claim.to_address)
    except PermanentSendError as exc:
        _record_failed(session_factory, claim.row_id, _error_text(exc))
        report.failed += 1
        log.warning("outbox %s failed permanently: %s", claim.row_id, _error_text(exc))
    except TransientSendError as exc:
        t = now()
        if t - claim.created_at >= expire_after:
            _record_failed(session_factory, claim.row_id, "expired: " + _error_text(exc))
            report.failed += 1
            log.warning("outbox %s expired after %s attempts", claim.row_id, claim.attempts)
        else:
            _record_retry(session_factory, claim.row_id, t + _backoff(policy, claim.attempts), _error_text(exc))
            report.retried += 1
            log.info("outbox %s will retry (attempt %s): %s", claim.row_id, claim.attempts, _error_text(exc))
        if exc.server_wide:
            report.stopped_by = _error_text(exc)
            log.warning("outbox flush stopped: %s", report.stopped_by)
            return False
    except SendError as exc:  # an unclassified SendError: be safe, retry later
        _record_retry(session_factory, claim.row_id, now() + _backoff(policy, claim.attempts), _error_text(exc))
        report.retried += 1
    except BaseException as exc:
        # A bug or an interrupt, not a server answer: don't leave the row
        # leased for ten minutes, and let the caller see the traceback.
        _record_retry(session_factory, claim.row_id, now() + _backoff(policy, claim.attempts), _error_text(exc))
        raise
    else:
        crash_points.reached("after_smtp_accepted")
        sent_at = now()
        _record_sent(session_factory, claim.row_id, sent_at)
        budget.record_sent(claim.to_address, sent_at)
        report.sent += 1
    return True


def _backoff(policy: OutboxSettings, attempts: int) -> timedelta:
    exponent = max(attempts - 1, 0)
    # Cap the exponent first: 2**large overflows float arithmetic.
    seconds = policy.retry_max_seconds if exponent > 60 else policy.retry_base_seconds * 2**exponent
    return timedelta(seconds=min(seconds, policy.retry_max_seconds))


@dataclass(frozen=True)
class Claim:
    row_id: int
    attempts: int  # counting the attempt this claim starts
    created_at: datetime
    to_address: str
    raw: bytes


def _claim_due(session_factory: sessionmaker[Session], t: datetime, limit: int, campaign: str | None) -> list[Claim]:
    """Take up to ``limit`` of the oldest due rows: mark them sending and
    commit, in one transaction, before any is sent."""
    with session_factory() as session, session.begin():
        query = (
            select(OutboxMail.id, OutboxMail.attempts, OutboxMail.status)
            .where(OutboxMail.of_campaign(campaign), OutboxMail.status.in_(UNSENT), OutboxMail.next_attempt_at <= t)
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(limit)
        )
        if _supports_skip_locked(session):
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


def _release(session_factory: sessionmaker[Session], claims: list[Claim], t: datetime) -> None:
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


def _record_sent(session_factory: sessionmaker[Session], row_id: int, t: datetime) -> None:
    _update_row(session_factory, row_id, status=OutboxStatus.SENT, sent_at=t, last_error=None)


def _record_retry(session_factory: sessionmaker[Session], row_id: int, next_at: datetime, error: str) -> None:
    _update_row(session_factory, row_id, status=OutboxStatus.PENDING, next_attempt_at=next_at, last_error=error)


def _record_held(session_factory: sessionmaker[Session], row_id: int, hold: Hold, attempts: int) -> None:
    # Not an attempt: the claim's count is given back, so backoff is unchanged.
    _update_row(session_factory, row_id, status=OutboxStatus.PENDING, next_attempt_at=hold.until,
                attempts=attempts, last_error=hold.reason)


def _record_failed(session_factory: sessionmaker[Session], row_id: int, error: str) -> None:
    _update_row(session_factory, row_id, status=OutboxStatus.FAILED, last_error=error)


def _update_row(session_factory: sessionmaker[Session], row_id: int, **values) -> None:
    with session_factory() as session, session.begin():
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == row_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def _expire_unsent(
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


def _count_unsent(session_factory: sessionmaker[Session], campaign: str | None) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.of_campaign(campaign), OutboxMail.status.in_(UNSENT)))


def _hold_due(session_factory: sessionmaker[Session], t: datetime, hold: Hold, campaign: str | None) -> None:
    """The overall limit holds every due row, not just the one that met it: each says why it waits."""
    with session_factory() as session, session.begin():
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.of_campaign(campaign), OutboxMail.status == OutboxStatus.PENDING,
                   OutboxMail.next_attempt_at <= t)
            .values(next_attempt_at=hold.until, last_error=hold.reason)
            .execution_options(synchronize_session=False)
        )


def _key_exists(session: Session, key: str) -> bool:
    return session.scalar(select(OutboxMail.id).where(OutboxMail.idempotency_key == key)) is not None


def _supports_skip_locked(session: Session) -> bool:
    # SQLite has one writer and no row locks; PostgreSQL needs SKIP LOCKED so
    # two flushes don't queue up behind the same row.
    return session.get_bind().dialect.name != "sqlite"


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return redact_text(text)[:MAX_ERROR_CHARS]


def replies_to_address_since(*, session: Session, to_address: str, since: datetime) -> int:
    """How many replies were recorded for one address since ``since`` (a loop and flood guard)."""
    return session.scalar(
        select(func.count())
        .select_from(OutboxMail)
        .where(func.lower(OutboxMail.to_address) == to_address.lower(), OutboxMail.created_at >= since)
    ) or 0
