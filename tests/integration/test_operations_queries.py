"""The operator's figures of a campaign's day (tests/unit/test_operations.py) on both databases:
the same rows give the same queue, failures, replies and parse times on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest

from intake.core.db import make_engine, make_session_factory
from intake.core.metrics import metrics_registry
from intake.core.migrate import upgrade_database
from intake.core.operations import campaign_operations
from intake.core.statuses import OutboxStatus
from notifier.send_limits import HOLD_NOTE
from tests.unit.test_operations import CAMPAIGN, LAST_YEAR, NOW, record_a_day, scrape

pytestmark = pytest.mark.integration


@pytest.fixture
def session_factory(database_url):
    upgrade_database(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def test_each_campaign_gets_its_own_figures_on_either_database(session_factory):
    with session_factory() as session:
        record_a_day(session)
        this_year, last_year = campaign_operations(session, campaigns=[CAMPAIGN], held_note=HOLD_NOTE)

    assert (this_year.campaign, this_year.mails_fetched, this_year.queue_depth, this_year.failed_mails) == (
        CAMPAIGN, 4, 1, 1)
    assert this_year.oldest_unparsed_age(NOW) == timedelta(hours=1)
    assert {kind: (times.count, round(times.seconds, 6)) for kind, times in this_year.parse_times.items()} == {
        "docx": (1, 0.4), "pdf": (1, 3.0)}
    assert (this_year.replies[OutboxStatus.SENT], this_year.replies[OutboxStatus.FAILED]) == (1, 1)
    assert (this_year.replies_waiting, this_year.replies_held) == (2, 1)
    assert (last_year.campaign, last_year.replies[OutboxStatus.SENT], last_year.mails_fetched) == (LAST_YEAR, 1, 0)

    samples = scrape(metrics_registry(session_factory, campaigns=[CAMPAIGN], held_note=HOLD_NOTE))
    assert samples[("intake_queue_depth", (("campaign", CAMPAIGN),))] == 1
    assert samples[("intake_parse_seconds_count", (("campaign", CAMPAIGN), ("format", "pdf")))] == 1
