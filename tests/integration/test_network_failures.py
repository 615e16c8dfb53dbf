"""The network and the database fail in the middle of work: nothing is lost, nothing done twice, staff see why."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from devtools.samples import emails
from devtools.samples.forms import build_form_docx, sample_applicants
from devtools.servers.tcp_proxy import CuttableProxy
from intake.core.models import Application, Message
from intake.worker.pipeline import run_once

CHINA = timezone(timedelta(hours=8))


def deliver_applications(env, count: int, seed: int) -> list:
    people = sample_applicants(count, seed=seed)
    for number, person in enumerate(people):
        raw = emails.netease_mail(sender_name=person.name, sender_address=person.email, subject="报名表",
                                  body="附件是报名表。", attachments=[("报名表.docx", build_form_docx(person))])
        env.deliver(raw, at=datetime(2020, 9, 10, 9, number, tzinfo=CHINA))
    return people


def counts(env) -> tuple[int, int]:
    with env.runtime.session_factory() as session:
        return (session.scalar(select(func.count()).select_from(Message)),
                session.scalar(select(func.count()).select_from(Application)))


def test_a_connection_reset_in_the_middle_of_a_fetch_loses_nothing_and_stores_nothing_twice(
        make_intake_env, sqlite_url, dovecot_server):
    # The server's answers are cut after ~60 KB: in the middle of the first batch's bodies.
    proxy = CuttableProxy((dovecot_server.host, dovecot_server.port), cut_after_bytes=60_000)
    try:
        env = make_intake_env(sqlite_url, mailbox={"host": proxy.host, "port": proxy.port, "batch_size": 3})
        people = deliver_applications(env, 6, seed=61)

        broken = run_once(env.runtime)
        assert proxy.cuts >= 1 and broken.mailbox_error, "the reset must be reported, not swallowed"
        stored_before = counts(env)[0]
        assert stored_before < len(people)

        proxy.cut_after_bytes = None  # the network is back
        for _ in range(2):
            report = run_once(env.runtime)
            assert report.ok, report.mailbox_error
        assert counts(env) == (len(people), len(people))
        assert len(env.smtp_sink.messages) == len(people)
    finally:
        proxy.close()


def test_a_database_locked_by_someone_else_fails_the_poll_visibly_and_the_next_one_catches_up(
        make_intake_env, sqlite_url):
    env = make_intake_env(sqlite_url)
    people = deliver_applications(env, 2, seed=62)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), timeout=0)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the database
    try:
        try:
            locked = run_once(env.runtime)
            failed_visibly = not locked.ok or locked.process.failed or locked.mailbox_error
        except Exception as exc:  # noqa: BLE001 - a raised error is visible too, as long as nothing is lost
            failed_visibly = "locked" in str(exc)
        assert failed_visibly
    finally:
        holder.rollback()
        holder.close()
    for _ in range(2):
        assert run_once(env.runtime).ok
    assert counts(env) == (len(people), len(people))
    assert len(env.smtp_sink.messages) == len(people)
