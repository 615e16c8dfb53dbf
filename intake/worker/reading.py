"""Stored message → parsed mail → attachments stored, sorted and parsed.

Each parsed form gets its second opinions (``second_opinions``) here, where
both the form and the mail it came in are known, so what is stored already
carries them.

Nothing here writes to the database: a message is read (its forms parsed in
child processes, outside any transaction) before ``record`` writes what was
read in one transaction.

``MessageReader`` reads a stream of stored messages a few ahead of the one
the caller records, so the parse children work while the worker writes;
every file is parsed in a fresh child of its own (``parse_pool``), forked
from a warm template, with the configured limits: no file is read in a
process that has read another applicant's.
"""
from __future__ import annotations

import functools
from collections import deque
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import parsers
from intake.core.blobstore import BlobStore
from intake.core.config import CampaignSettings, Settings
from intake.core.statuses import AttachmentStatus
from intake.mail.mime import MailAttachment, ParsedMail, parse_mail
from intake.worker.second_opinions import MailFacts, mail_facts, with_second_opinions
from parsers.errors import ParseError
from parsers.options import ParseOptions
from parsers.results import FormResult
from parsers.sandbox import Limits, ParsePool


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
    parse_seconds: float | None = None  # how long its parse ran in its child


@dataclass
class MessageReading:
    mail: ParsedMail
    attachments: list[AttachmentReading]


def parse_options(settings: Settings, campaign: CampaignSettings | None = None) -> ParseOptions:
    """How files are read; for a campaign's mail, with its counties as the county field's options."""
    return ParseOptions(engine=settings.parsing.ocr_engine, review_below=settings.parsing.review_below,
                        max_file_bytes=round(settings.parsing.max_attachment_mb * 1024 * 1024),
                        allow_unisolated_office=settings.parsing.allow_unisolated_office,
                        choices={"county": tuple(campaign.counties)} if campaign is not None else {})


def parse_limits(settings: Settings) -> Limits:
    return Limits(settings.parsing.timeout_seconds, settings.parsing.memory_limit_mb)


@contextmanager
def parse_pool(settings: Settings) -> Iterator[ParsePool]:
    """Parse children (``parsing.workers`` at once) with the configured limits
    and options; ``parsers.parse`` itself, so the template they are forked
    from is a fresh interpreter holding nothing of the worker's."""
    parse = functools.partial(parsers.parse, options=parse_options(settings))
    with ParsePool(parse, limits=parse_limits(settings), workers=settings.parsing.workers,
                   fresh_template=True) as pool:
        yield pool


@dataclass
class _Reading:
    key: Hashable
    reading: MessageReading | Exception
    parsing: dict[int, tuple[AttachmentReading, MailFacts]]  # by the pool's ticket


class MessageReader:
    """Stored messages, given as (key, raw sha256, parse options of the
    message's campaign), read in that order: up to ``ahead`` of them are
    read and their attachments handed to the parse children before the
    first is asked for. A message that cannot be read comes back as its
    exception, in its place."""

    def __init__(self, messages: Iterable[tuple[Hashable, str, ParseOptions]], *, blobs: BlobStore,
                 pool: ParsePool, ahead: int) -> None:
        self._messages = iter(messages)
        self._blobs, self._pool, self._ahead = blobs, pool, max(1, ahead)
        self._reading: deque[_Reading] = deque()
        self._by_ticket: dict[int, _Reading] = {}
        self._exhausted = False

    def __iter__(self) -> "MessageReader":
        return self

    def __next__(self) -> tuple[Hashable, MessageReading | Exception]:
        self._read_ahead()
        if not self._reading:
            raise StopIteration
        while self._reading[0].parsing:
            self._apply(self._pool.collect())
        head = self._reading.popleft()
        self._read_ahead()
        return head.key, head.reading

    def next_is_ready(self) -> bool:
        """Whether the next message is read already (never waits: it only hands the children more work)."""
        self._read_ahead()
        self._apply(self._pool.collect(timeout=0))
        return bool(self._reading) and not self._reading[0].parsing

    def _read_ahead(self) -> None:
        while not self._exhausted and len(self._reading) < self._ahead:
            try:
                key, raw_sha256, options = next(self._messages)
            except StopIteration:
                self._exhausted = True
                return
            entry = _Reading(key, self._read_one(raw_sha256), {})
            if isinstance(entry.reading, MessageReading):
                mail = entry.reading.mail
                for attachment in entry.reading.attachments:
                    if not attachment.to_parse:
                        continue
                    refusal = parsers.refused_unread(attachment.attachment.data, options)
                    if refusal is not None:  # empty or over the cap: no child needed to say so
                        apply_parse_outcome(attachment, refusal)
                        continue
                    ticket = self._pool.submit(  # the kind sniffed once, in prepare_attachment
                        (attachment.attachment.filename, attachment.attachment.data),
                        {"kind": attachment.kind, "options": options},
                        office_only=attachment.kind in parsers.OFFICE_KINDS)
                    entry.parsing[ticket] = (attachment, mail_facts(mail, attachment.attachment))
                    self._by_ticket[ticket] = entry
            self._reading.append(entry)

    def _read_one(self, raw_sha256: str) -> MessageReading | Exception:
        try:
            mail = parse_mail(self._blobs.get(raw_sha256))
            return MessageReading(mail=mail, attachments=[prepare_attachment(a, blobs=self._blobs)
                                                          for a in mail.attachments])
        except Exception as exc:  # noqa: BLE001 - this message fails, the others go on
            return exc

    def _apply(self, finished: list[tuple[int, list[FormResult] | ParseError]]) -> None:
        for ticket, outcome in finished:
            entry = self._by_ticket.pop(ticket)
            attachment, facts = entry.parsing.pop(ticket)
            apply_parse_outcome(attachment, outcome, facts)
            attachment.parse_seconds = self._pool.seconds.pop(ticket, None)


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


