from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intake.core.config import OutboxSettings
from intake.core.migrate import upgrade_database
from intake.core.db import make_engine, make_session_factory
from intake.core.models import Base, OutboxMail
from intake.core.statuses import OutboxStatus, ReplyKind
from notifier import outbox
from notifier.outbox import enqueue, flush_outbox, outbox_message_id
from notifier.outbox_rows import SENDING_LEASE
from notifier.smtp import TransientSendError
from tests.fixtures.smtp import composed_acknowledgement, sink_settings

pytestmark = pytest.mark.integration

T0 = datetime(2020, 9, 20, 2, 0, tzinfo=timezone.utc)
POLICY = OutboxSettings(retry_base_seconds=60, retry_max_seconds=600, expire_after_hours=24, batch_size=50)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def session_factory(database_url):
    upgrade_database(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def reply(key: str, to_address: str):
    return composed_acknowledgement(to_address, message_id=outbox_message_id(key, "126.com"), sent_at=T0)


def add(session_factory, key: str, to_address: str, now: datetime = T0):
    with session_factory() as session, session.begin():
        return enqueue(
            session=session,
            key=key,
            kind=ReplyKind.ACKNOWLEDGEMENT,
            to_address=to_address,
            reply=reply(key, to_address),
            application_id=None,
            source_message_id=None,
            now=now,
        )


def rows(session_factory) -> dict[str, OutboxMail]:
    with session_factory() as session:
        return {row.idempotency_key: row for row in session.scalars(select(OutboxMail))}


def received_by(sink) -> list[tuple[str, str]]:
    return sorted((mail.rcpt_tos[0], mail.message["Message-ID"]) for mail in sink.messages)


def test_message_id_is_deterministic():
    assert outbox_message_id("ack:7", "126.com") == outbox_message_id("ack:7", "126.com")
    assert outbox_message_id("ack:7", "126.com") != outbox_message_id("ack:8", "126.com")
    assert outbox_message_id("ack:7", "126.com").startswith("<intake.")
    with pytest.raises(ValueError):
        outbox_message_id("ack:7", "126.com>\r\nX: y")


def test_enqueue_same_key_twice_records_one_row(session_factory):
    assert add(session_factory, "ack:1", "a@example.com") is not None
    assert add(session_factory, "ack:1", "a@example.com") is None
    [row] = rows(session_factory).values()
    assert row.status == OutboxStatus.PENDING
    assert row.message_id_header == outbox_message_id("ack:1", "126.com")
    assert row.subject == "Re: 报名表"
    assert b"13812341234" not in row.raw


def test_enqueue_race_never_records_the_key_twice(session_factory, monkeypatch):
    add(session_factory, "ack:1", "a@example.com")
    # Pretend another worker inserted the key between our check and our insert.
    monkeypatch.setattr(outbox, "_key_exists", lambda session, key, calls=iter([False, True]): next(calls))
    with session_factory() as session:
        session.begin()
        session.add(
            OutboxMail(
                idempotency_key="ack:other", kind="acknowledgement", to_address="b@example.com",
                subject="s", message_id_header="<x@y>", raw=b"x", created_at=T0, next_attempt_at=T0,
            )
        )
        race = dict(
            session=session, key="ack:1", kind=ReplyKind.ACKNOWLEDGEMENT, to_address="a@example.com",
            reply=reply("ack:1", "a@example.com"), application_id=None, source_message_id=None, now=T0,
        )
        assert enqueue(**race) is None  # the savepoint absorbed it
        session.commit()
        expected = {"ack:1", "ack:other"}  # and the caller's own work survived
    assert set(rows(session_factory)) == expected


def test_enqueue_is_undone_by_the_callers_rollback(session_factory):
    with session_factory() as session:
        session.begin()
        enqueue(
            session=session, key="ack:1", kind=ReplyKind.ACKNOWLEDGEMENT, to_address="a@example.com",
            reply=reply("ack:1", "a@example.com"), application_id=None, source_message_id=None, now=T0,
        )
        session.rollback()
    assert rows(session_factory) == {}


def test_flush_sends_each_row_exactly_once(session_factory, smtp_sink, clock):
    for n in range(3):
        add(session_factory, f"ack:{n}", f"applicant{n}@example.com")
    report = flush_outbox(session_factory, sink_settings(smtp_sink), POLICY, now=clock)
    assert (report.sent, report.retried, report.failed, report.remaining) == (3, 0, 0, 0)
    assert received_by(smtp_sink) == [
        (f"applicant{n}@example.com", outbox_message_id(f"ack:{n}", "126.com")) for n in range(3)
    ]
    for row in rows(session_factory).values():
        assert (row.status, row.attempts, row.sent_at) == (OutboxStatus.SENT, 1, T0)

    clock.advance(hours=1)
    assert flush_outbox(session_factory, sink_settings(smtp_sink), POLICY, now=clock).sent == 0
    assert len(smtp_sink.messages) == 3


def test_server_down_loses_nothing_and_resumes(session_factory, smtp_sink, clock):
    for n in range(3):
        add(session_factory, f"ack:{n}", f"applicant{n}@example.com")
    settings = sink_settings(smtp_sink)
    smtp_sink.stop()

    report = flush_outbox(session_factory, settings, POLICY, now=clock)
    assert (report.sent, report.retried, report.failed, report.remaining) == (0, 1, 0, 3)
    assert "ServerUnavailableError" in report.stopped_by
    state = rows(session_factory)
    assert all(row.status == OutboxStatus.PENDING for row in state.values())
    assert state["ack:0"].attempts == 1
    assert state["ack:0"].next_attempt_at == T0 + timedelta(seconds=60)
    assert state["ack:0"].last_error
    assert state["ack:1"].attempts == state["ack:2"].attempts == 0  # not hammered

    clock.advance(seconds=30)
    report = flush_outbox(session_factory, settings, POLICY, now=clock)
    assert (report.sent, report.retried, report.remaining) == (0, 1, 3)
    assert rows(session_factory)["ack:1"].attempts == 1

    smtp_sink.start()
    clock.advance(minutes=10)
    report = flush_outbox(session_factory, settings, POLICY, now=clock)
    assert (report.sent, report.retried, report.failed, report.remaining) == (3, 0, 0, 0)
    assert received_by(smtp_sink) == [
        (f"applicant{n}@example.com", outbox_message_id(f"ack:{n}", "126.com")) for n in range(3)
    ]


def test_5xx_for_one_recipient_fails_only_that_row(session_factory, smtp_sink, clock):
    add(session_factory, "ack:good1", "good1@example.com")
    add(session_factory, "ack:bad", "gone@example.com")
    add(session_factory, "ack:good2", "good2@example.com")
    smtp_sink.set_recipient_reply("gone@example.com", "550 5.1.1 mailbox unavailable")

    report = flush_outbox(session_factory, sink_settings(smtp_sink), POLICY, now=clock)
    assert (report.sent, report.retried, report.failed, report.remaining) == (2, 0, 1, 0)
    state = rows(session_factory)
    assert state["ack:bad"].status == OutboxStatus.FAILED
    assert "550" in state["ack:bad"].last_error
    assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == ["good1@example.com", "good2@example.com"]


def test_row_stuck_in_sending_is_resent_with_the_same_message_id(session_factory, smtp_sink, clock):
    add(session_factory, "ack:1", "a@example.com")
    # A flush claimed it and died before recording the outcome.
    with session_factory() as session, session.begin():
        row = session.scalars(select(OutboxMail)).one()
        row.status, row.attempts, row.next_attempt_at = OutboxStatus.SENDING, 1, T0 + SENDING_LEASE

    clock.advance(minutes=5)
    report = flush_outbox(session_factory, sink_settings(smtp_sink), POLICY, now=clock)
    assert (report.sent, report.remaining) == (0, 1)  # lease still running: another flush may own it

    clock.advance(minutes=6)
    report = flush_outbox(session_factory, sink_settings(smtp_sink), POLICY, now=clock)
    assert report.sent == 1
    [mail] = smtp_sink.messages
    assert mail.message["Message-ID"] == outbox_message_id("ack:1", "126.com")
    row = rows(session_factory)["ack:1"]
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)


