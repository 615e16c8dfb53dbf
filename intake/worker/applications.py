"""Turn the forms found in one email into applications: create, or version.

One application per applicant per campaign. A later email from the same
applicant (same ID number, or same sender and name) becomes a new version of
the same application; two applicants' forms in one email make two.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.core.completeness import missing_required, status_for
from intake.core.config import CampaignSettings
from intake.core.models import Application, ApplicationVersion, Message
from intake.core.statuses import ApplicationStatus
from parsers.results import FormResult

# Subject or body words that mark an email as an application even when no form could be read.
APPLICATION_WORDS = re.compile(r"报名|申请|专家|志愿|报名表|登记表")


@dataclass
class FormFound:
    """One form read from one attachment of the message."""

    result: FormResult
    attachment_id: int | None = None


@dataclass
class RecordedApplication:
    application: Application
    created: bool


def looks_like_application(subject: str, body_text: str, attachment_count: int) -> bool:
    if attachment_count:
        return True
    return bool(APPLICATION_WORDS.search(subject or "") or APPLICATION_WORDS.search((body_text or "")[:2000]))


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


def find_existing(
    *, session: Session, campaign: str, fields: dict[str, Any], sender: str | None, trusted_id: bool
) -> Application | None:
    id_number = fields.get("id_number")
    if id_number and trusted_id:
        found = session.scalars(
            select(Application)
            .where(Application.campaign == campaign, Application.id_number == id_number)
            .order_by(Application.id)
        ).first()
        if found is not None:
            return found
    name = fields.get("name")
    if sender and name:
        return session.scalars(
            select(Application)
            .where(Application.campaign == campaign, Application.sender == sender, Application.name == name)
            .order_by(Application.id)
        ).first()
    return None


def find_formless_for_sender(*, session: Session, campaign: str, sender: str | None) -> Application | None:
    """An earlier application by this sender that has no name yet (a form-less first email)."""
    if not sender:
        return None
    return session.scalars(
        select(Application)
        .where(Application.campaign == campaign, Application.sender == sender, Application.name.is_(None))
        .order_by(Application.id)
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
    existing = find_existing(
        session=session, campaign=campaign.name, fields=fields, sender=message.from_address, trusted_id=trusted_id
    ) or find_formless_for_sender(session=session, campaign=campaign.name, sender=message.from_address)
    missing = missing_required(fields, campaign.required_fields)
    if existing is None:
        application = _new_application(session=session, campaign=campaign, message=message, missing=missing)
        created = True
    else:
        application = existing
        application.version += 1
        application.reply_address = message.reply_address or application.reply_address
        if application.status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
            # A decision was made on the old version; staff must look again.
            application.status = ApplicationStatus.PENDING_REVIEW
        else:
            application.status = status_for(missing)
        created = False
    _apply_reading(application, found, fields, missing, message)
    _add_version(session=session, application=application, campaign=campaign, message=message)
    return RecordedApplication(application=application, created=created)


def record_without_form(
    *, session: Session, message: Message, campaign: CampaignSettings, reason: str
) -> RecordedApplication:
    """The email is clearly an application but no form could be read: keep it for staff."""
    existing = find_formless_for_sender(session=session, campaign=campaign.name, sender=message.from_address)
    if existing is not None:
        existing.warnings = list(existing.warnings) + [reason]
        return RecordedApplication(application=existing, created=False)
    missing = list(campaign.required_fields)
    application = _new_application(session=session, campaign=campaign, message=message, missing=missing)
    application.fields, application.confidence, application.needs_review = {}, {}, []
    application.missing_fields, application.warnings = missing, [reason]
    application.message_id = message.id
    application.sync_columns()
    _add_version(session=session, application=application, campaign=campaign, message=message)
    return RecordedApplication(application=application, created=True)


def _new_application(
    *, session: Session, campaign: CampaignSettings, message: Message, missing: list[str]
) -> Application:
    application = Application(
        campaign=campaign.name,
        status=status_for(missing),
        sender=message.from_address,
        reply_address=message.reply_address,
        is_late=message.is_late,
        received_at=message.received_at,
        version=1,
    )
    session.add(application)
    return application


def _add_version(
    *, session: Session, application: Application, campaign: CampaignSettings, message: Message
) -> None:
    """Keep what this message said as a version; a new application gets its reference number here."""
    session.flush()
    if application.reference is None:
        application.reference = reference_for(campaign, application.id)
        application.sync_columns()  # the reference is searchable too
    session.add(
        ApplicationVersion(
            application_id=application.id,
            version=application.version,
            message_id=message.id,
            attachment_id=application.attachment_id,
            fields=dict(application.fields),
            missing_fields=list(application.missing_fields),
        )
    )


def _apply_reading(
    application: Application, found: FormFound, fields: dict[str, Any], missing: list[str], message: Message
) -> None:
    application.fields = fields
    application.confidence = dict(found.result.confidence)
    application.needs_review = list(found.result.needs_review)
    application.warnings = list(found.result.warnings)
    application.missing_fields = missing
    application.message_id = message.id
    application.attachment_id = found.attachment_id
    application.sync_columns()


def reference_for(campaign: CampaignSettings, application_id: int) -> str:
    return f"{campaign.reference_prefix}-{campaign.deadline.year}-{application_id:04d}"
