"""Deadline reminders: who is due which one, and queueing them through the outbox.

A reminder becomes due at ``reminders.send_at`` (campaign time) on each
``offsets_days`` day before the deadline day. It goes to an address whose
application is still incomplete, or that only asked how to apply (we
answered their mail and hold no application from them), and:

- only the latest offset that has come due, never every one missed while
  the worker was down;
- never twice for one offset: a ``SentReminder`` row, unique per campaign,
  address, deadline and offset, is inserted before the outbox row in the
  same transaction, and only the sweep whose insert succeeded queues mail;
- never after the deadline, only between ``not_before`` and ``not_after``;
- never to someone who wrote after the offset came due (they have just had
  our answer), nor past the per-address daily cap of automatic replies.

``decide`` is pure (the clock is an argument); ``plan_reminders`` reads
who could be reminded and decides (``intake reminders --dry-run`` prints
it); ``sweep_reminders`` queues what is due, one transaction per address.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload, sessionmaker

from intake.core.config import CampaignSettings, ReminderSettings, Settings
from intake.core.models import Application, Message, OutboxMail, utcnow
from intake.core.reminder_models import SentReminder
from intake.core.statuses import ApplicationStatus, ReplyKind
from notifier.compose import LIST_SEPARATOR, ReplyContext, checked_address, compose, format_chinese_date
from notifier.outbox import enqueue, outbox_message_id, replies_to_address_since
from notifier.replies import MAX_REPLIES_PER_ADDRESS_PER_DAY
from parsers.schema import load_schema

log = logging.getLogger(__name__)

INCOMPLETE = "incomplete"  # SentReminder.reason: an application still missing fields
INQUIRY = "inquiry"  # SentReminder.reason: asked how to apply, sent no form
MAX_KEY_CHARS = 200  # OutboxMail.idempotency_key


@dataclass(frozen=True)
class ReminderSchedule:
    """When each offset's reminder becomes due, in the campaign's time zone."""

    deadline_day: date
    deadline_end: datetime
    offsets_days: tuple[int, ...]
    send_at: time
    not_before: time
    not_after: time
    tz: ZoneInfo

    @classmethod
    def of(cls, campaign: CampaignSettings, reminders: ReminderSettings) -> "ReminderSchedule":
        return cls(
            deadline_day=campaign.deadline, deadline_end=campaign.deadline_end(),
            offsets_days=tuple(reminders.offsets_days), send_at=reminders.send_at.replace(tzinfo=None),
            not_before=reminders.not_before.replace(tzinfo=None), not_after=reminders.not_after.replace(tzinfo=None),
            tz=campaign.tz,
        )

    def due_at(self, offset_days: int) -> datetime:
        return datetime.combine(self.deadline_day - timedelta(days=offset_days), self.send_at, tzinfo=self.tz)

    def latest_due(self, now: datetime) -> tuple[int, datetime] | None:
        """The offset whose moment came last at or before ``now`` (before the deadline), if any."""
        due = [(days, self.due_at(days)) for days in self.offsets_days]
        due = [(days, moment) for days, moment in due if moment <= now and moment < self.deadline_end]
        return max(due, key=lambda item: item[1]) if due else None

    def first_due(self) -> datetime | None:
        moments = [self.due_at(days) for days in self.offsets_days]
        return min(moments) if moments else None

    def in_waking_hours(self, now: datetime) -> bool:
        return self.not_before <= now.astimezone(self.tz).time() < self.not_after


@dataclass(frozen=True)
class PendingApplication:
    reference: str
    name: str
    missing_labels: tuple[str, ...]


@dataclass(frozen=True)
class Recipient:
    """An address that might be reminded, and what we know about it."""

    address: str  # checked and lower-cased
    reason: str  # INCOMPLETE or INQUIRY
    last_mail_at: datetime  # when their latest mail arrived
    message_id: int  # that mail: the reminder threads on it
    greeting: str  # the name the reminder greets
    applications: tuple[PendingApplication, ...] = ()  # the incomplete ones (INCOMPLETE only)
    replies_last_day: int = 0  # automatic replies to this address in the past 24 hours


@dataclass(frozen=True)
class ReminderDecision:
    recipient: Recipient
    send: bool
    why: str  # in Chinese, for staff (``intake reminders --dry-run``)
    offset_days: int | None = None
    due_at: datetime | None = None


def decide(
    recipients: Iterable[Recipient], schedule: ReminderSchedule, now: datetime,
    already_sent: set[tuple[str, int]],
) -> list[ReminderDecision]:
    """Who gets which reminder at ``now``; ``already_sent`` holds (address, offset) pairs."""
    return [_decide_one(recipient, schedule, now, already_sent) for recipient in recipients]


def _decide_one(recipient: Recipient, schedule: ReminderSchedule, now: datetime,
                already_sent: set[tuple[str, int]]) -> ReminderDecision:
    def no(why: str, days: int | None = None, moment: datetime | None = None) -> ReminderDecision:
        return ReminderDecision(recipient, False, why, days, moment)

    if not schedule.offsets_days:
        return no("未配置提醒（reminders.offsets_days 为空）")
    if now > schedule.deadline_end:
        return no("报名已截止，不再提醒")
    latest = schedule.latest_due(now)
    if latest is None:
        first = schedule.first_due()
        return no(f"还未到第一次提醒的时间（{_when(first, schedule.tz)}）")
    days, moment = latest
    label = f"截止前 {days} 天提醒"
    if (recipient.address, days) in already_sent:
        return no(f"{label}已发送过", days, moment)
    if recipient.last_mail_at >= moment:
        return no(f"{_when(recipient.last_mail_at, schedule.tz)} 来信并已获回复，晚于{label}的时间，本轮不再提醒",
                  days, moment)
    if not schedule.in_waking_hours(now):
        return no(f"{label}已到期，但现在不在 {schedule.not_before:%H:%M}–{schedule.not_after:%H:%M} 之间，"
                  f"{schedule.not_before:%H:%M} 以后发送", days, moment)
    if recipient.replies_last_day >= MAX_REPLIES_PER_ADDRESS_PER_DAY:
        return no(f"24 小时内已向该地址自动回复 {recipient.replies_last_day} 封，暂不提醒（防止邮件循环）",
                  days, moment)
    return ReminderDecision(recipient, True, f"发送{label}：{_what(recipient)}", days, moment)


def _what(recipient: Recipient) -> str:
    if recipient.reason == INQUIRY:
        return "曾来信咨询，尚未提交报名表"
    parts = [
        f"{application.reference or '（无编号）'} 缺 {LIST_SEPARATOR.join(application.missing_labels) or '（待补充）'}"
        for application in recipient.applications
    ]
    return "报名表不完整：" + "；".join(parts)


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment is not None else "—"


# --- reading who could be reminded ------------------------------------------------------


def reminder_recipients(session: Session, campaign: CampaignSettings, now: datetime,
                        *, only_address: str | None = None) -> list[Recipient]:
    """Addresses with an incomplete application, then those that only asked, one entry each.

    ``only_address`` (lower-case) reads one address's rows alone: the sweep
    decides again for each address inside the transaction that records it.
    """
    campaign_name = campaign.name
    labels = {spec.key: spec.label for spec in load_schema().fields}
    address_of = func.coalesce(Application.reply_address, Message.reply_address)
    query = (
        select(Application.id, Application.status, Message.no_reply_reason, address_of)
        .join(Message, Message.id == Application.message_id)
        .where(Application.campaign == campaign_name)
    )
    if only_address is not None:
        query = query.where(func.lower(address_of) == only_address)
    with_application: set[str] = set()
    incomplete: dict[int, str] = {}
    for application_id, status, no_reply_reason, stored_address in session.execute(query):
        address = _usable_address(stored_address)
        if address is None:
            continue
        with_application.add(address)
        # Mail from a machine (auto-reply, list, bounce) was never answered: no reminder either.
        if status == ApplicationStatus.INCOMPLETE and no_reply_reason is None:
            incomplete[application_id] = address
    by_address: dict[str, list[Application]] = {}
    if incomplete:
        for application in session.scalars(
            select(Application).where(Application.id.in_(incomplete)).options(joinedload(Application.message))
        ):
            by_address.setdefault(incomplete[application.id], []).append(application)

    recipients = [_incomplete_recipient(address, pending, labels) for address, pending in by_address.items()]
    recipients.extend(
        recipient for recipient in _inquiry_recipients(session, campaign_name, only_address)
        if recipient.address not in with_application
    )
    since = now - timedelta(days=1)
    return [
        replace(recipient, replies_last_day=replies_to_address_since(
            session=session, to_address=recipient.address, since=since))
        for recipient in sorted(recipients, key=lambda r: (r.reason, r.address))
    ]


def _incomplete_recipient(address: str, pending: list[Application], labels: dict[str, str]) -> Recipient:
    latest = max(pending, key=lambda application: application.message.received_at)
    message = latest.message
    applicant_email = str((latest.fields or {}).get("email") or "").lower()
    # As for every automatic reply: a form sent by a colleague or HR greets the sender.
    writes_for_self = len(pending) == 1 and (not applicant_email or applicant_email == address)
    return Recipient(
        address=address, reason=INCOMPLETE, last_mail_at=message.received_at, message_id=message.id,
        greeting=(latest.name if writes_for_self else message.from_name) or message.from_name or "",
        applications=tuple(
            PendingApplication(
                reference=application.reference or "", name=application.name or "",
                missing_labels=tuple(labels.get(key, key) for key in application.missing_fields or []),
            )
            for application in sorted(pending, key=lambda application: application.id)
        ),
    )


def _inquiry_recipients(session: Session, campaign: str, only_address: str | None) -> list[Recipient]:
    # An automatic reply tied to no application answered a mail without a
    # form: whatever its wording, that sender has asked and not applied.
    query = (
        select(OutboxMail.to_address, Message)
        .join(Message, Message.id == OutboxMail.source_message_id)
        .where(
            OutboxMail.application_id.is_(None),
            OutboxMail.kind != ReplyKind.REMINDER,
            OutboxMail.idempotency_key.startswith(f"{campaign}:", autoescape=True),
        )
    )
    if only_address is not None:
        query = query.where(func.lower(OutboxMail.to_address) == only_address)
    rows = session.execute(query).all()
    latest: dict[str, Message] = {}
    for to_address, message in rows:
        address = _usable_address(to_address)
        if address is not None and (address not in latest or message.received_at > latest[address].received_at):
            latest[address] = message
    return [
        Recipient(address=address, reason=INQUIRY, last_mail_at=message.received_at, message_id=message.id,
                  greeting=message.from_name or "")
        for address, message in latest.items()
    ]


def _usable_address(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return checked_address(value).lower()
    except ValueError:
        return None


def sent_offsets(session: Session, campaign: CampaignSettings) -> set[tuple[str, int]]:
    rows = session.execute(
        select(SentReminder.recipient, SentReminder.offset_days).where(
            SentReminder.campaign == campaign.name, SentReminder.deadline == campaign.deadline
        )
    ).all()
    return {(recipient, offset) for recipient, offset in rows}


def plan_reminders(session: Session, settings: Settings, campaign: CampaignSettings,
                   now: datetime) -> list[ReminderDecision]:
    """Everyone ``campaign`` could remind, each with what they would get at ``now`` and why."""
    schedule = ReminderSchedule.of(campaign, settings.reminders)
    return decide(reminder_recipients(session, campaign, now), schedule, now, sent_offsets(session, campaign))


# --- queueing -----------------------------------------------------------------------------


@dataclass
class SweepReport:
    queued: int = 0
    decisions: list[ReminderDecision] = field(default_factory=list)


def sweep_reminders(settings: Settings, campaign: CampaignSettings, session_factory: sessionmaker[Session],
                    now: datetime) -> SweepReport:
    """Queue every reminder of ``campaign`` due at ``now``; each address in its own transaction."""
    report = SweepReport()
    with session_factory() as session:
        report.decisions = plan_reminders(session, settings, campaign, now)
    schedule = ReminderSchedule.of(campaign, settings.reminders)
    for decision in report.decisions:
        if not decision.send:
            continue
        with session_factory() as session, session.begin():
            # Decided again inside the transaction that records it: an
            # application completed since the plan was read gets nothing.
            current = decide(
                reminder_recipients(session, campaign, now, only_address=decision.recipient.address),
                schedule, now, sent_offsets(session, campaign),
            )
            for again in current:
                if again.send and again.offset_days == decision.offset_days and _queue(again, campaign, session, now):
                    report.queued += 1
    if report.queued:
        log.info("reminders of %s: %d queued", campaign.name, report.queued)
    return report


def reminder_key(campaign: str, recipient: str, deadline: date, offset_days: int) -> str:
    key = f"{campaign}:reminder:{recipient}:{deadline.isoformat()}:{offset_days}"
    if len(key) > MAX_KEY_CHARS:  # an absurdly long address or campaign name: keep the key unique and short
        digest = hashlib.sha256(recipient.encode("utf-8")).hexdigest()[:32]
        key = f"{campaign[:100]}:reminder:{digest}:{deadline.isoformat()}:{offset_days}"
    return key


def _queue(decision: ReminderDecision, campaign: CampaignSettings, session: Session, now: datetime) -> bool:
    recipient = decision.recipient
    assert decision.offset_days is not None
    if not _claim(session, campaign.name, recipient, campaign.deadline, decision.offset_days):
        return False  # another sweep recorded it first
    message = session.get(Message, recipient.message_id)
    key = reminder_key(campaign.name, recipient.address, campaign.deadline, decision.offset_days)
    sent_at = now.astimezone(campaign.tz)
    pending = recipient.applications
    context = ReplyContext(
        kind=ReplyKind.REMINDER,
        to_address=recipient.address,
        to_name=recipient.greeting,
        from_address=campaign.smtp.from_address,
        from_name=campaign.smtp.from_name,
        original_subject=message.subject if message is not None else "",
        original_message_id=message.message_id_header if message is not None else None,
        original_references=list(message.references_header or []) if message is not None else [],
        reference=LIST_SEPARATOR.join(application.reference for application in pending if application.reference),
        campaign_title=campaign.title,
        deadline=campaign.deadline,
        fields={},
        field_labels={},
        missing_labels=_missing_lines(pending),
        needs_review_labels=[],
        message_id=outbox_message_id(key, campaign.smtp.from_address.rsplit("@", 1)[-1]),
        sent_at=sent_at,
    )
    try:
        reply = compose(context, template_folder=campaign.templates_dir)
    except ValueError as exc:
        # The claim stays: a reminder that cannot be written now would fail the same way every sweep.
        log.warning("reminder %s could not be composed: %s", decision.offset_days, exc)
        return False
    row = enqueue(session=session, key=key, kind=ReplyKind.REMINDER, to_address=recipient.address,
                  reply=reply, application_id=None, source_message_id=recipient.message_id, now=now,
                  campaign=campaign.name)
    return row is not None


def _missing_lines(pending: tuple[PendingApplication, ...]) -> list[str]:
    if len(pending) == 1:
        return list(pending[0].missing_labels)
    # One reminder for several applications (an HR office): one line each.
    return [
        f"{application.name or application.reference}（{application.reference}）："
        f"{LIST_SEPARATOR.join(application.missing_labels)}"
        for application in pending
    ]


def _claim(session: Session, campaign: str, recipient: Recipient, deadline: date, offset_days: int) -> bool:
    """Insert the reminder's row; False if it was there already (never raises on the duplicate)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(SentReminder)
        .values(campaign=campaign, recipient=recipient.address, deadline=deadline, offset_days=offset_days,
                reason=recipient.reason, message_id=recipient.message_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["campaign", "recipient", "deadline", "offset_days"])
        .returning(SentReminder.id)
    )
    return session.execute(statement).first() is not None
