"""The emails a staff decision sends: 需补充 (request_info), 通过 (approved), 不通过 (rejected).

Like ``notifier.replies``, a notice is built from stored rows alone (the
application and its last message: subject, Message-ID, References) and is
recorded in the outbox inside the caller's transaction, so the decision and
its email are stored together or not at all.

Unlike an automatic reply, an application may get the same kind more than
once (approved, reopened, approved again), so the idempotency key carries
the id of the decision's audit entry: one email per decision, and a decision
recorded twice can never send twice. Staff decide these by hand, so the
per-address flood guard of automatic replies does not apply.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from intake.core.config import CampaignSettings
from intake.core.models import Application, OutboxMail
from intake.core.statuses import ReplyKind
from notifier.compose import ReplyContext, checked_address, compose
from notifier.outbox import enqueue, outbox_message_id
from notifier.replies import reply_key
from parsers.schema import load_schema

STAFF_NOTICE_KINDS = (ReplyKind.REQUEST_INFO, ReplyKind.APPROVED, ReplyKind.REJECTED)


class NoticeNotSent(ValueError):
    """No email can go to this applicant; the message (Chinese) says why."""


def notice_key(application: Application, kind: ReplyKind, decision_id: int) -> str:
    return f"{reply_key(application, kind)}:{decision_id}"


def notice_address(application: Application) -> str | None:
    """Where a notice would go: the application's reply address, else its last message's."""
    message = application.message
    return application.reply_address or (message.reply_address if message is not None else None) or None


def queue_staff_notice(
    application: Application,
    kind: ReplyKind,
    campaign: CampaignSettings,
    *,
    session: Session,
    decision_id: int,
    requested_keys: Sequence[str] = (),
    note: str = "",
    reason: str = "",
) -> OutboxMail | None:
    """Record the notice for one decision; None if this decision's notice was recorded before.

    Raises ``NoticeNotSent`` when there is no usable address (the decision
    itself stands; staff contact the applicant another way).
    """
    if kind not in STAFF_NOTICE_KINDS:
        raise ValueError(f"not a staff notice: {kind!r}")
    if application.campaign != campaign.name:
        raise ValueError(f"application {application.id} is not of campaign {campaign.name!r}")
    stored_address = notice_address(application)
    if not stored_address:
        raise NoticeNotSent("没有申请人的回复邮箱，未发送邮件。")
    try:
        to_address = checked_address(stored_address)
    except ValueError:
        raise NoticeNotSent("申请人的回复邮箱格式无法使用，未发送邮件，请另行联系。") from None
    message = application.message
    labels = {spec.key: spec.label for spec in load_schema().fields}
    key = notice_key(application, kind, decision_id)
    now = datetime.now(campaign.tz)
    context = ReplyContext(
        kind=kind,
        to_address=to_address,
        to_name=_greeting_name(application, stored_address),
        from_address=campaign.smtp.from_address,
        from_name=campaign.smtp.from_name,
        original_subject=message.subject if message is not None else "",
        original_message_id=message.message_id_header if message is not None else None,
        original_references=list(message.references_header or []) if message is not None else [],
        reference=application.reference or "",
        campaign_title=campaign.title,
        deadline=campaign.deadline,
        # Decisions quote no field values back: the applicant needs the outcome, not their form again.
        fields={},
        field_labels={},
        missing_labels=[],
        needs_review_labels=[],
        message_id=outbox_message_id(key, campaign.smtp.from_address.rsplit("@", 1)[-1]),
        sent_at=now,
        requested_labels=[labels.get(field_key, field_key) for field_key in requested_keys],
        staff_note=note or "",
        decision_reason=reason or "",
    )
    try:
        reply = compose(context, template_folder=campaign.templates_dir)
    except ValueError:
        raise NoticeNotSent("无法生成给申请人的邮件（地址或邮件标识无效），未发送。") from None
    return enqueue(
        session=session, key=key, kind=kind, to_address=to_address, reply=reply,
        application_id=application.id, source_message_id=message.id if message is not None else None, now=now,
        campaign=campaign.name,
    )


def _greeting_name(application: Application, stored_address: str) -> str:
    # The same rule as the automatic replies: a form forwarded by a colleague
    # or HR greets the person who will read the mail, not the applicant.
    message = application.message
    from_name = (message.from_name if message is not None else "") or ""
    applicant_email = str((application.fields or {}).get("email") or "").lower()
    writes_for_self = not applicant_email or applicant_email == stored_address.strip().lower()
    return (application.name if writes_for_self else from_name) or from_name
