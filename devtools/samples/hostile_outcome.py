"""What intake made of the hostile mailbox, read back from its database and the SMTP server, and checked.

    read_outcomes(database_url, uids, received) -> dict[key, MailOutcome]
    problems(mail, outcome, outcomes) -> list[str]     # empty: as the table expects
    recipient_problems(outcome) -> list[str]           # every reply: one recipient, the stored one
    stray_replies(outcomes, received) -> list[str]     # mail the SMTP server got that no outbox row explains
    unsafe_filename(name) -> str | None

``uids`` maps each hostile mail's key to the UID its APPEND got; ``received``
is what the SMTP server was handed (``SmtpSink.messages``). The rules every
mail must keep (a terminal status, a status for every attachment, safe
stored names, at most one reply, and every reply to exactly one recipient,
the stored one) are checked for each mail beside what its row expects.
"""
from __future__ import annotations

import email
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.utils import getaddresses
from pathlib import PurePosixPath

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from devtools.samples.hostile import NO_REPLY, REPLY_OWED, HostileMail
from intake.core.models import Application, ApplicationVersion, Attachment, MailboxEntry, Message, OutboxMail

NOT_TERMINAL = {"stored", "failed"}  # nothing done yet / processing raised
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
_ADDRESS_HEADERS = ("to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc")
_TOO_LARGE_WORDS = ("too_large", "too large", "过大", "超过", "超出", "size")


@dataclass
class AttachmentOutcome:
    filename: str
    kind: str
    status: str | None
    reason: str | None
    origin: str


@dataclass
class ReplyOutcome:
    kind: str
    status: str
    to_address: str
    attempts: int
    last_error: str | None
    envelope: list[str] | None        # RCPT TO as the SMTP server got it; None: never arrived there
    header_recipients: list[str]      # every address in To/Cc/Bcc of the composed mail
    headers: list[tuple[str, str]]


@dataclass
class MailOutcome:
    key: str
    uid: int | None
    message_id: int | None = None     # the message row (None: never stored)
    status: str | None = None
    no_reply_reason: str | None = None
    error: str | None = None
    defects: list[str] = field(default_factory=list)
    subject: str = ""
    from_address: str | None = None
    reply_address: str | None = None
    attachments: list[AttachmentOutcome] = field(default_factory=list)
    replies: list[ReplyOutcome] = field(default_factory=list)
    application_ids: set[int] = field(default_factory=set)
    field_text: str = ""              # every field of its applications, joined


def _value(status) -> str | None:
    return None if status is None else getattr(status, "value", str(status))


def read_outcomes(database_url: str, uids: dict[str, int | None], received) -> dict[str, MailOutcome]:
    by_message_id = {}
    for mail in received:
        by_message_id.setdefault(str(mail.message.get("Message-ID", "")).strip(), mail)
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            return {key: _outcome(session, key, uid, by_message_id) for key, uid in uids.items()}
    finally:
        engine.dispose()


def _outcome(session: Session, key: str, uid: int | None, sent_by_id: dict) -> MailOutcome:
    outcome = MailOutcome(key, uid)
    entry = session.scalars(select(MailboxEntry).where(MailboxEntry.uid == uid)).first() if uid else None
    message = session.get(Message, entry.message_id) if entry else None
    if message is None:
        return outcome
    outcome.message_id, outcome.status = message.id, _value(message.status)
    outcome.no_reply_reason, outcome.error, outcome.defects = message.no_reply_reason, message.error, list(
        message.defects or [])
    outcome.subject, outcome.from_address, outcome.reply_address = message.subject or "", message.from_address, \
        message.reply_address
    outcome.attachments = [AttachmentOutcome(a.filename, a.kind, _value(a.status), a.reason, a.origin)
                           for a in session.scalars(select(Attachment).where(Attachment.message_id == message.id))]
    for row in session.scalars(select(OutboxMail).where(OutboxMail.source_message_id == message.id)):
        composed = email.message_from_bytes(row.raw, policy=policy.default)
        headers = [(name, str(value)) for name, value in composed.items()]
        recipients = [address for _, address in getaddresses(
            [value for name, value in headers if name.lower() in _ADDRESS_HEADERS])]
        arrived = sent_by_id.get(row.message_id_header.strip())
        outcome.replies.append(ReplyOutcome(_value(row.kind), _value(row.status), row.to_address, row.attempts,
                                            row.last_error, list(arrived.rcpt_tos) if arrived else None, recipients,
                                            headers))
    applications = set(session.scalars(select(ApplicationVersion.application_id)
                                       .where(ApplicationVersion.message_id == message.id)))
    applications |= set(session.scalars(select(Application.id).where(Application.message_id == message.id)))
    outcome.application_ids = applications
    fields = session.scalars(select(Application.fields).where(Application.id.in_(applications))).all() \
        if applications else []
    outcome.field_text = "\n".join(str(value) for values in fields for value in (values or {}).values())
    return outcome


def unsafe_filename(name: str) -> str | None:
    """Why a stored attachment name is unsafe to write or show, or None."""
    if name in ("", ".", ".."):
        return "empty or a dot name"
    if "/" in name or "\\" in name:
        return "contains a path separator"
    odd = [char for char in name if unicodedata.category(char) in ("Cc", "Cf")]
    if odd:
        return f"contains control or invisible characters {[hex(ord(c)) for c in odd]}"
    if len(name.encode("utf-8")) > 255:
        return f"{len(name.encode('utf-8'))} bytes long"
    if PurePosixPath(name).stem.split(".")[0].strip().lower() in _WINDOWS_DEVICES:
        return "a Windows device name"
    return None


