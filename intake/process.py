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
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import parsers
from intake.applications import (
    FormFound,
    RecordedApplication,
    looks_like_application,
    merge_duplicate_forms,
    record_form,
    record_without_form,
)
from intake.autoreply import no_reply_reason
from intake.blobstore import BlobStore
from intake.config import Settings
from intake.isolation import Limits, run_isolated
from intake.masking import redact_text
from intake.mime import MailAttachment, ParsedMail, parse_mail
from intake.models import Attachment, Message
from intake.replies import queue_reply
from intake.statuses import AttachmentStatus, MessageStatus
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
    for index, message_id in enumerate(ids, start=1):
        _process_with_isolation(message_id, settings, session_factory=session_factory, blobs=blobs, report=report)
        if progress:
            progress(index, len(ids))
    return report


def _process_with_isolation(
    message_id: int, settings: Settings, *, session_factory: sessionmaker[Session], blobs: BlobStore,
    report: ProcessReport,
) -> None:
    try:
        with session_factory() as session:
            message = session.get(Message, message_id)
            if message is None or message.status not in (MessageStatus.STORED, MessageStatus.FAILED):
                return  # another runner got there first
            raw_sha256 = message.raw_sha256
        # Parsing (child processes, up to a minute per file) happens outside the
        # write transaction, so the database stays free for staff meanwhile.
        reading = read_message(blobs.get(raw_sha256), settings, blobs=blobs)
        with session_factory() as session, session.begin():
            message = session.get(Message, message_id)
            if message is None or message.status not in (MessageStatus.STORED, MessageStatus.FAILED):
                return
            outcome = record_message(message, reading, settings, session=session)
    except Exception as exc:  # one bad message must not stop the batch; the row carries the error
        error = redact_text(f"{type(exc).__name__}: {exc}")[:2000]
        log.error("message %s failed: %s", message_id, error)
        log.debug("traceback of message %s", message_id, exc_info=True)
        with session_factory() as session, session.begin():
            message = session.get(Message, message_id)
            if message is not None:
                message.status = MessageStatus.FAILED
                message.error = error
                message.attempts += 1
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


@dataclass
class MessageReading:
    mail: ParsedMail
    attachments: list[AttachmentReading]


ParseFile = Callable[[str, bytes], list[FormResult]]


def isolated_parser(settings: Settings) -> ParseFile:
    """``parsers.parse`` with the configured options, in a child with the configured limits."""
    parse = partial(
        parsers.parse,
        options=ParseOptions(engine=settings.parsing.ocr_engine, review_below=settings.parsing.review_below),
    )
    limits = Limits(settings.parsing.timeout_seconds, settings.parsing.memory_limit_mb)
    return lambda filename, data: run_isolated(parse, filename, data, limits=limits)


def read_message(raw: bytes, settings: Settings, *, blobs: BlobStore) -> MessageReading:
    mail = parse_mail(raw)
    parse_file = isolated_parser(settings)
    return MessageReading(
        mail=mail,
        attachments=[read_attachment(a, settings, blobs=blobs, parse_file=parse_file) for a in mail.attachments],
    )


def read_attachment(
    attachment: MailAttachment, settings: Settings, *, blobs: BlobStore, parse_file: ParseFile
) -> AttachmentReading:
    sha = blobs.put(attachment.data)
    kind = parsers.sniff_kind(attachment.filename, attachment.data)
    reading = AttachmentReading(attachment=attachment, sha256=sha, kind=kind, status=AttachmentStatus.NOT_A_FORM)
    if kind not in parsers.READERS:  # kept and labelled for staff, not parsed
        reading.reason = "not_a_document"
    elif len(attachment.data) > settings.parsing.max_attachment_mb * 1024 * 1024:
        reading.status, reading.reason = AttachmentStatus.UNREADABLE, "too_large"
        reading.error = f"附件超过 {settings.parsing.max_attachment_mb:g} MB 上限，请人工查看原件。"
    else:
        try:
            reading.results = parse_file(attachment.filename, attachment.data)
        except ParseError as exc:
            reading.status, reading.reason, reading.error = AttachmentStatus.UNREADABLE, exc.reason, str(exc)[:2000]
        else:
            if not reading.results:
                reading.reason = "no_form_fields"
            elif any(result.needs_review for result in reading.results):
                reading.status = AttachmentStatus.PARTIAL
            else:
                reading.status = AttachmentStatus.PARSED
    return reading


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
