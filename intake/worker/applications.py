"""Turn what one email carried into applications: create, version, or flag as a possible duplicate.

One application per applicant per campaign. A later email from the same
sender with the same ID number (or the same name) becomes a new version of
the same application; two applicants' forms in one email make two. A form
that another sender sends with an ID number already on file never updates
that application: it becomes a new one, linked as its possible duplicate,
for staff to resolve. No email changes a decided (approved or rejected)
application's status: its new version is recorded and staff are warned.

Each email an application receives is one ``ApplicationVersion`` row
(``message_id``), which is what the reply to that email is decided from.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from intake.core.completeness import missing_required, status_for
from intake.core.config import CampaignSettings
from intake.core.labels import status_label
from intake.core.models import Application, ApplicationVersion, Attachment, Message
from intake.core.statuses import ApplicationStatus, AttachmentStatus
from parsers.results import FormResult

# Words by which an email says it is (about) an application: in its subject,
# its body or an attachment's name.
APPLICATION_WORDS = re.compile(r"报名|申请|登记表|专家|志愿")
# File kinds (parsers.sniff_kind) that are documents: any of them may be the
# form even when it could not be read, or was read without finding one.
DOCUMENT_KINDS = frozenset({"docx", "doc", "wps", "rtf", "odt", "pdf"})
DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)


@dataclass
class FormFound:
    """One form read from one attachment of the message."""

    result: FormResult
    attachment_id: int | None = None


@dataclass
class RecordedApplication:
    application: Application
    created: bool


def mentions_applying(subject: str, body_text: str, filenames: Iterable[str] = ()) -> bool:
    texts = [subject or "", (body_text or "")[:2000], *filenames]
    return any(APPLICATION_WORDS.search(text) for text in texts)


def could_be_form(attachment: Attachment) -> bool:
    """An attachment that may be the form although none was read from it.

    A document (Word, WPS, PDF…) may be: unreadable, or in a layout the parser
    does not know. An image may be a photographed page only if it could not
    be looked at; one that was read and held no form is a photo of something
    else (an ID card, a certificate, a logo), and an inline image is part of
    the mail's signature, not an attachment.
    """
    if attachment.status in (AttachmentStatus.PARSED, AttachmentStatus.PARTIAL):
        return True
    if attachment.kind in DOCUMENT_KINDS:
        return True
    return attachment.kind == "image" and attachment.origin != "inline" \
        and attachment.status == AttachmentStatus.UNREADABLE


def merge_duplicate_forms(forms: list[FormFound]) -> list[FormFound]:
    """Applicants often attach the same form twice (Word and PDF): keep the best reading per person."""
    best: dict[str, FormFound] = {}
    order: list[str] = []
    for index, found in enumerate(forms):
        key = _person_key(found.result.fields) or f"#unnamed-{index}"
        current = best.get(key)
        if current is None:
            best[key] = found
            order.append(key)
        elif _quality(found.result) > _quality(current.result):
            best[key] = found
    return [best[key] for key in order]


def _person_key(fields: dict[str, Any]) -> str | None:
    id_number = fields.get("id_number")
    if id_number:
        return f"id:{id_number}"
    name = fields.get("name")
    return f"name:{name}" if name else None


def _quality(result: FormResult) -> tuple[int, int]:
    return (len(result.fields) - len(result.needs_review), -len(result.warnings))


@dataclass
class ExistingMatch:
    application: Application
    same_sender: bool  # False: another sender's application with the same ID number


def find_existing(
    *, session: Session, campaign: str, fields: dict[str, Any], sender: str | None, trusted_id: bool
) -> ExistingMatch | None:
    """The application this form belongs to: the sender's own with its ID number (or name), else
    another sender's with the same ID number (which the form may only be flagged against)."""
    id_number = fields.get("id_number")
    if id_number and trusted_id:
        same_id = session.scalars(
            select(Application)
            .where(Application.campaign == campaign, Application.id_number == id_number)
            .order_by(Application.id)
        ).all()
        own = next((app for app in same_id if _same_address(app.sender, sender)), None)
        if own is not None:
            return ExistingMatch(own, same_sender=True)
        if same_id:
            original = next((app for app in same_id if app.possible_duplicate_of_id is None), same_id[0])
            return ExistingMatch(original, same_sender=False)
    if not sender:
        return None
    # The sender's own with this name, else the sender's form-less first mail: one query for both.
    name = fields.get("name")
    named = Application.name.is_(None) if not name else or_(Application.name == name, Application.name.is_(None))
    own = session.scalars(
        select(Application).where(Application.campaign == campaign, Application.sender == sender, named)
        .order_by(Application.id)
    ).all()
    found = next((app for app in own if app.name == name), None) or next((app for app in own if app.name is None), None)
    return ExistingMatch(found, same_sender=True) if found is not None else None


def _same_address(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().lower() == b.strip().lower())


def latest_for_sender(*, session: Session, campaign: str, sender: str | None) -> Application | None:
    """The sender's most recent application in the campaign, if any."""
    if not sender:
        return None
    return session.scalars(
        select(Application)
        .where(Application.campaign == campaign, Application.sender == sender)
        .order_by(Application.id.desc())
    ).first()


