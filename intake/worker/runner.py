"""Runs the stored messages through reading and recording, as a stream.

Reading (a message's attachments parsed in the pool of parse children,
``reading.MessageReader``) runs a few messages ahead of recording, so the
children parse while the worker writes; what one message becomes is
``record.record_message``. Each message is recorded in a savepoint of its
own: its attachments, applications and outbox rows are kept together or not
at all. Messages already read are recorded together in one transaction (up
to ``RECORD_GROUP``, one commit for them all), never one that would wait for
a parse: no transaction stays open while a file is parsed. A message that
fails is marked ``failed`` with its error (staff see it; ``intake retry``
runs it again) and never blocks the rest.

Attachments are stored as messages are read, written to disk in the
background (``BlobStore.write_behind``); each group waits until they are
durable right before its commit, so no row ever names a blob a crash could
lose. A disk that fails then fails the run, not the messages: they stay
waiting for the next.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from intake.core import crash_points
from intake.core.blobstore import BlobStore, WriteBehind
from intake.core.config import Settings
from intake.core.masking import redact_text
from intake.core.models import Message
from intake.core.statuses import MessageStatus
from intake.worker.reading import MessageReader, MessageReading, parse_options, parse_pool
from intake.worker.record import MessageOutcome, record_message
from parsers.sandbox import ParsePool, parsing_workers

log = logging.getLogger(__name__)


Progress = Callable[[int, int], None]


@dataclass
class ProcessReport:
    processed: int = 0
    ignored: int = 0
    failed: int = 0
    applications_created: int = 0
    applications_updated: int = 0
    replies_queued: int = 0
    errors: list[str] = field(default_factory=list)


def process_stored_messages(
    settings: Settings,
    *,
    session_factory: sessionmaker[Session],
    blobs: BlobStore,
    include_failed: bool = False,
    progress: Progress | None = None,
    message_ids: Sequence[int] | None = None,
    pool: ParsePool | None = None,
    after_commit: Callable[[ProcessReport], None] | None = None,
) -> ProcessReport:
    """Every stored message (or those of ``message_ids`` still waiting), read
    and recorded; ``pool``: parse children to use (default: a pool of its own);
    ``after_commit``: called with the report so far after each group of
    messages is committed (a poll sends the replies they queued)."""
    wanted = [MessageStatus.STORED] + ([MessageStatus.FAILED] if include_failed else [])
    query = select(Message.id, Message.raw_sha256, Message.campaign).where(Message.status.in_(wanted)) \
        .order_by(Message.id)
    if message_ids is not None:
        query = query.where(Message.id.in_(list(message_ids)))
    with session_factory() as session:
        waiting = session.execute(query).all()
    report = ProcessReport()
    if not waiting:
        return report
    done = 0  # the parse template preloads the readers, not this process
    with ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(parse_pool(settings))
        attachment_blobs = stack.enter_context(blobs.write_behind())
        ahead = READ_AHEAD_PER_WORKER * parsing_workers(settings.parsing.workers)
        # Each campaign's files read with its own choices (its counties).
        options = {campaign.name: parse_options(settings, campaign) for campaign in settings.campaigns}
        reader = MessageReader(((message_id, sha, options.get(campaign) or parse_options(settings))
                                for message_id, sha, campaign in waiting),
                               blobs=attachment_blobs, pool=pool, ahead=ahead)
        for first in reader:
            for _ in _record_group(first, reader, settings, session_factory=session_factory,
                                   attachment_blobs=attachment_blobs, report=report):
                done += 1
                if progress:
                    progress(done, len(waiting))
            if after_commit is not None:
                after_commit(report)
    return report


READ_AHEAD_PER_WORKER = 16  # messages read (attachments handed to the children) per parsing worker
RECORD_GROUP = 50  # messages already read that are recorded in one transaction

TO_PROCESS = (MessageStatus.STORED, MessageStatus.FAILED)


def _record_group(first: tuple[int, MessageReading | Exception], reader: MessageReader, settings: Settings, *,
                  session_factory: sessionmaker[Session], attachment_blobs: WriteBehind,
                  report: ProcessReport) -> list[int]:
    """``first`` and the messages after it that are read already, recorded
    and committed together, once the attachments they name are durable; their ids, once committed."""
    outcomes: list[tuple[int, MessageOutcome | Exception | None]] = []
    with session_factory() as session, session.begin():
        message_id, reading = first
        while True:
            outcomes.append((message_id, _record_one(message_id, reading, settings, session=session)))
            # Only what is read already: a parse may take a minute, the transaction must not wait for it.
            if len(outcomes) >= RECORD_GROUP or not reader.next_is_ready():
                break
            message_id, reading = next(reader)
        attachment_blobs.flush()
    for message_id, outcome in outcomes:
        if isinstance(outcome, MessageOutcome):
            crash_points.reached("after_record_commit")
        _count(message_id, outcome, report)
    return [message_id for message_id, _ in outcomes]


def _record_one(message_id: int, reading: MessageReading | Exception, settings: Settings, *,
                session: Session) -> MessageOutcome | Exception | None:
    """What the message became; the exception it failed with (it is marked
    ``failed``); None when it is no longer waiting (another run took it).

    The row is locked for the transaction: of two workers that read the same
    message (a job run again after its worker seemed dead), the second waits
    for the first's commit and then finds it recorded."""
    message = session.get(Message, message_id, with_for_update=True, populate_existing=True)
    if message is None or message.status not in TO_PROCESS:
        return None
    # A message still waiting has no attachment rows: only the savepoint that
    # records it writes them, and a failed one is rolled back. No query need say so.
    set_committed_value(message, "attachments", [])
    if isinstance(reading, Exception):
        error: Exception = reading
    else:
        crash_points.reached("before_record")
        try:
            with session.begin_nested():
                return record_message(message, reading, settings, session=session)
        except Exception as exc:  # one bad message must not stop the rest; the row carries the error
            error = exc
    message = session.get(Message, message_id)
    message.status = MessageStatus.FAILED
    message.error = _error_text(error)
    message.attempts += 1
    log.debug("traceback of message %s", message_id, exc_info=error)
    return error


def _count(message_id: int, outcome: MessageOutcome | Exception | None, report: ProcessReport) -> None:
    if outcome is None:
        return
    if isinstance(outcome, Exception):
        error = _error_text(outcome)
        log.error("message %s failed: %s", message_id, error)
        report.failed += 1
        report.errors.append(f"message {message_id}: {error}")
        return
    if outcome.ignored:
        report.ignored += 1
    else:
        report.processed += 1
    report.applications_created += sum(1 for r in outcome.applications if r.created)
    report.applications_updated += sum(1 for r in outcome.applications if not r.created)
    report.replies_queued += outcome.replies_queued


def _error_text(exc: Exception) -> str:
    return redact_text(f"{type(exc).__name__}: {exc}")[:2000]
