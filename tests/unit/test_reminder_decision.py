"""Deadline reminders, on a controlled clock: who gets which one, when, and never twice.

The campaign closes at the end of 25 September 2020 (Asia/Shanghai); with the
default offsets a reminder is due at 09:00 on the 18th, the 22nd and the 24th.
"""
from __future__ import annotations

import email
from datetime import datetime, timedelta, timezone
from email import policy
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.cli.main import cli
from intake.core.config import settings_from_mapping
from intake.core.db import make_engine, make_session_factory
from intake.core.migrate import upgrade_database
from intake.core.models import Application, Base, Message, OutboxMail
from intake.core.reminder_models import SentReminder
from intake.core.statuses import ApplicationStatus, OutboxStatus, ReplyKind
from notifier.reminders import (
    INCOMPLETE,
    INQUIRY,
    ReminderSchedule,
    Recipient,
    decide,
    plan_reminders,
    sweep_reminders,
)

CHINA = ZoneInfo("Asia/Shanghai")
CAMPAIGN = "zj-2020"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2020, 9, day, hour, minute, tzinfo=CHINA)


def make_settings(tmp_path, **reminders):
    return settings_from_mapping(
        {
            "mailbox": {"host": "imap.example.org", "username": "centre@example.org", "password": "x"},
            "smtp": {"host": "smtp.example.org", "from_address": "centre@example.org", "password": "x"},
            "database": {"url": f"sqlite:///{tmp_path / 'intake.sqlite3'}"},
            "storage": {"path": str(tmp_path / "store")},
            "campaign": {"name": CAMPAIGN, "deadline": "2020-09-25", "timezone": "Asia/Shanghai"},
            "reminders": reminders,
        },
        base_dir=tmp_path,
    )


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


@pytest.fixture
def schedule(settings):
    return schedule_of(settings)


def schedule_of(settings):
    return ReminderSchedule.of(settings.campaigns[0], settings.reminders)


def applicant(address="wang@example.org", *, wrote=at(10, 10)) -> Recipient:
    return Recipient(address=address, reason=INCOMPLETE, last_mail_at=wrote, message_id=1, greeting="王五")


def one(schedule, now, recipient=None, sent=()):
    [decision] = decide([recipient or applicant()], schedule, now, set(sent))
    return decision


# --- the pure decision ------------------------------------------------------------------


def test_nothing_is_due_before_seven_days_ahead_at_nine(schedule):
    decision = one(schedule, at(18, 8, 59))
    assert not decision.send
    assert "2020-09-18 09:00" in decision.why


@pytest.mark.parametrize("now, offset", [(at(18, 9), 7), (at(22, 9), 3), (at(24, 9), 1), (at(25, 20), 1)])
def test_each_offset_comes_due_at_nine_in_the_campaign_time_zone(schedule, now, offset):
    decision = one(schedule, now)
    assert decision.send and decision.offset_days == offset
    assert decision.due_at == at(25 - offset, 9)


def test_after_downtime_only_the_latest_due_offset_is_sent_not_every_one_missed(schedule):
    decision = one(schedule, at(23, 10))  # the worker was down on the 18th and the 22nd
    assert decision.send and decision.offset_days == 3


def test_an_offset_already_sent_is_never_sent_again(schedule):
    decision = one(schedule, at(23, 10), sent=[("wang@example.org", 3)])
    assert not decision.send and "已发送过" in decision.why
    # The next offset is a new reminder.
    assert one(schedule, at(24, 9), sent=[("wang@example.org", 3)]).offset_days == 1


def test_nothing_after_the_deadline(schedule):
    decision = one(schedule, at(26, 9))
    assert not decision.send and "截止" in decision.why


def test_a_deadline_with_a_time_ends_reminders_at_that_instant(tmp_path):
    settings = make_settings(tmp_path)
    campaign = settings.campaigns[0]
    campaign = type(campaign).model_validate({**campaign.model_dump(), "deadline": "2020-09-25T12:00:00+08:00"})
    schedule = ReminderSchedule.of(campaign, settings.reminders)
    assert one(schedule, at(25, 11, 59)).send
    assert not one(schedule, at(25, 12, 1)).send


