"""``intake run``: APScheduler calls run_once every interval until stopped."""
from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler

from intake.core.db import Runtime
from intake.worker.pipeline import AlreadyRunning, run_once

log = logging.getLogger(__name__)


def run_forever(runtime: Runtime) -> None:
    interval = runtime.settings.poll.interval_seconds
    scheduler = BlockingScheduler(timezone=runtime.settings.campaign.timezone)
    scheduler.add_job(
        _poll_job, "interval", seconds=interval, args=[runtime], id="poll",
        max_instances=1, coalesce=True, next_run_time=datetime.now(runtime.settings.campaign.tz),
        misfire_grace_time=interval,
    )

    def stop(signum, _frame):
        log.info("signal %s received; stopping after the current poll", signum)
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("intake worker started: polling %s every %ss", runtime.settings.mailbox.host, interval)
    scheduler.start()
    log.info("intake worker stopped")


def _poll_job(runtime: Runtime) -> None:
    try:
        report = run_once(runtime)
    except AlreadyRunning as exc:
        log.warning("%s", exc)
        return
    except Exception:  # the scheduler must survive anything a poll throws
        log.exception("poll failed; the next poll will try again")
        return
    outbox = report.outbox
    log.info(
        "poll: fetched %d new (%d duplicates), processed %d, ignored %d, failed %d; "
        "applications +%d new, %d updated; replies queued %d, sent %d, waiting %d%s",
        report.ingest.stored, report.ingest.duplicates, report.process.processed, report.process.ignored,
        report.process.failed, report.process.applications_created, report.process.applications_updated,
        report.process.replies_queued, outbox.sent if outbox else 0, outbox.remaining if outbox else 0,
        f"; mailbox error: {report.mailbox_error}" if report.mailbox_error else "",
    )