def record_form(
    *,
    session: Session,
    message: Message,
    found: FormFound,
    campaign: CampaignSettings,
) -> RecordedApplication:
    fields = dict(found.result.fields)
    trusted_id = "id_number" not in found.result.needs_review
    match = find_existing(
        session=session, campaign=campaign.name, fields=fields, sender=message.from_address, trusted_id=trusted_id
    )
    missing = missing_required(fields, campaign.required_fields)
    if match is None or not match.same_sender:
        application = _new_application(session=session, campaign=campaign, message=message, missing=missing)
        _apply_reading(application, found, fields, missing, message)
        if match is not None:
            # Someone else's form with an ID number already on file: never an update of that application.
            application.possible_duplicate_of_id = match.application.id
            application.status = ApplicationStatus.PENDING_REVIEW
        _add_version(session=session, application=application, campaign=campaign, message=message,
                     attachment_id=application.attachment_id)
        if match is not None:
            _note_possible_duplicate(application, match.application)
        return RecordedApplication(application=application, created=True)

    application = match.application
    application.version += 1
    application.reply_address = message.reply_address or application.reply_address
    _note_arrival(application, message)
    _apply_reading(application, found, fields, missing, message)
    if application.status in DECIDED:
        # Staff decided on an earlier version; only staff change that decision.
        application.warnings = list(application.warnings) + [
            f"该申请已{status_label(application.status)}后，申请人又发来第 {application.version} 版报名表；"
            "状态未自动改变，请工作人员复核。"
        ]
    else:
        application.status = status_for(missing)
    _add_version(session=session, application=application, campaign=campaign, message=message,
                 attachment_id=application.attachment_id)
    return RecordedApplication(application=application, created=False)


def record_without_form(
    *, session: Session, message: Message, campaign: CampaignSettings, reason: str
) -> RecordedApplication:
    """The email is clearly an application but no form could be read: keep it for staff."""
    missing = list(campaign.required_fields)
    application = _new_application(session=session, campaign=campaign, message=message, missing=missing)
    application.fields, application.confidence, application.needs_review = {}, {}, []
    application.field_sources = {}
    application.missing_fields, application.warnings = missing, [reason]
    application.message_id = message.id
    application.sync_columns()
    _add_version(session=session, application=application, campaign=campaign, message=message, attachment_id=None)
    return RecordedApplication(application=application, created=True)


def record_further_mail(
    *, session: Session, message: Message, application: Application, campaign: CampaignSettings, note: str
) -> RecordedApplication:
    """A mail without a form from someone who already applied (supporting documents, a question,
    a correction in words): a version with the same fields, so the mail is on file and answered."""
    application.version += 1
    application.reply_address = message.reply_address or application.reply_address
    application.warnings = list(application.warnings) + [note]
    _note_arrival(application, message)
    application.message_id = message.id
    _add_version(session=session, application=application, campaign=campaign, message=message, attachment_id=None)
    return RecordedApplication(application=application, created=False)


def count_for_sender(*, session: Session, campaign: str, sender: str | None) -> int:
    if not sender:
        return 0
    return session.scalar(
        select(func.count()).select_from(Application)
        .where(Application.campaign == campaign, Application.sender == sender)
    ) or 0


def _new_application(
    *, session: Session, campaign: CampaignSettings, message: Message, missing: list[str]
) -> Application:
    application = Application(
        campaign=campaign.name,
        status=status_for(missing),
        sender=message.from_address,
        reply_address=message.reply_address,
        is_late=message.is_late,
        latest_is_late=message.is_late,
        received_at=message.received_at,
        version=1,
    )
    session.add(application)
    return application


def _note_arrival(application: Application, message: Message) -> None:
    """Lateness is the mail's: the first version's and the latest version's, by arrival time."""
    first = application.received_at
    if first is None or message.received_at < first:
        application.received_at, application.is_late = message.received_at, message.is_late
    latest = application.message
    if latest is None or latest.received_at is None or message.received_at >= latest.received_at:
        application.latest_is_late = message.is_late


def _note_possible_duplicate(application: Application, original: Application) -> None:
    application.warnings = list(application.warnings) + [
        f"可能与 {original.reference} 重复：身份证号码相同，但来自另一发件人。系统未合并，也未更改 "
        f"{original.reference}；请工作人员核对。"
    ]
    original.warnings = list(original.warnings) + [
        f"另一发件人发来身份证号码相同的报名表，已另行登记为 {application.reference}（可能重复），请工作人员核对。"
    ]


def _add_version(
    *, session: Session, application: Application, campaign: CampaignSettings, message: Message,
    attachment_id: int | None,
) -> None:
    """Keep what this message said as a version; a new application gets its reference number here."""
    session.flush()
    if application.reference is None:
        application.reference = reference_for(campaign, application.id)
        # Inserted by the flush above, so it has no search row yet: no query need find that out.
        set_committed_value(application, "search", None)
        application.sync_columns()  # the reference is searchable too
    session.add(
        ApplicationVersion(
            application_id=application.id,
            version=application.version,
            message_id=message.id,
            attachment_id=attachment_id,  # the form this mail brought, if any
            fields=dict(application.fields),
            # Where those fields were read: on the attachment this mail brought, if it brought one.
            field_sources=dict(application.field_sources or {}) if attachment_id is not None else {},
            missing_fields=list(application.missing_fields),
        )
    )


def _apply_reading(
    application: Application, found: FormFound, fields: dict[str, Any], missing: list[str], message: Message
) -> None:
    application.fields = fields
    application.field_sources = {key: dict(place) for key, place in found.result.source.items()}
    application.confidence = dict(found.result.confidence)
    application.needs_review = list(found.result.needs_review)
    application.warnings = list(found.result.warnings)
    application.missing_fields = missing
    application.message_id = message.id
    application.attachment_id = found.attachment_id
    application.sync_columns()


def reference_for(campaign: CampaignSettings, application_id: int) -> str:
    return f"{campaign.reference_prefix}-{campaign.deadline.year}-{application_id:04d}"