@pytest.mark.parametrize("now", [at(24, 21), at(24, 23, 30), at(25, 7, 59)])
def test_only_between_eight_and_nine_in_the_evening(schedule, now):
    decision = one(schedule, now)
    assert not decision.send and "08:00" in decision.why


def test_a_reminder_due_at_night_goes_in_the_morning(schedule):
    assert one(schedule, at(25, 8)).send


def test_someone_who_wrote_after_the_reminder_came_due_is_not_reminded_of_it(schedule):
    wrote_after = applicant(wrote=at(22, 15))  # they had our answer at 15:00
    assert not one(schedule, at(22, 16), wrote_after).send
    assert one(schedule, at(24, 9), wrote_after).send  # the next offset still reminds them


def test_the_daily_cap_of_automatic_replies_applies(schedule):
    flooded = Recipient(address="hr@example.org", reason=INCOMPLETE, last_mail_at=at(10, 9), message_id=1,
                        greeting="", replies_last_day=20)
    decision = one(schedule, at(22, 9), flooded)
    assert not decision.send and "24 小时" in decision.why


def test_no_offsets_configured_means_no_reminders(tmp_path):
    schedule = schedule_of(make_settings(tmp_path, offsets_days=[]))
    assert not one(schedule, at(24, 9)).send


def test_the_offsets_send_time_and_waking_hours_come_from_the_configuration(tmp_path):
    # 21:00 unquoted in YAML is the base-60 number 1260: read as the time it was written as.
    schedule = schedule_of(make_settings(tmp_path, offsets_days=[2], send_at="10:30", not_before="10:00", not_after=1260))
    assert not one(schedule, at(23, 10, 29)).send
    assert one(schedule, at(23, 10, 30)).offset_days == 2
    assert not one(schedule, at(23, 21)).send


# --- who is reminded, from stored rows --------------------------------------------------


@pytest.fixture
def session_factory(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'reminders.sqlite3'}")
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


def add_message(session: Session, address: str, *, received: datetime, subject="报名表", no_reply_reason=None):
    message = Message(
        raw_sha256=f"{address}-{received.isoformat()}-{subject}", size=1, body_sha256="b", received_at=received,
        subject=subject, from_name=address.split("@")[0], from_address=address, reply_address=address,
        message_id_header=f"<{abs(hash((address, received)))}@mail.example.org>", no_reply_reason=no_reply_reason,
    )
    session.add(message)
    session.flush()
    return message


def add_application(session: Session, address: str, *, missing=("mobile",), received=at(10, 10), number=1,
                    no_reply_reason=None):
    message = add_message(session, address, received=received, no_reply_reason=no_reply_reason)
    application = Application(
        campaign=CAMPAIGN, reference=f"ZJZJ-2020-{number:04d}", sender=address, reply_address=address,
        status=ApplicationStatus.INCOMPLETE if missing else ApplicationStatus.PENDING_REVIEW,
        fields={"name": f"申请人{number}"}, missing_fields=list(missing), message_id=message.id,
        received_at=received,
    )
    application.sync_columns()
    session.add(application)
    session.flush()
    return application


def add_inquiry(session: Session, address: str, *, received=at(12, 10)):
    """A question without a form, answered with the inquiry reply (no application)."""
    message = add_message(session, address, received=received, subject="请问报名表是这个吗？")
    session.add(OutboxMail(
        idempotency_key=f"{CAMPAIGN}:message-{message.id}:reply", kind=ReplyKind.INQUIRY, application_id=None,
        source_message_id=message.id, to_address=address, subject="Re: 请问报名表是这个吗？",
        message_id_header=f"<inquiry-{message.id}@example.org>", raw=b"", status=OutboxStatus.SENT,
        next_attempt_at=received, created_at=received,
    ))
    return message


