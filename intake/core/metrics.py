"""Prometheus figures, counted from the database at each scrape (``intake.core.operations``).

A collector rather than counters kept in memory: any number of workers on any
number of machines write the rows, so whichever process is scraped reports
the same numbers, and a restart loses none. Counters are kept for what only
grows (mail fetched, replies sent or given up on, unreadable attachments);
what goes up and down (mail by status, the queue, replies waiting) is a gauge.
Labels are campaign names, statuses and file formats, never anything about a
person. When the database does not answer, the scrape still succeeds with
``intake_database_up 0`` and nothing else, so the alert says what is wrong.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import CollectorRegistry
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from intake.core.operations import CampaignOperations, campaign_operations
from intake.core.statuses import OutboxStatus

log = logging.getLogger(__name__)

__all__ = ["CONTENT_TYPE_LATEST", "OperationsCollector", "metrics_registry", "metrics_text"]

# Replies that are over, one way or the other: these only ever grow.
FINISHED_REPLIES = (OutboxStatus.SENT, OutboxStatus.FAILED)


class OperationsCollector:
    """Reads ``campaign_operations`` when Prometheus scrapes; keeps nothing between scrapes."""

    def __init__(self, session_factory: sessionmaker[Session], *, campaigns: list[str], held_note: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self._session_factory = session_factory
        self._campaigns, self._held_note, self._clock = campaigns, held_note, clock

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("intake_database_up", "1 when the database answered this scrape, else 0.")
        try:
            with self._session_factory() as session:
                campaigns = campaign_operations(session, campaigns=self._campaigns,
                                                held_note=self._held_note)
        except SQLAlchemyError as exc:
            log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _families(campaigns, self._clock())


def _families(campaigns: list[CampaignOperations], now: datetime) -> Iterator[Metric]:
    fetched = CounterMetricFamily("intake_mails_fetched", "Mails fetched from the mailbox and stored.",
                                  labels=["campaign"])
    mails = GaugeMetricFamily("intake_mails", "Stored mails by what became of them.", labels=["campaign", "status"])
    queue = GaugeMetricFamily("intake_queue_depth", "Mails stored but not yet read and recorded.",
                              labels=["campaign"])
    oldest = GaugeMetricFamily("intake_oldest_unparsed_seconds",
                               "How long the oldest mail in the queue has waited since it was fetched (0: none).",
                               labels=["campaign"])
    unreadable = CounterMetricFamily("intake_attachments_unreadable", "Attachments that could not be read.",
                                     labels=["campaign"])
    parse_seconds = SummaryMetricFamily("intake_parse_seconds", "Seconds each attachment's parse took, by format.",
                                        labels=["campaign", "format"])
    replies = CounterMetricFamily("intake_replies", "Replies sent, or given up on (failed).",
                                  labels=["campaign", "status"])
    waiting = GaugeMetricFamily("intake_replies_waiting", "Replies not yet sent (held ones included).",
                                labels=["campaign"])
    held = GaugeMetricFamily("intake_replies_held", "Replies waiting because a send limit holds them back.",
                             labels=["campaign"])
    for figures in campaigns:
        name = figures.campaign
        fetched.add_metric([name], figures.mails_fetched)
        for status, count in figures.mails.items():
            mails.add_metric([name, status.value], count)
        queue.add_metric([name], figures.queue_depth)
        age = figures.oldest_unparsed_age(now)
        oldest.add_metric([name], age.total_seconds() if age is not None else 0.0)
        unreadable.add_metric([name], figures.unreadable_attachments)
        for kind, times in figures.parse_times.items():
            parse_seconds.add_metric([name, kind], times.count, times.seconds)
        for status in FINISHED_REPLIES:
            replies.add_metric([name, status.value], figures.replies[status])
        waiting.add_metric([name], figures.replies_waiting)
        held.add_metric([name], figures.replies_held)
    yield from (fetched, mails, queue, oldest, unreadable, parse_seconds, replies, waiting, held)


def metrics_registry(session_factory: sessionmaker[Session], *, campaigns: list[str],
                     held_note: str) -> CollectorRegistry:
    """A registry of its own holding only these figures (never the process-global one:
    one process's own numbers would mislead when several processes do the work)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OperationsCollector(session_factory, campaigns=campaigns, held_note=held_note))
    return registry


def metrics_text(registry: CollectorRegistry) -> bytes:
    """The Prometheus text format (``CONTENT_TYPE_LATEST``)."""
    return generate_latest(registry)
