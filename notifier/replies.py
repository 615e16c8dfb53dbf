"""Decide the one reply an incoming mail is owed and queue it in the outbox.

Exactly one reply per mail that asks for one, decided from stored rows
alone: the message (its lateness, subject, Message-ID and References) and
the application versions it produced (``ApplicationVersion.message_id``).
A mail that created an application is acknowledged; one that updated an
application gets "更新已收到" with what changed, or the incomplete notice
again when its form still lacks required fields; one from another sender
with an ID number on file is told staff will check; one with several forms
gets one reply listing each; one after the deadline gets the late notice;
one without any application (a question) gets the inquiry reply.

The outbox idempotency key is per incoming message, so a re-run, a retry or
a duplicate delivery never sends a second copy. Staff decisions have their
own keys, per application (``reply_key``, used by ``staff_notices``).
"""
from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.core.config import CampaignSettings
from intake.core.models import Application, ApplicationVersion, Message
from intake.core.statuses import AttachmentStatus, ReplyKind
from notifier.compose import ReplyApplication, ReplyContext, checked_address, compose
from notifier.outbox import enqueue, outbox_message_id, replies_to_address_since
from parsers.schema import load_schema

log = logging.getLogger(__name__)

# An HR office may send a handful of colleagues' forms in a day; more replies
# than this to one address in a day means a loop or a flood, not applicants.
MAX_REPLIES_PER_ADDRESS_PER_DAY = 20


class Outcome(str, enum.Enum):
    """What one mail did to one application."""

    NEW = "new"
    UPDATE = "update"
    POSSIBLE_DUPLICATE = "possible_duplicate"


@dataclass
class MessageItem:
    """One application as one mail left it (its version from that mail)."""

    outcome: Outcome
    form_read: bool  # a form was read from this mail (else: unreadable, or documents/words only)
    missing_fields: list[str] = field(default_factory=list)  # still missing after this mail
    changed_fields: list[str] = field(default_factory=list)  # changed by this mail (an update)
    files_unreadable: bool = False  # the mail's files could not be opened (corrupt, encrypted…)
    application: Application | None = None


def reply_kind_for_message(*, is_late: bool, items: list[MessageItem]) -> ReplyKind:
    """The one reply a mail gets, from what it did (pure)."""
    if not items:
        return ReplyKind.INQUIRY
    if is_late:
        return ReplyKind.LATE
    if len(items) > 1:
        return ReplyKind.SEVERAL
    [item] = items
    if item.outcome == Outcome.POSSIBLE_DUPLICATE:
        return ReplyKind.POSSIBLE_DUPLICATE
    if item.form_read and item.missing_fields:
        return ReplyKind.INCOMPLETE
    if item.outcome == Outcome.NEW and not item.form_read and item.files_unreadable:
        return ReplyKind.INCOMPLETE  # nobody can read them, staff included: the applicant must send again
    if item.outcome == Outcome.UPDATE:
        return ReplyKind.UPDATE
    return ReplyKind.ACKNOWLEDGEMENT


def message_reply_key(campaign: str, message: Message) -> str:
    return f"{campaign}:message-{message.id}:reply"


def reply_key(application: Application, kind: ReplyKind) -> str:
    """The key of a reply about one application (staff notices add their decision's id)."""
    return f"{application.campaign}:application-{application.id}:{kind.value}"


def message_items(message: Message, *, session: Session) -> list[MessageItem]:
    """What the mail did to each application, from the versions it produced, in the order recorded."""
    versions = session.scalars(
        select(ApplicationVersion).where(ApplicationVersion.message_id == message.id).order_by(ApplicationVersion.id)
    ).all()
    by_application: dict[int, MessageItem] = {}
    unreadable = any(a.status == AttachmentStatus.UNREADABLE for a in message.attachments)
    for version in versions:
        application = version.application
        # A first version has none before it: no query for the commonest case, a new application.
        previous = _previous_version(version, session=session) if version.version > 1 else None
        if previous is None:
            outcome = Outcome.POSSIBLE_DUPLICATE if application.possible_duplicate_of_id else Outcome.NEW
        else:
            outcome = Outcome.UPDATE
        by_application[application.id] = MessageItem(
            outcome=outcome,
            form_read=version.attachment_id is not None and bool(version.fields),
            missing_fields=list(version.missing_fields or []),
            changed_fields=_changed_fields(previous.fields if previous else {}, version.fields or {})
            if outcome == Outcome.UPDATE else [],
            files_unreadable=unreadable,
            application=application,
        )
    return list(by_application.values())


def _previous_version(version: ApplicationVersion, *, session: Session) -> ApplicationVersion | None:
    return session.scalars(
        select(ApplicationVersion)
        .where(ApplicationVersion.application_id == version.application_id,
               ApplicationVersion.version < version.version)
        .order_by(ApplicationVersion.version.desc())
    ).first()