def queued_reminders(session_factory) -> list[OutboxMail]:
    with session_factory() as session:
        return list(session.scalars(select(OutboxMail).where(OutboxMail.kind == ReplyKind.REMINDER)
                                    .order_by(OutboxMail.id)))


def test_incomplete_applicants_and_people_who_only_asked_are_reminded_complete_ones_never(settings, session_factory):
    with session_factory() as session, session.begin():
        add_application(session, "incomplete@example.org", missing=("mobile", "email"), number=1)
        add_application(session, "complete@example.org", missing=(), number=2)
        add_inquiry(session, "asked@example.org")
        add_inquiry(session, "asked-then-applied@example.org")
        add_application(session, "asked-then-applied@example.org", missing=(), number=3, received=at(13, 10))
        add_application(session, "robot@example.org", number=4, no_reply_reason="auto-submitted")

    report = sweep_reminders(settings, settings.campaigns[0], session_factory, at(18, 9))

    assert report.queued == 2
    rows = queued_reminders(session_factory)
    assert sorted(row.to_address for row in rows) == ["asked@example.org", "incomplete@example.org"]
    by_address = {row.to_address: email.message_from_bytes(row.raw, policy=policy.default) for row in rows}
    to_applicant = by_address["incomplete@example.org"]
    body = to_applicant.get_content()
    assert "2020年9月25日" in body and "ZJZJ-2020-0001" in body and "手机" in body
    assert to_applicant["Subject"] == "Re: 报名表"
    assert "咨询" in by_address["asked@example.org"].get_content()
    assert {row.idempotency_key for row in rows} == {
        f"{CAMPAIGN}:reminder:incomplete@example.org:2020-09-25:7",
        f"{CAMPAIGN}:reminder:asked@example.org:2020-09-25:7",
    }


def test_a_sweep_run_twice_or_by_two_workers_queues_each_reminder_once(settings, session_factory):
    with session_factory() as session, session.begin():
        add_application(session, "incomplete@example.org")

    assert sweep_reminders(settings, settings.campaigns[0], session_factory, at(18, 9)).queued == 1
    assert sweep_reminders(settings, settings.campaigns[0], session_factory, at(18, 9, 15)).queued == 0
    assert sweep_reminders(settings, settings.campaigns[0], session_factory, at(19, 9)).queued == 0  # the 7-day one is done
    assert sweep_reminders(settings, settings.campaigns[0], session_factory, at(22, 9)).queued == 1
    with session_factory() as session:
        assert [(row.recipient, row.offset_days, row.reason) for row in session.scalars(select(SentReminder))] == [
            ("incomplete@example.org", 7, INCOMPLETE), ("incomplete@example.org", 3, INCOMPLETE)]
    assert len(queued_reminders(session_factory)) == 2


def test_the_row_recorded_first_wins_even_if_another_sweep_planned_the_same_reminder(settings, session_factory):
    with session_factory() as session, session.begin():
        add_application(session, "incomplete@example.org")
    with session_factory() as session, session.begin():
        session.add(SentReminder(campaign=CAMPAIGN, recipient="incomplete@example.org",
                                 deadline=settings.campaigns[0].deadline, offset_days=7, reason=INCOMPLETE))
    assert sweep_reminders(settings, settings.campaigns[0], session_factory, at(18, 9)).queued == 0
    assert queued_reminders(session_factory) == []


def test_an_applicant_who_completed_the_form_gets_no_further_reminder(settings, session_factory):
    with session_factory() as session, session.begin():
        application_id = add_application(session, "wang@example.org").id
    assert sweep_reminders(settings, settings.campaigns[0], session_factory, at(18, 9)).queued == 1
    with session_factory() as session, session.begin():  # the corrected form arrives on the 20th
        application = session.get(Application, application_id)
        correction = add_message(session, "wang@example.org", received=at(20, 9))
        application.status, application.missing_fields, application.message_id = (
            ApplicationStatus.PENDING_REVIEW, [], correction.id)

    assert sweep_reminders(settings, settings.campaigns[0], session_factory, at(22, 9)).queued == 0
    assert sweep_reminders(settings, settings.campaigns[0], session_factory, at(24, 9)).queued == 0
    assert len(queued_reminders(session_factory)) == 1


