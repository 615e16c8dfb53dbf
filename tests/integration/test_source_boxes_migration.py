"""Migration 0006 adds where each field was read, to a database already holding applications, and takes it away.

An application stored before 0006 has no field sources: after the upgrade it
has an empty map (the detail page says "无来源框"), its data untouched; the
downgrade drops the column again, on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from intake.core.db import make_engine
from intake.core.migrate import alembic_config, current_revision, upgrade_database
from tests.fixtures.schema import columns

pytestmark = pytest.mark.integration


def stored_before_0006(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO message (id, raw_sha256, size, body_sha256, received_at, subject, from_name, status,"
                " attempts, is_late, defects, references_header, created_at)"
                " VALUES (1, :sha, 10, :sha, '2020-09-10 02:00:00', '报名表', '张三', 'processed', 1, false, '[]',"
                " '[]', '2020-09-10 02:00:00')"), {"sha": "a" * 64})
            connection.execute(sa.text(
                "INSERT INTO application (id, campaign, status, fields, confidence, missing_fields, needs_review,"
                " warnings, is_late, latest_is_late, version, message_id, review_count, confirmed_fields,"
                " row_version, created_at, updated_at)"
                " VALUES (1, 'zj-2020', 'pending_review', '{\"name\": \"张三\"}', '{}', '[]', '[]', '[]', false,"
                " false, 1, 1, 0, '[]', 1, '2020-09-10 02:00:00', '2020-09-10 02:00:00')"))
            connection.execute(sa.text(
                "INSERT INTO application_version (id, application_id, version, message_id, fields, missing_fields,"
                " created_at) VALUES (1, 1, 1, 1, '{\"name\": \"张三\"}', '[]', '2020-09-10 02:00:00')"))
    finally:
        engine.dispose()


def read(url: str, query: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(query))]
    finally:
        engine.dispose()


def test_0006_upgrades_a_filled_database_and_downgrades_again(database_url):
    upgrade_database(database_url, "0005")
    stored_before_0006(database_url)

    upgrade_database(database_url, "0006")
    assert current_revision(database_url) == "0006"
    assert read(database_url, "SELECT id, field_sources FROM application") in ([(1, {})], [(1, "{}")])
    assert read(database_url, "SELECT id, field_sources FROM application_version") in ([(1, {})], [(1, "{}")])

    command.downgrade(alembic_config(database_url), "0005")
    assert current_revision(database_url) == "0005"
    assert "field_sources" not in columns(database_url, "application")
    assert "field_sources" not in columns(database_url, "application_version")
    assert read(database_url, "SELECT id FROM application") == [(1,)]

    upgrade_database(database_url)
    assert "field_sources" in columns(database_url, "application")