def test_rows_past_expiry_fail_when_they_still_cannot_go(session_factory, smtp_sink, clock):
    add(session_factory, "ack:old1", "a@example.com")
    add(session_factory, "ack:old2", "b@example.com")
    add(session_factory, "ack:new", "c@example.com", now=T0 + timedelta(hours=20))
    smtp_sink.stop()
    clock.advance(hours=25)

    report = flush_outbox(session_factory, sink_settings(smtp_sink), POLICY, now=clock)
    assert (report.sent, report.failed, report.remaining) == (0, 2, 1)
    state = rows(session_factory)
    assert state["ack:old1"].status == state["ack:old2"].status == OutboxStatus.FAILED
    assert state["ack:old1"].last_error.startswith("expired")
    assert state["ack:old2"].last_error.startswith("expired")
    assert state["ack:new"].status == OutboxStatus.PENDING


def test_backoff_doubles_up_to_the_cap_and_errors_are_redacted(session_factory, clock):
    add(session_factory, "ack:1", "a@example.com")

    def busy(settings, message, *, to_address):
        raise TransientSendError("450 mailbox 13812341234 busy")

    delays = []
    for _ in range(6):
        flush_outbox(session_factory, sink_settings_stub(), POLICY, now=clock, send=busy)
        row = rows(session_factory)["ack:1"]
        delays.append((row.next_attempt_at - clock.now).total_seconds())
        clock.now = row.next_attempt_at
    assert delays == [60, 120, 240, 480, 600, 600]
    assert row.status == OutboxStatus.PENDING
    assert "13812341234" not in row.last_error and "138****1234" in row.last_error