def test_an_hr_office_with_several_incomplete_forms_gets_one_reminder_listing_each(settings, session_factory):
    with session_factory() as session, session.begin():
        add_application(session, "hr@example.org", missing=("mobile",), number=1)
        add_application(session, "hr@example.org", missing=("email",), number=2, received=at(11, 10))
    assert sweep_reminders(settings, settings.campaigns[0], session_factory, at(18, 9)).queued == 1
    [row] = queued_reminders(session_factory)
    body = email.message_from_bytes(row.raw, policy=policy.default).get_content()
    assert "ZJZJ-2020-0001" in body and "ZJZJ-2020-0002" in body


def test_the_dry_run_plan_says_who_would_get_what_and_why(settings, session_factory):
    with session_factory() as session, session.begin():
        add_application(session, "incomplete@example.org", missing=("mobile",))
        add_inquiry(session, "asked@example.org", received=at(22, 15))
    with session_factory() as session:
        plan = {d.recipient.address: d for d in plan_reminders(session, settings, settings.campaigns[0], at(22, 16))}
    assert plan["incomplete@example.org"].send and "手机" in plan["incomplete@example.org"].why
    assert plan["asked@example.org"].recipient.reason == INQUIRY
    assert not plan["asked@example.org"].send and "来信" in plan["asked@example.org"].why
    assert queued_reminders(session_factory) == []  # planning queues nothing


def test_a_reminder_is_threaded_on_the_latest_mail_and_dated_now(settings, session_factory):
    with session_factory() as session, session.begin():
        add_application(session, "incomplete@example.org")
    sweep_reminders(settings, settings.campaigns[0], session_factory, at(24, 9, 5))
    [row] = queued_reminders(session_factory)
    message = email.message_from_bytes(row.raw, policy=policy.default)
    assert message["In-Reply-To"].startswith("<") and message["Auto-Submitted"] == "auto-replied"
    assert message["Date"].datetime == at(24, 9, 5)
    assert row.created_at == at(24, 9, 5).astimezone(timezone.utc)
    assert row.next_attempt_at <= at(24, 9, 5) + timedelta(seconds=1)


def test_intake_reminders_dry_run_lists_who_would_get_what_and_sends_nothing(tmp_path):
    settings = make_settings(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "mailbox": {"host": "imap.example.org", "username": "centre@example.org", "password": "x"},
        "smtp": {"host": "smtp.example.org", "from_address": "centre@example.org", "password": "x"},
        "database": {"url": settings.database.url},
        "storage": {"path": str(tmp_path / "store")},
        "campaign": {"name": CAMPAIGN, "deadline": "2020-09-25"},
    }), encoding="utf-8")
    upgrade_database(settings.database.url, campaigns=[c.name for c in settings.campaigns])
    engine = make_engine(settings.database.url)
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        add_application(session, "incomplete@example.org", missing=("mobile",))
        add_inquiry(session, "asked@example.org", received=at(22, 15))

    result = CliRunner().invoke(cli, ["--config", str(config), "reminders", "--dry-run", "--at", "2020-09-22T16:00"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "截止前 7、3、1 天的 09:00 提醒" in lines[0]
    assert "发送 1 封，不发送 1 封" in lines[1]
    assert any(line.startswith("  发送  incomplete@example.org  [报名未完成]") and "截止前 3 天" in line
               and "手机" in line for line in lines)
    assert any(line.startswith("  不发  asked@example.org  [只咨询过]") for line in lines)
    assert queued_reminders(factory) == []
    engine.dispose()
