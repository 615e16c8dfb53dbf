"""What an operator sees of a campaign's day, counted from the database (SQLite here;
tests/integration/test_operations_queries.py runs the same day on PostgreSQL).

The day: four mails fetched, one of them waiting in the queue since 09:00 and
one failed; a Word form read in 0.4 s and a scan in 3 s, a photo that could
not be read; replies: one sent, one given up on, two waiting, one of which a
send limit holds back. Last year's campaign still has an application and a
reply on file, counted apart.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from intake.cli.reporting import age_text
from intake.core.db import make_engine, make_session_factory
from intake.core.metrics import metrics_registry, metrics_text
from intake.core.migrate import upgrade_database
from intake.core.models import Application, Attachment, Message, OutboxMail
from intake.core.operations import campaign_operations
from intake.core.statuses import ApplicationStatus, AttachmentStatus, MessageStatus, OutboxStatus, ReplyKind
from notifier.send_limits import HOLD_NOTE

CAMPAIGN = "zj-2020"
LAST_YEAR = "zj-2019"
NOW = datetime(2020, 9, 14, 2, 0, tzinfo=timezone.utc)  # 10:00 in Zhanjiang
HELD_REASON = f"已达到每小时最多发送 60 封的上限，{HOLD_NOTE}"


@pytest.fixture
def session_factory(tmp_path):
    url = f"sqlite:///{tmp_path / 'operations.sqlite3'}"
    upgrade_database(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def mail(session, number: int, status: MessageStatus, *, fetched: datetime, campaign: str = CAMPAIGN) -> Message:
    message = Message(campaign=campaign, raw_sha256=f"{number:064x}", size=100, body_sha256="0" * 64, received_at=fetched,
                      status=status, created_at=fetched)
    session.add(message)
    session.flush()
    return message


def attachment(session, message: Message, kind: str, status: AttachmentStatus, seconds: float | None) -> None:
    session.add(Attachment(message_id=message.id, filename=f"报名表.{kind}", content_type="application/octet-stream",
                           sha256="1" * 64, size=10, origin="attachment", kind=kind, status=status,
                           parse_seconds=seconds))


def reply(session, key: str, status: OutboxStatus, *, last_error: str | None = None) -> None:
    session.add(OutboxMail(campaign=key.split(":", 1)[0], idempotency_key=key, kind=ReplyKind.ACKNOWLEDGEMENT, to_address="zhang@example.com",
                           subject="回执", message_id_header=f"<{key}@example.com>", raw=b"", status=status,
                           last_error=last_error))


def record_a_day(session) -> None:
    word = mail(session, 1, MessageStatus.PROCESSED, fetched=NOW - timedelta(hours=3))
    attachment(session, word, "docx", AttachmentStatus.PARSED, 0.4)
    scan = mail(session, 2, MessageStatus.PROCESSED, fetched=NOW - timedelta(hours=2))
    attachment(session, scan, "pdf", AttachmentStatus.PARTIAL, 3.0)
    attachment(session, scan, "image", AttachmentStatus.UNREADABLE, None)  # gave up before a parse was timed
    mail(session, 3, MessageStatus.FAILED, fetched=NOW - timedelta(hours=1, minutes=30))
    mail(session, 4, MessageStatus.STORED, fetched=NOW - timedelta(hours=1))
    session.add(Application(campaign=LAST_YEAR, status=ApplicationStatus.APPROVED, message_id=word.id))
    reply(session, f"{CAMPAIGN}:message-1:reply", OutboxStatus.SENT)
    reply(session, f"{CAMPAIGN}:message-2:reply", OutboxStatus.FAILED, last_error="550 mailbox unavailable")
    reply(session, f"{CAMPAIGN}:application-1:request_info:1", OutboxStatus.PENDING, last_error=HELD_REASON)
    reply(session, f"{CAMPAIGN}:reminder:li@example.com:2020-09-25:3", OutboxStatus.PENDING)
    reply(session, f"{LAST_YEAR}:message-9:reply", OutboxStatus.SENT)
    session.commit()


def test_the_operator_sees_the_queue_failures_replies_and_parse_times_of_each_campaign(session_factory):
    with session_factory() as session:
        record_a_day(session)
        this_year, last_year = campaign_operations(session, campaigns=[CAMPAIGN], held_note=HOLD_NOTE)

    assert this_year.campaign == CAMPAIGN
    assert this_year.mails_fetched == 4
    assert this_year.queue_depth == 1
    assert this_year.oldest_unparsed_age(NOW) == timedelta(hours=1)
    assert this_year.failed_mails == 1
    assert this_year.unreadable_attachments == 1
    assert {kind: (times.count, times.seconds) for kind, times in this_year.parse_times.items()} == {
        "docx": (1, 0.4), "pdf": (1, 3.0)}
    assert this_year.replies[OutboxStatus.SENT] == 1 and this_year.replies[OutboxStatus.FAILED] == 1
    assert (this_year.replies_waiting, this_year.replies_held) == (2, 1)

    assert last_year.campaign == LAST_YEAR
    assert last_year.replies[OutboxStatus.SENT] == 1 and last_year.replies_waiting == 0
    assert last_year.mails_fetched == 0  # every mail was this year's mailbox's


def test_an_empty_database_reports_an_empty_queue(session_factory):
    with session_factory() as session:
        (figures,) = campaign_operations(session, campaigns=[CAMPAIGN], held_note=HOLD_NOTE)
    assert (figures.mails_fetched, figures.queue_depth, figures.replies_waiting) == (0, 0, 0)
    assert figures.oldest_unparsed_age(NOW) is None and figures.parse_times == {}


def scrape(registry) -> dict[tuple[str, tuple], float]:
    """Every sample of the Prometheus text, by name and labels."""
    text = metrics_text(registry).decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_prometheus_reads_the_same_figures_with_campaign_status_and_format_as_the_only_labels(session_factory):
    with session_factory() as session:
        record_a_day(session)
    samples = scrape(metrics_registry(session_factory, campaigns=[CAMPAIGN], held_note=HOLD_NOTE))
    this_year = (("campaign", CAMPAIGN),)

    assert samples[("intake_database_up", ())] == 1
    assert samples[("intake_mails_fetched_total", this_year)] == 4
    assert samples[("intake_mails", (("campaign", CAMPAIGN), ("status", "failed")))] == 1
    assert samples[("intake_queue_depth", this_year)] == 1
    assert samples[("intake_oldest_unparsed_seconds", this_year)] > 3600  # fetched an hour before NOW, in 2020
    assert samples[("intake_attachments_unreadable_total", this_year)] == 1
    docx = (("campaign", CAMPAIGN), ("format", "docx"))
    assert samples[("intake_parse_seconds_count", docx)] == 1
    assert samples[("intake_parse_seconds_sum", docx)] == pytest.approx(0.4)
    assert samples[("intake_replies_total", (("campaign", CAMPAIGN), ("status", "sent")))] == 1
    assert samples[("intake_replies_total", (("campaign", LAST_YEAR), ("status", "sent")))] == 1
    assert samples[("intake_replies_waiting", this_year)] == 2
    assert samples[("intake_replies_held", this_year)] == 1
    assert {name for _, labels in samples for name, _ in labels} == {"campaign", "status", "format"}


def test_a_scrape_while_the_database_is_gone_says_so_instead_of_failing(tmp_path):
    unreachable = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'intake.sqlite3'}")
    samples = scrape(metrics_registry(make_session_factory(unreachable), campaigns=[CAMPAIGN],
                                      held_note=HOLD_NOTE))
    assert samples == {("intake_database_up", ()): 0}


def test_intake_status_says_how_long_the_oldest_mail_has_waited_as_staff_say_it():
    assert [age_text(timedelta(seconds=s)) for s in (20, 12 * 60, 65 * 60, 51 * 3600 + 59)] == [
        "不到 1 分钟", "12 分钟", "1 小时 5 分钟", "2 天 3 小时"]