def test_unexpected_error_puts_the_row_back_and_propagates(session_factory, clock):
    add(session_factory, "ack:1", "a@example.com")

    def broken(settings, message, *, to_address):
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        flush_outbox(session_factory, sink_settings_stub(), POLICY, now=clock, send=broken)
    row = rows(session_factory)["ack:1"]
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert "RuntimeError" in row.last_error


def sink_settings_stub():
    class NoServer:
        host, port = "127.0.0.1", 9

    return sink_settings(NoServer())


def test_replies_over_a_send_limit_wait_with_the_reason_and_go_when_the_window_has_room(
        session_factory, smtp_sink, clock):
    limited = POLICY.model_copy(update={"max_per_domain_per_hour": 2, "max_per_hour": 4})
    for number in range(4):
        add(session_factory, f"qq:{number}", f"applicant{number}@qq.com")
    add(session_factory, "163:0", "other@163.com")

    first = flush_outbox(session_factory, sink_settings(smtp_sink), limited, now=clock)

    assert (first.sent, first.held) == (3, 2)  # two to qq.com, one to 163.com; two to qq.com wait
    assert "qq.com" in first.held_because and "上限" in first.held_because
    waiting = [row for row in rows(session_factory).values() if row.status == OutboxStatus.PENDING]
    assert len(waiting) == 2 and all("qq.com" in row.last_error and row.attempts == 0 for row in waiting)

    clock.advance(minutes=30)  # the hour is not over: still waiting, nothing dropped
    assert flush_outbox(session_factory, sink_settings(smtp_sink), limited, now=clock).sent == 0
    clock.advance(minutes=40)
    later = flush_outbox(session_factory, sink_settings(smtp_sink), limited, now=clock)
    assert (later.sent, later.held, later.remaining) == (2, 0, 0)
    assert len(smtp_sink.messages) == 5


def test_the_overall_limit_stops_the_flush(session_factory, smtp_sink, clock):
    limited = POLICY.model_copy(update={"max_per_hour": 2})
    for number in range(4):
        add(session_factory, f"a:{number}", f"person{number}@example{number}.cn")
    report = flush_outbox(session_factory, sink_settings(smtp_sink), limited, now=clock)
    assert (report.sent, report.held, report.remaining) == (2, 1, 2)
    assert "每小时最多发送 2 封" in report.held_because