def recipient_problems(outcome: MailOutcome) -> list[str]:
    """The rule for every reply: exactly one recipient, in the headers and on the envelope, the stored sender."""
    found = []
    own = {address.lower() for address in (outcome.from_address, outcome.reply_address) if address}
    for reply in outcome.replies:
        to = reply.to_address.lower()
        if to not in own:
            found.append(f"reply to {reply.to_address}, not the stored sender {sorted(own)}")
        if [r.lower() for r in reply.header_recipients] != [to]:
            found.append(f"reply headers name {reply.header_recipients}, not just {reply.to_address}")
        if reply.envelope is not None and [r.lower() for r in reply.envelope] != [to]:
            found.append(f"reply envelope RCPT TO {reply.envelope}, not just {reply.to_address}")
    return found


def _reply_problems(mail: HostileMail, outcome: MailOutcome) -> list[str]:
    found, expected = [], mail.expected
    replies = outcome.replies
    if expected.reply == NO_REPLY and replies:
        found.append(f"no reply expected, {len(replies)} queued ({', '.join(r.kind for r in replies)})")
    if expected.reply == REPLY_OWED and len(replies) != 1:
        found.append(f"one reply owed, {len(replies)} queued")
    elif len(replies) > 1:
        found.append(f"{len(replies)} replies to one mail")
    found += recipient_problems(outcome)
    for reply in replies:
        if expected.reply_to and reply.to_address.lower() not in expected.reply_to:
            found.append(f"reply to {reply.to_address}, allowed only {list(expected.reply_to)}")
        if reply.status == "failed" or reply.last_error:
            found.append(f"reply {reply.status} after {reply.attempts} attempts: {(reply.last_error or '')[:120]}")
        if expected.never_in_reply_headers:
            leaked = [name for name, value in reply.headers if name.lower() != "subject"
                      and expected.never_in_reply_headers in value.lower()]
            if leaked:
                found.append(f"reply headers {leaked} carry {expected.never_in_reply_headers!r}")
    return found


def _attachment_problems(mail: HostileMail, outcome: MailOutcome) -> list[str]:
    found, expected = [], mail.expected
    for attachment in outcome.attachments:
        name = attachment.filename
        if attachment.status is None:
            found.append(f"attachment {name!r} has no status")
        if why := unsafe_filename(name):
            found.append(f"stored filename {name[:60]!r} {why}")
        if expected.attachment and attachment.status != expected.attachment:
            found.append(f"{name[:40]!r}: status {attachment.status} ({attachment.reason}), "
                         f"expected {expected.attachment}")
        if expected.reason and attachment.reason != expected.reason:
            found.append(f"{name[:40]!r}: reason {attachment.reason}, expected {expected.reason}")
        if expected.kind and attachment.kind != expected.kind:
            found.append(f"{name[:40]!r}: kind {attachment.kind}, expected {expected.kind}")
        if expected.not_kind and attachment.kind == expected.not_kind:
            found.append(f"{name[:40]!r}: taken as {attachment.kind}")
    if (expected.attachment or expected.kind or expected.filename) and not outcome.attachments:
        found.append("the hostile attachment was not stored at all")
    if expected.filename and expected.filename not in [a.filename for a in outcome.attachments]:
        found.append(f"stored names {[a.filename for a in outcome.attachments]}, expected {expected.filename!r}")
    return found


def problems(mail: HostileMail, outcome: MailOutcome, outcomes: dict[str, MailOutcome]) -> list[str]:
    """How intake's handling of ``mail`` differs from what its row expects (and the rules for every mail)."""
    expected = mail.expected
    if outcome.message_id is None:
        return ["never stored (no message row for its UID)"]
    found = []
    if outcome.status in NOT_TERMINAL:
        found.append(f"status {outcome.status}" + (f": {outcome.error[:160]}" if outcome.error else ""))
    found += _attachment_problems(mail, outcome)
    if expected.same_message_as:
        first = outcomes[expected.same_message_as]
        if outcome.message_id != first.message_id:
            found.append(f"not linked to {expected.same_message_as} "
                         f"(message {outcome.message_id}, not {first.message_id})")
    else:
        found += _reply_problems(mail, outcome)
    if expected.separate_from:
        other = outcomes[expected.separate_from]
        if outcome.message_id == other.message_id:
            found.append(f"merged into {expected.separate_from}'s message")
        elif not outcome.application_ids or outcome.application_ids & other.application_ids:
            found.append(f"no application of its own (applications {sorted(outcome.application_ids)})")
    if expected.defects and not outcome.defects:
        found.append("no defect recorded")
    if expected.too_large:
        flagged = " ".join([outcome.status or "", outcome.no_reply_reason or "", outcome.error or "", *outcome.defects])
        if not any(word in flagged.lower() for word in _TOO_LARGE_WORDS):
            found.append(f"not flagged too large (status {outcome.status}, {len(outcome.attachments)} attachments)")
    if expected.subject_contains and expected.subject_contains not in outcome.subject:
        found.append(f"subject stored as {outcome.subject!r}")
    if expected.never_in_fields and expected.never_in_fields in outcome.field_text:
        found.append(f"an application field contains {expected.never_in_fields!r}")
    return found


def stray_replies(outcomes: dict[str, MailOutcome], received) -> list[str]:
    """Mail the SMTP server got that is not one of the replies the outbox rows recorded."""
    known = {(reply.to_address.lower(), reply.kind) for outcome in outcomes.values() for reply in outcome.replies}
    stray = []
    for mail in received:
        rcpts = [r.lower() for r in mail.rcpt_tos]
        kind = str(mail.message.get("X-Intake-Outbox", ""))
        if len(rcpts) != 1 or (rcpts[0], kind) not in known:
            stray.append(f"{kind or 'mail'} to {mail.rcpt_tos} ({mail.message.get('Subject', '')!s:.60})")
    return stray
