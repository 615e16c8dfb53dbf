"""Decide which reply an application gets and queue it in the outbox.

At most one reply per application and kind (the outbox idempotency key), so
a re-run, a retry or a duplicate delivery never sends a second copy.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from intake.core.config import Settings
from intake.core.models import Application, Message
from intake.core.statuses import ApplicationStatus, ReplyKind
from notifier.compose import ReplyContext, checked_address, compose_reply
from notifier.outbox import enqueue, outbox_message_id, replies_to_address_since
from parsers.schema import load_schema

log = logging.getLogger(__name__)

# An HR office may send a handful of colleagues' forms in a day; more replies
# than this to one address in a day means a loop or a flood, not applicants.
MAX_REPLIES_PER_ADDRESS_PER_DAY = 20


def reply_kind_for(application: Application, message: Message) -> ReplyKind:
    if message.is_late:
        return ReplyKind.LATE
    if application.status == ApplicationStatus.INCOMPLETE:
        return ReplyKind.INCOMPLETE
    return ReplyKind.ACKNOWLEDGEMENT


def reply_key(application: Application, kind: ReplyKind) -> str:
    return f"{application.campaign}:application-{application.id}:{kind.value}"


def queue_reply(application: Application, message: Message, settings: Settings, *, session: Session) -> bool:
    """Queue the reply this application is due; False when it was queued before or cannot be sent.

    Decided and composed from the stored rows alone (the message's subject,
    Message-ID and References included), so a reply can be queued again
    without the original mail.
    """
    stored_address = application.reply_address or message.reply_address
    if not stored_address:
        return False
    try:
        # The outbox row keeps exactly the address the To header and RCPT TO get.
        to_address = checked_address(stored_address)
    except ValueError as exc:
        return _no_reply(application, exc)
    kind = reply_kind_for(application, message)
    key = reply_key(application, kind)
    now = datetime.now(settings.campaign.tz)
    recent = replies_to_address_since(session=session, to_address=to_address, since=now - timedelta(days=1))
    if recent >= MAX_REPLIES_PER_ADDRESS_PER_DAY:
        application.warnings = list(application.warnings or []) + [
            f"24 小时内已向 {to_address} 自动回复 {recent} 封，本次未再回复（防止邮件循环）。"
        ]
        log.warning("reply cap reached for an address; application %s gets no automatic reply", application.id)
        return False
    schema = load_schema()
    labels = {spec.key: spec.label for spec in schema.fields}
    domain = settings.smtp.from_address.rsplit("@", 1)[-1]
    applicant_email = str((application.fields or {}).get("email") or "").lower()
    # A form forwarded by a colleague or HR: greet the person who will read the reply.
    writes_for_self = not applicant_email or applicant_email == stored_address.lower()
    to_name = (application.name if writes_for_self else message.from_name) or message.from_name or ""
    context = ReplyContext(
        kind=kind,
        to_address=to_address,
        to_name=to_name,
        from_address=settings.smtp.from_address,
        from_name=settings.smtp.from_name,
        original_subject=message.subject,
        original_message_id=message.message_id_header,
        original_references=list(message.references_header or []),
        reference=application.reference or "",
        campaign_title=settings.campaign.title,
        deadline=settings.campaign.deadline,
        fields=dict(application.fields or {}),
        field_labels=labels,
        missing_labels=[labels.get(key, key) for key in application.missing_fields or []],
        needs_review_labels=[labels.get(key, key) for key in application.needs_review or []],
        message_id=outbox_message_id(key, domain),
        sent_at=now,
    )
    try:
        email_message = compose_reply(context)
    except ValueError as exc:
        return _no_reply(application, exc)
    row = enqueue(
        session=session, key=key, kind=kind, to_address=to_address, message=email_message,
        application_id=application.id, source_message_id=message.id, now=now,
    )
    return row is not None


def _no_reply(application: Application, exc: ValueError) -> bool:
    # A hostile or broken address: record why on the application, send nothing.
    application.warnings = list(application.warnings or []) + [f"无法发送自动回复：{exc}"]
    log.warning("no reply for application %s: %s", application.id, exc)
    return False
