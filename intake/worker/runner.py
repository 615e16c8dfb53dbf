"""Runs the stored messages through reading and recording, a batch at a time.

Batches (several messages' attachments parsed at once, one child process
per CPU), commits and failure marking live here; what one message becomes
is ``record.record_message``. One transaction per message: the attachments,
applications and outbox rows of a message commit together or not at all. A
message that fails is marked ``failed`` with its error (staff see it;
``intake retry`` runs it again) and never blocks the rest of the batch.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import parsers
from intake.core import crash_points
from intake.core.blobstore import BlobStore
from intake.core.config import Settings
from intake.core.masking import redact_text
from intake.core.models import Message
from intake.core.statuses import MessageStatus
from intake.worker.reading import MessageReading, read_messages
from intake.worker.record import record_message
from parsers.sandbox import parsing_workers

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
) -> ProcessReport:
    wanted = [MessageStatus.STORED] + ([MessageStatus.FAILED] if include_failed else [])
    with session_factory() as session:
        ids = session.scalars(select(Message.id).where(Message.status.in_(wanted)).order_by(Message.id)).all()
    report = ProcessReport()
    if ids:
        parsers.preload()
    # Messages are read a batch at a time so the attachments of several can
    # be parsed at once (one child process per file, one per CPU); each is
    # then recorded in its own transaction, in order.
    batch_size = BATCH_PER_WORKER * parsing_workers(settings.parsing.workers)
    done = 0
    for start in range(0, len(ids), batch_size):
        batch = ids[start:start + batch_size]
        readings = _read_batch(batch, settings, session_factory=session_factory, blobs=blobs)
        for message_id in batch:
            _record_reading(message_id, readings.get(message_id), settings, session_factory=session_factory,
                            report=report)
            done += 1
            if progress:
                progress(done, len(ids))
    return report


BATCH_PER_WORKER = 4  # messages read per parsing worker before they are recorded


TO_PROCESS = (MessageStatus.STORED, MessageStatus.FAILED)


def _read_batch(
    ids: Sequence[int], settings: Settings, *, session_factory: sessionmaker[Session], blobs: BlobStore
) -> dict[int, MessageReading | Exception]:
    """Each message of ``ids`` still waiting, read (attachments parsed), or
    the exception it could not be read for; one another runner took is left out."""
    with session_factory() as session:
        waiting = session.execute(
            select(Message.id, Message.raw_sha256).where(Message.id.in_(ids), Message.status.in_(TO_PROCESS))
        ).all()
    # Parsing (child processes, up to a minute and a half per file) happens
    # outside any write transaction, so the database stays free for staff.
    readings = read_messages([sha for _, sha in waiting], settings, blobs=blobs)
    return {message_id: reading for (message_id, _), reading in zip(waiting, readings)}


def _record_reading(
    message_id: int, reading: MessageReading | Exception | None, settings: Settings, *,
    session_factory: sessionmaker[Session], report: ProcessReport,
) -> None:
    if reading is None:
        return
    if isinstance(reading, Exception):
        _mark_failed(message_id, reading, session_factory=session_factory, report=report)
        return
    crash_points.reached("before_record")
    try:
        with session_factory() as session, session.begin():
            message = session.get(Message, message_id)
            if message is None or message.status not in TO_PROCESS:
                return
            outcome = record_message(message, reading, settings, session=session)
    except Exception as exc:  # one bad message must not stop the batch; the row carries the error
        _mark_failed(message_id, exc, session_factory=session_factory, report=report)
        return
    crash_points.reached("after_record_commit")
    if outcome.ignored:
        report.ignored += 1
    else:
        report.processed += 1
    report.applications_created += sum(1 for r in outcome.applications if r.created)
    report.applications_updated += sum(1 for r in outcome.applications if not r.created)
    report.replies_queued += outcome.replies_queued


def _mark_failed(message_id: int, exc: Exception, *, session_factory: sessionmaker[Session],
                 report: ProcessReport) -> None:
    error = redact_text(f"{type(exc).__name__}: {exc}")[:2000]
    log.error("message %s failed: %s", message_id, error)
    log.debug("traceback of message %s", message_id, exc_info=exc)
    with session_factory() as session, session.begin():
        message = session.get(Message, message_id)
        if message is not None:
            message.status = MessageStatus.FAILED
            message.error = error
            message.attempts += 1
    report.failed += 1
    report.errors.append(f"message {message_id}: {error}")


