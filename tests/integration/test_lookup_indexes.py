"""The lookups made for every mail read an index, never a whole table (migration 0009).

A poll that answers a thousand mails makes each of these a thousand times:
finding whether a fetched mail is a copy of one stored, deciding a reply from
the versions its mail made, and the flood guard's count of what one address
got in the last day. Read table-wide they made a poll quadratic; the plans
SQLite chooses for the statements the code runs must search an index.
Migration 0009 adds the indexes on both backends and takes them away again.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import event

from intake.core.db import make_engine, make_session_factory
from intake.core.migrate import alembic_config, current_revision, upgrade_database
from intake.core.models import Message
from intake.worker.ingest import stored_copies
from notifier.outbox import replies_to_address_since
from notifier.replies import message_items
from tests.fixtures.schema import execute

pytestmark = pytest.mark.integration

NEW_INDEXES = {"ix_outbox_recipient_created", "ix_application_version_message_id", "ix_message_campaign_message_id"}
CAMPAIGN = "zj-sme-experts-2020"
NOW = datetime(2020, 9, 20, 2, 0, tzinfo=timezone.utc)


def indexes(url: str) -> set[str]:
    if url.startswith("sqlite"):
        rows = execute(url, "SELECT name FROM sqlite_master WHERE type = 'index'")
    else:
        rows = execute(url, "SELECT indexname FROM pg_indexes")
    return {name for (name,) in rows}


def test_0009_adds_the_lookup_indexes_and_takes_them_away(database_url):
    upgrade_database(database_url, "0008")
    assert not NEW_INDEXES & indexes(database_url)

    upgrade_database(database_url, "0009")
    assert current_revision(database_url) == "0009"
    assert NEW_INDEXES <= indexes(database_url)

    command.downgrade(alembic_config(database_url), "0008")
    assert not NEW_INDEXES & indexes(database_url)
    assert "ix_message_message_id_header" in indexes(database_url)


def stored_mail(url: str) -> None:
    upgrade_database(url)
    execute(url, "INSERT INTO message (id, campaign, raw_sha256, size, message_id_header, body_sha256, received_at,"
                 " subject, from_name, status, attempts, is_late, defects, references_header, created_at)"
                 " VALUES (1, :campaign, :sha, 10, '<a@qq.com>', :sha, '2020-09-10 02:00:00', '报名表', '张三',"
                 " 'processed', 1, false, '[]', '[]', '2020-09-10 02:00:00')", campaign=CAMPAIGN, sha="a" * 64)
    for number, (address, hours_ago) in enumerate([("Zhang@Example.com", 1), ("zhang@example.com", 30)], start=1):
        execute(url, "INSERT INTO outbox_mail (id, campaign, idempotency_key, kind, to_address, subject,"
                     " message_id_header, raw, status, attempts, next_attempt_at, created_at)"
                     " VALUES (:id, :campaign, :key, 'acknowledgement', :address, '回执', '<r@x>', :raw, 'sent', 1,"
                     " :at, :at)", id=number, campaign=CAMPAIGN, key=f"{CAMPAIGN}:message-{number}:reply",
                address=address, raw=b"", at=(NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%d %H:%M:%S.%f"))


def plans(engine, action) -> list[tuple[str, list[str]]]:
    """Each SELECT ``action`` runs, with the steps of the plan SQLite chooses for it."""
    seen: list[tuple[str, list[str]]] = []

    def explain(connection, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            rows = cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            seen.append((statement, [row[-1] for row in rows]))

    event.listen(engine, "before_cursor_execute", explain)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", explain)
    return seen


def test_every_per_mail_lookup_searches_an_index(sqlite_url):
    stored_mail(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        with make_session_factory(engine)() as session:
            def lookups() -> None:
                # A fetched batch: a re-delivered copy (other bytes, same Message-ID and body) and a new mail.
                copies = stored_copies(session=session, campaign=CAMPAIGN, raw_sha256s=["b" * 64, "c" * 64],
                                       message_id_headers=["<a@qq.com>", "<new@qq.com>"])
                assert copies.find("b" * 64, "<a@qq.com>", "a" * 64).id == 1
                assert copies.find("c" * 64, "<new@qq.com>", "c" * 64) is None
                assert message_items(session.get(Message, 1), session=session) == []
                # The guard compares addresses whatever their case; the reply of 30 hours ago is not counted.
                assert replies_to_address_since(session=session, to_address="ZHANG@example.com",
                                                since=NOW - timedelta(days=1)) == 1

            seen = plans(engine, lookups)
    finally:
        engine.dispose()
    assert len(seen) >= 4
    for statement, steps in seen:
        assert not any(step.startswith("SCAN") for step in steps), (statement, steps)
        # Of a campaign's messages only those with the bytes or Message-ID looked for.
        assert not any(step.endswith("(campaign=?)") for step in steps), (statement, steps)