def _changed_fields(before: dict, after: dict) -> list[str]:
    """The form's fields (in form order) whose value this version changed."""
    return [key for key in load_schema().keys if _value(before.get(key)) != _value(after.get(key))]


def _value(value):
    return None if value in (None, "", []) else value


def queue_message_reply(message: Message, campaign: CampaignSettings, *, session: Session) -> bool:
    """Queue the one reply this mail is due; False when it was queued before or cannot be sent.

    Decided and composed from the stored rows alone, so a reply can be
    queued again without the original mail.
    """
    items = message_items(message, session=session)
    applications = [item.application for item in items if item.application is not None]
    stored_address = message.reply_address or next((a.reply_address for a in applications if a.reply_address), None)
    if not stored_address:
        return False
    try:
        # The outbox row keeps exactly the address the To header and RCPT TO get.
        to_address = checked_address(stored_address)
    except ValueError as exc:
        return _no_reply(applications, exc)
    kind = reply_kind_for_message(is_late=message.is_late, items=items)
    key = message_reply_key(campaign.name, message)
    now = datetime.now(campaign.tz)
    recent = replies_to_address_since(session=session, to_address=to_address, since=now - timedelta(days=1))
    if recent >= MAX_REPLIES_PER_ADDRESS_PER_DAY:
        for application in applications:
            application.warnings = list(application.warnings or []) + [
                f"24 小时内已向 {to_address} 自动回复 {recent} 封，本次未再回复（防止邮件循环）。"
            ]
        log.warning("reply cap reached for an address; message %s gets no automatic reply", message.id)
        return False
    context = reply_context(message, items, kind, campaign, to_address=to_address,
                            message_id=outbox_message_id(key, campaign.smtp.from_address.rsplit("@", 1)[-1]),
                            sent_at=now)
    try:
        reply = compose(context, template_folder=campaign.templates_dir)
    except ValueError as exc:
        return _no_reply(applications, exc)
    row = enqueue(
        session=session, key=key, kind=kind, to_address=to_address, reply=reply,
        application_id=applications[0].id if applications else None, source_message_id=message.id, now=now,
        campaign=campaign.name,
    )
    return row is not None


def reply_context(
    message: Message, items: list[MessageItem], kind: ReplyKind, campaign: CampaignSettings, *,
    to_address: str, message_id: str, sent_at: datetime,
) -> ReplyContext:
    """Everything the reply says, from the stored message and what it did."""
    labels = {spec.key: spec.label for spec in load_schema().fields}
    single = items[0].application if len(items) == 1 else None
    return ReplyContext(
        kind=kind,
        to_address=to_address,
        to_name=_greeting_name(single, message, to_address),
        from_address=campaign.smtp.from_address,
        from_name=campaign.smtp.from_name,
        original_subject=message.subject,
        original_message_id=message.message_id_header,
        original_references=list(message.references_header or []),
        reference=(single.reference or "") if single is not None else "",
        campaign_title=campaign.title,
        deadline=campaign.deadline,
        fields=dict(single.fields or {}) if single is not None else {},
        field_labels=labels,
        missing_labels=[labels.get(key, key) for key in items[0].missing_fields] if single is not None else [],
        needs_review_labels=[labels.get(key, key) for key in single.needs_review or []] if single is not None else [],
        message_id=message_id,
        sent_at=sent_at,
        is_late=message.is_late,
        required_labels=[labels.get(key, key) for key in campaign.required_fields],
        applications=[_reply_application(item, labels) for item in items],
        attachment_names=[a.filename for a in message.attachments if a.origin != "inline"],
    )


def _reply_application(item: MessageItem, labels: dict[str, str]) -> ReplyApplication:
    application = item.application
    return ReplyApplication(
        reference=(application.reference or "") if application is not None else "",
        name=(application.name or "") if application is not None else "",
        outcome=item.outcome.value,
        form_read=item.form_read,
        missing_labels=[labels.get(key, key) for key in item.missing_fields],
        changed_labels=[labels.get(key, key) for key in item.changed_fields],
    )


def _greeting_name(application: Application | None, message: Message, to_address: str) -> str:
    # A form forwarded by a colleague or HR, or several forms: greet the person who will read the reply.
    if application is None:
        return message.from_name or ""
    applicant_email = str((application.fields or {}).get("email") or "").lower()
    writes_for_self = not applicant_email or applicant_email == to_address.lower()
    return (application.name if writes_for_self else message.from_name) or message.from_name or ""


def _no_reply(applications: list[Application], exc: ValueError) -> bool:
    # A hostile or broken address: record why on the applications, send nothing.
    for application in applications:
        application.warnings = list(application.warnings or []) + [f"无法发送自动回复：{exc}"]
    log.warning("no automatic reply: %s", exc)
    return False
