"""Stored message → parsed mail → attachments stored, sorted and parsed.

Each parsed form gets its second opinions (``second_opinions``) here, where
both the form and the mail it came in are known, so what is stored already
carries them.

Nothing here writes to the database: a message is read (its forms parsed in
child processes, outside any transaction) before ``record`` writes what was
read in one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import parsers
from intake.core.blobstore import BlobStore
from intake.core.config import Settings
from intake.core.statuses import AttachmentStatus
from intake.mail.mime import MailAttachment, ParsedMail, parse_mail
from intake.worker.second_opinions import MailFacts, mail_facts, with_second_opinions
from parsers.errors import ParseError
from parsers.options import ParseOptions
from parsers.results import FormResult
from parsers.sandbox import Limits, map_isolated


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
    return ParseOptions(engine=settings.parsing.ocr_engine, review_below=settings.parsing.review_below,
                        max_file_bytes=round(settings.parsing.max_attachment_mb * 1024 * 1024),
                        allow_unisolated_office=settings.parsing.allow_unisolated_office)


def parse_limits(settings: Settings) -> Limits:
    return Limits(settings.parsing.timeout_seconds, settings.parsing.memory_limit_mb)


def read_messages(raw_sha256s: Sequence[str], settings: Settings, *,
                  blobs: BlobStore) -> list[MessageReading | Exception]:
    """Stored messages read, their attachments parsed together, each file in
    a child process of its own (``parsing.workers`` at once) with the
    configured limits. A message that cannot be read comes back as its
    exception, in its place."""
    readings: list[MessageReading | Exception] = []
    jobs: list[tuple[AttachmentReading, MailFacts]] = []
    for sha in raw_sha256s:
        try:
            mail = parse_mail(blobs.get(sha))
            attachments = [prepare_attachment(a, blobs=blobs) for a in mail.attachments]
        except Exception as exc:  # noqa: BLE001 - this message fails, the others go on
            readings.append(exc)
            continue
        readings.append(MessageReading(mail=mail, attachments=attachments))
        jobs.extend((reading, mail_facts(mail, reading.attachment)) for reading in attachments if reading.to_parse)
    options = parse_options(settings)

    def parse(filename: str, data: bytes, kind: str) -> list[FormResult]:
        return parsers.parse(filename, data, options=options, kind=kind)  # sniffed once, in prepare_attachment

    outcomes = map_isolated(parse, [(job.attachment.filename, job.attachment.data, job.kind) for job, _ in jobs],
                            limits=parse_limits(settings), workers=settings.parsing.workers)
    for (job, facts), outcome in zip(jobs, outcomes):
        apply_parse_outcome(job, outcome, facts)
    return readings


def prepare_attachment(attachment: MailAttachment, *, blobs: BlobStore) -> AttachmentReading:
    """The attachment stored and sorted: ``to_parse``, or labelled as not a
    document (kept for staff). The size cap is the parser's, from the options."""
    sha = blobs.put(attachment.data)
    kind = parsers.sniff_kind(attachment.filename, attachment.data)
    reading = AttachmentReading(attachment=attachment, sha256=sha, kind=kind, status=AttachmentStatus.NOT_A_FORM)
    if kind not in parsers.READERS:  # kept and labelled for staff, not parsed
        reading.reason = "not_a_document"
    else:
        reading.to_parse = True
    return reading


def apply_parse_outcome(reading: AttachmentReading, outcome: list[FormResult] | ParseError,
                        facts: MailFacts | None = None) -> None:
    """``facts``: the mail around the attachment, for the forms' second opinions."""
    reading.to_parse = False
    if isinstance(outcome, ParseError):
        reading.status, reading.reason, reading.error = AttachmentStatus.UNREADABLE, outcome.reason, str(outcome)[:2000]
        return
    if facts is not None:
        outcome = [with_second_opinions(result, facts) for result in outcome]
    reading.results = outcome
    if not outcome:
        reading.status, reading.reason = AttachmentStatus.NOT_A_FORM, "no_form_fields"
    elif any(result.needs_review for result in outcome):
        reading.status = AttachmentStatus.PARTIAL
    else:
        reading.status = AttachmentStatus.PARSED


