"""Migration 0008 files a one-centre database under its campaign, and back.

What was stored before campaigns existed belongs to the one campaign every
application names: its mail and replies are filed under it, and every
account keeps its role there. After it, the same mail may be stored once per
campaign (two centres each answer it), on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from intake.core.migrate import alembic_config, current_revision, head_revision, upgrade_database
from tests.fixtures.schema import columns, execute

pytestmark = pytest.mark.integration

CAMPAIGN = "zj-sme-experts-2020"


def store_mail(url: str, number: int, *, campaign: str | None = None) -> None:
    execute(url,
            "INSERT INTO message (id, raw_sha256, size, body_sha256, received_at, subject, from_name, status,"
            " attempts, is_late, defects, references_header, created_at"
            + (", campaign" if campaign else "") + ")"
            " VALUES (:id, :sha, 10, :sha, '2020-09-10 02:00:00', '报名表', '张三', 'processed', 1, false, '[]',"
            " '[]', '2020-09-10 02:00:00'" + (", :campaign" if campaign else "") + ")",
            id=number, sha=f"{number:064x}", campaign=campaign)


def one_centre_database(url: str) -> None:
    upgrade_database(url, "0007")
    store_mail(url, 1)
    store_mail(url, 2)  # an inquiry: answered, no application
    execute(url, "INSERT INTO application (id, campaign, status, fields, confidence, missing_fields, needs_review,"
                 " warnings, field_sources, is_late, latest_is_late, version, message_id, review_count,"
                 " confirmed_fields, row_version, created_at, updated_at) VALUES (1, :campaign, 'new', '{}', '{}',"
                 " '[]', '[]', '[]', '{}', false, false, 1, 1, 0, '[]', 1, '2020-09-10 02:00:00',"
                 " '2020-09-10 02:00:00')", campaign=CAMPAIGN)
    for number, application_id in ((1, 1), (2, None)):
        execute(url, "INSERT INTO outbox_mail (id, idempotency_key, kind, application_id, source_message_id,"
                     " to_address, subject, message_id_header, raw, status, attempts, next_attempt_at, created_at)"
                     " VALUES (:id, :key, 'acknowledgement', :application, :id, 'zhang@example.com', '回执',"
                     " '<r@x>', :raw, 'sent', 1, '2020-09-10 02:00:00', '2020-09-10 02:00:00')",
                id=number, key=f"{CAMPAIGN}:message-{number}:reply", application=application_id, raw=b"")
    for number, (username, role) in enumerate((("wangfang", "admin"), ("lihua", "reviewer")), start=1):
        execute(url, "INSERT INTO staff_user (id, username, password_hash, role, active, session_version,"
                     " created_at) VALUES (:id, :username, 'x', :role, true, 1, '2020-09-10 02:00:00')",
                id=number, username=username, role=role)


def test_0008_files_a_one_centre_database_under_its_campaign(database_url):
    one_centre_database(database_url)

    upgrade_database(database_url, campaigns=[CAMPAIGN, "mm-sme-experts-2020"])

    assert current_revision(database_url) == head_revision()
    assert execute(database_url, "SELECT id, campaign FROM message ORDER BY id") == [(1, CAMPAIGN), (2, CAMPAIGN)]
    assert execute(database_url, "SELECT id, campaign FROM outbox_mail ORDER BY id") == [(1, CAMPAIGN), (2, CAMPAIGN)]
    assert execute(database_url, "SELECT u.username, g.campaign, g.role FROM staff_grant g"
                                 " JOIN staff_user u ON u.id = g.user_id ORDER BY u.username") == [
        ("lihua", CAMPAIGN, "reviewer"), ("wangfang", CAMPAIGN, "admin")]
    assert "role" not in columns(database_url, "staff_user")
    # The same mail, delivered to another centre's mailbox, is a message of that centre too.
    store_mail(database_url, 3, campaign="mm-sme-experts-2020")
    execute(database_url, "UPDATE message SET raw_sha256 = :sha WHERE id = 3", sha=f"{1:064x}")
    with pytest.raises(sa.exc.IntegrityError):
        execute(database_url, "UPDATE message SET campaign = :campaign WHERE id = 3", campaign=CAMPAIGN)


def test_0008_without_applications_takes_the_only_campaign_configured(database_url):
    upgrade_database(database_url, "0007")
    store_mail(database_url, 1)
    upgrade_database(database_url, campaigns=[CAMPAIGN])
    assert execute(database_url, "SELECT campaign FROM message") == [(CAMPAIGN,)]


def test_0008_downgrades_to_one_campaign_with_each_account_s_highest_role(database_url):
    one_centre_database(database_url)
    upgrade_database(database_url)
    execute(database_url, "INSERT INTO staff_grant (user_id, campaign, role) VALUES (2, 'mm', 'admin')")

    command.downgrade(alembic_config(database_url), "0007")

    assert current_revision(database_url) == "0007"
    assert "campaign" not in columns(database_url, "message")
    assert execute(database_url, "SELECT username, role FROM staff_user ORDER BY id") == [
        ("wangfang", "admin"), ("lihua", "admin")]
    upgrade_database(database_url)
    assert current_revision(database_url) == head_revision()
