"""Migration 0007 adds how long each attachment's parse took, to a database already holding mail, and takes it away.

An attachment read before 0007 has no time (NULL: the figures leave it out),
its row otherwise untouched; the downgrade drops the column again, on SQLite
and PostgreSQL alike.
"""
from __future__ import annotations

import pytest
from alembic import command

from intake.core.migrate import alembic_config, current_revision, upgrade_database
from tests.fixtures.schema import columns, execute

pytestmark = pytest.mark.integration


def test_0007_upgrades_a_database_holding_mail_and_downgrades_again(database_url):
    upgrade_database(database_url, "0006")
    execute(database_url,
            "INSERT INTO message (id, raw_sha256, size, body_sha256, received_at, subject, from_name, status,"
            " attempts, is_late, defects, references_header, created_at)"
            " VALUES (1, :sha, 10, :sha, '2020-09-10 02:00:00', '报名表', '张三', 'processed', 1, false, '[]',"
            " '[]', '2020-09-10 02:00:00')", sha="a" * 64)
    execute(database_url,
            "INSERT INTO attachment (id, message_id, filename, content_type, sha256, size, origin, kind, status,"
            " forms_found) VALUES (1, 1, '报名表.docx', 'application/octet-stream', :sha, 10, 'attachment', 'docx',"
            " 'parsed', 1)", sha="b" * 64)

    upgrade_database(database_url, "0007")
    assert current_revision(database_url) == "0007"
    assert execute(database_url, "SELECT id, kind, parse_seconds FROM attachment") == [(1, "docx", None)]
    execute(database_url, "UPDATE attachment SET parse_seconds = 0.25 WHERE id = 1")
    assert execute(database_url, "SELECT parse_seconds FROM attachment") == [(0.25,)]

    command.downgrade(alembic_config(database_url), "0006")
    assert current_revision(database_url) == "0006"
    assert "parse_seconds" not in columns(database_url, "attachment")
    assert execute(database_url, "SELECT id, kind FROM attachment") == [(1, "docx")]

    upgrade_database(database_url)
    assert "parse_seconds" in columns(database_url, "attachment")
