"""Stored message → attachments → parsed forms → applications → queued replies.

One transaction per message: the attachments, applications and outbox rows
of a message commit together or not at all. A message that fails is marked
``failed`` with its error (staff see it; ``intake retry`` runs it again) and
never blocks the rest of the batch.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import parsers
from intake.worker.applications import (
    FormFound,
    RecordedApplication,
    looks_like_application,
    merge_duplicate_forms,
    record_form,
    record_without_form,
)
from intake.mail.autoreply import no_reply_reason
from intake.core.blobstore import BlobStore
from intake.core.config import Settings
from parsers.sandbox import Limits, map_isolated, parsing_workers
from intake.core.masking import redact_text
from intake.mail.mime import MailAttachment, ParsedMail, parse_mail
from intake.core.models import Attachment, Message
from notifier.replies import queue_reply
from intake.core.statuses import AttachmentStatus, MessageStatus
from parsers.errors import ParseError
from parsers.options import ParseOptions
from parsers.results import FormResult

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


WAITING = (MessageStatus.STORED, MessageStatus.FAILED)


def _read_batch(
    ids: Sequence[int], settings: Settings, *, session_factory: sessionmaker[Session], blobs: BlobStore
) -> dict[int, MessageReading | Exception]:
    """Each message of ``ids`` still waiting, read (attachments parsed), or
    the exception it could not be read for; one another runner took is left out."""
    with session_factory() as session:
        waiting = session.execute(
            select(Message.id, Message.raw_sha256).where(Message.id.in_(ids), Message.status.in_(WAITING))
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
    try:
        with session_factory() as session, session.begin():
            message = session.get(Message, message_id)
            if message is None or message.status not in WAITING:
                return
            outcome = record_message(message, reading, settings, session=session)
    except Exception as exc:  # one bad message must not stop the batch; the row carries the error
        _mark_failed(message_id, exc, session_factory=session_factory, report=report)
        return
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


@dataclass
class AttachmentReading:
    """What was read from one attachment, before anything is written to the database."""

    attachment: MailAttachment
    sha256: str
    kind: str
    status: AttachmentStatus
    reason: str | None = None
    error: str | None = None
    results: list[FormResult] = field(default_factory=list)
    to_parse: bool = False  # sorted, waiting for its parse outcome


@dataclass
class MessageReading:
    mail: ParsedMail
    attachments: list[AttachmentReading]


def parse_options(settings: Settings) -> ParseOptions:
    return ParseOptions(engine=settings.parsing.ocr_engine, review_below=settings.parsing.review_below)


def parse_limits(settings: Settings) -> Limits:
    return Limits(settings.parsing.timeout_seconds, settings.parsing.memory_limit_mb)


def read_messages(raw_sha256s: Sequence[str], settings: Settings, *,
                  blobs: BlobStore) -> list[MessageReading | Exception]:
    """Stored messages read, their attachments parsed together, each file in
    a child process of its own (``parsing.workers`` at once) with the
    configured limits. A message that cannot be read comes back as its
    exception, in its place."""
    readings: list[MessageReading | Exception] = []
    jobs: list[AttachmentReading] = []
    for sha in raw_sha256s:
        try:
            mail = parse_mail(blobs.get(sha))
            attachments = [prepare_attachment(a, settings, blobs=blobs) for a in mail.attachments]
        except Exception as exc:  # noqa: BLE001 - this message fails, the others go on
            readings.append(exc)
            continue
        readings.append(MessageReading(mail=mail, attachments=attachments))
        jobs.extend(reading for reading in attachments if reading.to_parse)
    parse = partial(parsers.parse, options=parse_options(settings))
    outcomes = map_isolated(parse, [(job.attachment.filename, job.attachment.data) for job in jobs],
                            limits=parse_limits(settings), workers=settings.parsing.workers)
    for job, outcome in zip(jobs, outcomes):
        apply_parse_outcome(job, outcome)
    return readings


def prepare_attachment(attachment: MailAttachment, settings: Settings, *, blobs: BlobStore) -> AttachmentReading:
    """The attachment stored and sorted: ``to_parse``, or already labelled
    (not a document, too large)."""
    sha = blobs.put(attachment.data)
    kind = parsers.sniff_kind(attachment.filename, attachment.data)
    reading = AttachmentReading(attachment=attachment, sha256=sha, kind=kind, status=AttachmentStatus.NOT_A_FORM)
    if kind not in parsers.READERS:  # kept and labelled for staff, not parsed
        reading.reason = "not_a_document"
    elif len(attachment.data) > settings.parsing.max_attachment_mb * 1024 * 1024:
        reading.status, reading.reason = AttachmentStatus.UNREADABLE, "too_large"
        reading.error = f"附件超过 {settings.parsing.max_attachment_mb:g} MB 上限，请人工查看原件。"
    else:
        reading.to_parse = True
    return reading


def apply_parse_outcome(reading: AttachmentReading, outcome: list[FormResult] | ParseError) -> None:
    reading.to_parse = False
    if isinstance(outcome, ParseError):
        reading.status, reading.reason, reading.error = AttachmentStatus.UNREADABLE, outcome.reason, str(outcome)[:2000]
        return
    reading.results = outcome
    if not outcome:
        reading.status, reading.reason = AttachmentStatus.NOT_A_FORM, "no_form_fields"
    elif any(result.needs_review for result in outcome):
        reading.status = AttachmentStatus.PARTIAL
    else:
        reading.status = AttachmentStatus.PARSED


@dataclass
class MessageOutcome:
    ignored: bool = False
    applications: list[RecordedApplication] = field(default_factory=list)
    replies_queued: int = 0


def record_message(
    message: Message, reading: MessageReading, settings: Settings, *, session: Session
) -> MessageOutcome:
    mail = reading.mail
    _copy_headers(message, mail)
    campaign = settings.campaign
    message.is_late = message.received_at > campaign.deadline_end()
    own = [settings.smtp.from_address, settings.smtp.username, settings.mailbox.username]
    message.no_reply_reason = no_reply_reason(mail, own_addresses=[a for a in own if a])
    message.attempts += 1

    forms: list[FormFound] = []
    for attachment_reading in reading.attachments:
        row = _attachment_row(attachment_reading, message, session=session)
        forms.extend(FormFound(result=result, attachment_id=row.id) for result in attachment_reading.results)

    outcome = MessageOutcome()
    is_machine_mail = message.no_reply_reason is not None and message.no_reply_reason != "no-address"
    if forms:
        for found in merge_duplicate_forms(forms):
            outcome.applications.append(record_form(session=session, message=message, found=found, campaign=campaign))
    elif not is_machine_mail and looks_like_application(mail.subject, mail.body_text, len(mail.attachments)):
        outcome.applications.append(
            record_without_form(session=session, message=message, campaign=campaign, reason=_formless_reason(message))
        )
    else:
        outcome.ignored = True

    if message.no_reply_reason is None:
        for recorded in outcome.applications:
            if queue_reply(recorded.application, message, mail, settings, session=session):
                outcome.replies_queued += 1

    message.status = MessageStatus.IGNORED if outcome.ignored else MessageStatus.PROCESSED
    message.error = None
    message.processed_at = datetime.now(timezone.utc)
    return outcome


def _copy_headers(message: Message, mail: ParsedMail) -> None:
    message.subject = mail.subject[:2000]
    message.from_name = mail.from_name[:500]
    message.from_address = mail.from_address
    message.reply_address = mail.reply_to_address or mail.from_address
    message.defects = list(mail.defects)[:50]


def _attachment_row(reading: AttachmentReading, message: Message, *, session: Session) -> Attachment:
    attachment = reading.attachment
    row = Attachment(
        message_id=message.id, filename=attachment.filename[:400], content_type=attachment.content_type[:255],
        sha256=reading.sha256, size=len(attachment.data), origin=attachment.origin,
        container=attachment.container[:400] if attachment.container else None, kind=reading.kind,
        status=reading.status, reason=reading.reason, error=reading.error, forms_found=len(reading.results),
    )
    message.attachments.append(row)
    session.flush()
    return row


def _formless_reason(message: Message) -> str:
    unreadable = [a for a in message.attachments if a.status == AttachmentStatus.UNREADABLE]
    if unreadable:
        names = "、".join(a.filename for a in unreadable[:5])
        return f"附件无法读取（{names}），请人工查看原件并录入。"
    if message.attachments:
        return "附件中没有找到报名表，请人工查看原件。"
    return "邮件没有附件，未找到报名表。"
