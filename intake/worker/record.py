"""One message, read, written down: attachments, applications and the reply due.

The per-message recipe: lateness (this mail's own, from its arrival), RFC
3834 (no replies to machines), what the mail is, and the one reply it is
owed. What a mail is:

- it carries forms: one application per applicant (created, a new version,
  or a possible duplicate: ``applications``);
- it comes from someone who already applied: a new version of their latest
  application (supporting documents, a correction in words, a question);
- it says it is an application and carries a file that could be the form
  but none was read: an application without a form, for staff;
- it asks about applying, or carries files none of which could be a form
  (an ID-card photo alone): an inquiry, answered with how to apply;
- anything else (machines, mail about other things) is ignored.

Runs inside the one transaction ``runner`` opens for the message.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from intake.core.config import CampaignSettings, Settings
from intake.core.models import Attachment, Message
from intake.core.statuses import AttachmentStatus, MessageStatus
from intake.mail.autoreply import no_reply_reason
from intake.mail.mime import ParsedMail
from intake.worker.applications import (
    FormFound,
    RecordedApplication,
    could_be_form,
    count_for_sender,
    latest_for_sender,
    mentions_applying,
    merge_duplicate_forms,
    record_form,
    record_further_mail,
    record_without_form,
)
from intake.worker.reading import AttachmentReading, MessageReading
from notifier.replies import queue_message_reply


@dataclass
class MessageOutcome:
    ignored: bool = False
    inquiry: bool = False  # no application: a question, answered with how to apply
    applications: list[RecordedApplication] = field(default_factory=list)
    replies_queued: int = 0


def record_message(
    message: Message, reading: MessageReading, settings: Settings, *, session: Session
) -> MessageOutcome:
    mail = reading.mail
    _copy_headers(message, mail)
    campaign = settings.campaign_named(message.campaign)  # the campaign whose mailbox it came to
    message.is_late = message.received_at > campaign.deadline_end()
    # Every centre's own addresses: two centres' automatic replies must never answer each other.
    own = [address for each in settings.campaigns
           for address in (each.smtp.from_address, each.smtp.username, each.mailbox.username)]
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
    elif is_machine_mail:
        outcome.ignored = True
    else:
        _record_mail_without_form(message, mail, campaign, session=session, outcome=outcome)

    if message.no_reply_reason is None and not outcome.ignored:
        if queue_message_reply(message, campaign, session=session):
            outcome.replies_queued += 1

    # An inquiry is processed (and answered) with no application: its reply is decided from that.
    message.status = MessageStatus.IGNORED if outcome.ignored else MessageStatus.PROCESSED
    message.error = None
    message.processed_at = datetime.now(timezone.utc)
    return outcome


def _record_mail_without_form(
    message: Message, mail: ParsedMail, campaign: CampaignSettings, *, session: Session, outcome: MessageOutcome
) -> None:
    attachments = [a for a in message.attachments if a.origin != "inline"]  # inline: the signature's images
    applying = mentions_applying(mail.subject, mail.body_text, (a.filename for a in message.attachments))
    earlier = latest_for_sender(session=session, campaign=campaign.name, sender=message.from_address)
    if earlier is not None:
        note = _further_mail_note(message, attachments, count_for_sender(
            session=session, campaign=campaign.name, sender=message.from_address))
        outcome.applications.append(record_further_mail(
            session=session, message=message, application=earlier, campaign=campaign, note=note))
    elif applying and any(could_be_form(a) for a in attachments):
        outcome.applications.append(
            record_without_form(session=session, message=message, campaign=campaign, reason=_formless_reason(message))
        )
    elif applying or attachments:
        outcome.inquiry = True
    else:
        outcome.ignored = True


def _further_mail_note(message: Message, attachments: list[Attachment], applications_of_sender: int) -> str:
    """What staff are told about a mail without a form from someone who already applied."""
    if attachments:
        names = "、".join(a.filename for a in attachments[:5])
        note = f"申请人又来信，未附可识别的报名表；附件（{names}）已作为补充材料记入本申请，请查看。"
    else:
        note = "申请人又来信（无附件），请查看邮件正文。"
    if applications_of_sender > 1:
        note += f"该发件人共有 {applications_of_sender} 份报名，请核对这封邮件属于哪一份。"
    return note


def _copy_headers(message: Message, mail: ParsedMail) -> None:
    """What a reply needs from the headers, onto the row (message_id_header is set at ingest)."""
    message.subject = mail.subject[:2000]
    message.from_name = mail.from_name[:500]
    message.from_address = mail.from_address
    message.reply_address = mail.reply_to_address or mail.from_address
    message.references_header = _stored_references(mail.references)
    message.defects = list(mail.defects)[:50]


def _stored_references(references: list[str]) -> list[str]:
    # Bounded like the other copied headers: no id longer than a header line,
    # and of a very long thread the root and the newest (RFC 5322 §3.6.4 trimming).
    ids = [ref for ref in references if len(ref) <= 998]
    return ids if len(ids) <= 50 else [ids[0], *ids[-49:]]


def _attachment_row(reading: AttachmentReading, message: Message, *, session: Session) -> Attachment:
    attachment = reading.attachment
    row = Attachment(
        message_id=message.id, filename=attachment.filename[:400], content_type=attachment.content_type[:255],
        sha256=reading.sha256, size=len(attachment.data), origin=attachment.origin,
        container=attachment.container[:400] if attachment.container else None, kind=reading.kind,
        status=reading.status, reason=reading.reason, error=reading.error, forms_found=len(reading.results),
        parse_seconds=reading.parse_seconds,
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
