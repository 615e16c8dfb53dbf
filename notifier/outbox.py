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

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from intake.core import crash_points
from intake.core.config import OutboxSettings, SmtpSettings
from intake.core.masking import redact_text
from intake.core.models import OutboxMail, utcnow
from intake.core.statuses import OutboxStatus, ReplyKind
from notifier.compose import ComposedReply
from notifier.outbox_rows import (MAX_ERROR_CHARS, Claim, claim_due, count_unsent, expire_unsent, hold_due,
                                  record_failed, record_held, record_retry, record_sent, release)
from notifier.send_limits import Hold, SendBudget, waiting_for_limits
from notifier.smtp import PermanentSendError, SendError, SmtpSession, TransientSendError

log = logging.getLogger(__name__)

# Rows claimed in one transaction: fewer commits, and a crash leaves at most
# this many leased (sent late, never twice).
CLAIM_AT_ONCE = 10


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

    def followed_by(self, later: "FlushReport") -> "FlushReport":
        """Two flushes of one account in one poll as one: what each did, and what is left after the later."""
        return FlushReport(
            sent=self.sent + later.sent, retried=self.retried + later.retried, failed=self.failed + later.failed,
            remaining=later.remaining, stopped_by=later.stopped_by or self.stopped_by,
            held=self.held + later.held, held_because=later.held_because or self.held_because,
            stopped_by_limit=later.stopped_by_limit or self.stopped_by_limit,
            waiting_for_limit=later.waiting_for_limit, held_until=later.held_until,
        )

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
        report.failed += expire_unsent(session_factory, now(), expire_after, report.stopped_by, campaign)
    if report.stopped_by_limit is not None:
        hold_due(session_factory, now(), report.stopped_by_limit, campaign)
    report.remaining = count_unsent(session_factory, campaign)
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
        claims = claim_due(session_factory, now(), min(CLAIM_AT_ONCE, policy.batch_size - handled), campaign)
        if not claims:
            return False
        for position, claim in enumerate(claims):
            handled += 1
            try:
                go_on = _send_claimed(claim, session_factory, smtp, policy, expire_after, now=now, send=send,
                                      budget=budget, report=report)
            except BaseException:
                release(session_factory, claims[position + 1:], now())
                raise
            if not go_on:
                release(session_factory, claims[position + 1:], now())
                return False
    return True


def _send_claimed(claim: Claim, session_factory: sessionmaker[Session], smtp: SmtpSettings, policy: OutboxSettings,
                  expire_after: timedelta, *, now: Callable[[], datetime], send: Sender, budget: SendBudget,
                  report: FlushReport) -> bool:
    """Send one claimed row and record what happened; False when nothing else may go now."""
    hold = budget.hold_for(claim.to_address, now())
    if hold is not None:
        record_held(session_factory, claim.row_id, hold, claim.attempts - 1)
        report.held += 1
        report.held_because = hold.reason
        if hold.everyone:
            report.stopped_by_limit = hold
            return False
        return True
    try:
        send(smtp, claim.raw, to_address=claim.to_address)
    except PermanentSendError as exc:
        record_failed(session_factory, claim.row_id, _error_text(exc))
        report.failed += 1
        log.warning("outbox %s failed permanently: %s", claim.row_id, _error_text(exc))
    except TransientSendError as exc:
        t = now()
        if t - claim.created_at >= expire_after:
            record_failed(session_factory, claim.row_id, "expired: " + _error_text(exc))
            report.failed += 1
            log.warning("outbox %s expired after %s attempts", claim.row_id, claim.attempts)
        else:
            record_retry(session_factory, claim.row_id, t + _backoff(policy, claim.attempts), _error_text(exc))
            report.retried += 1
            log.info("outbox %s will retry (attempt %s): %s", claim.row_id, claim.attempts, _error_text(exc))
        if exc.server_wide:
            report.stopped_by = _error_text(exc)
            log.warning("outbox flush stopped: %s", report.stopped_by)
            return False
    except SendError as exc:  # an unclassified SendError: be safe, retry later
        record_retry(session_factory, claim.row_id, now() + _backoff(policy, claim.attempts), _error_text(exc))
        report.retried += 1
    except BaseException as exc:
        # A bug or an interrupt, not a server answer: don't leave the row
        # leased for ten minutes, and let the caller see the traceback.
        record_retry(session_factory, claim.row_id, now() + _backoff(policy, claim.attempts), _error_text(exc))
        raise
    else:
        crash_points.reached("after_smtp_accepted")
        sent_at = now()
        record_sent(session_factory, claim.row_id, sent_at)
        budget.record_sent(claim.to_address, sent_at)
        report.sent += 1
    return True


def _backoff(policy: OutboxSettings, attempts: int) -> timedelta:
    exponent = max(attempts - 1, 0)
    # Cap the exponent first: 2**large overflows float arithmetic.
    seconds = policy.retry_max_seconds if exponent > 60 else policy.retry_base_seconds * 2**exponent
    return timedelta(seconds=min(seconds, policy.retry_max_seconds))


def _key_exists(session: Session, key: str) -> bool:
    return session.scalar(select(OutboxMail.id).where(OutboxMail.idempotency_key == key)) is not None


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
