"""``intake run``: the scheduled jobs, run by the one process that leads for its database.

A second ``intake run`` on the same database (on this machine or another)
stands by and takes over when the first dies (``leadership``). The leader's
APScheduler 3 jobs, defined here and kept in memory:

- ``poll``: fetch, process and send (``pipeline.run_once``) every
  ``poll.interval_seconds``; while IMAP IDLE works, every
  ``poll.idle_safety_seconds`` instead, and a poll starts as soon as the
  server reports new mail;
- ``outbox``: send what has come due (retries) every minute;
- ``reminders``: queue the deadline reminders that are due and send them,
  every quarter of an hour on the quarter;
- ``watch``: stop after SIGTERM/SIGINT, or at once when this process no
  longer leads.

With the job queue (``jobs.queue``) the leader only fetches and hands each
stored message to the workers (``pipeline.fetch_for_workers``); its
``outbox`` job asks a worker to send what has come due instead of sending.

Poll and sweep also run at start-up: jobs live in memory, so that run is the
one missed while the worker was down. Job defaults are ``coalesce`` and
``max_instances=1`` with no misfire limit, so a run missed while the process
was busy or asleep happens once when it can, never in a burst (APScheduler's
default grace of one second would silently skip it).
"""
from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from procrastinate import App

from intake.core.config import CampaignSettings
from intake.core.db import Runtime
from intake.mail.mailbox import watch_for_new_mail
from intake.worker.leadership import Leadership, leadership_for, wait_for_leadership
from intake.worker.jobs import defer_sending, queue_app
from intake.worker.pipeline import AlreadyRunning, fetch_for_workers, run_once
from notifier.outbox import flush_outbox
from notifier.reminders import sweep_reminders

log = logging.getLogger(__name__)

OUTBOX_FLUSH_SECONDS = 60
REMINDER_SWEEP_MINUTES = 15
WATCH_SECONDS = 1  # how soon a stop request or a lost lead is acted on
LEADERSHIP_CHECK_SECONDS = 5


def run_forever(runtime: Runtime) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        # APScheduler logs every job run at INFO: the watch job alone would write two lines a second.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    stop = threading.Event()

    def request_stop(signum, _frame):
        log.info("signal %s received; stopping after the current poll", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    leadership = leadership_for(runtime.settings.database.url, runtime.settings.storage.path)
    try:
        while wait_for_leadership(leadership, stop):
            if not _lead(runtime, leadership, stop):
                break
            log.error("调度：本进程已不再是在岗调度进程（与数据库的连接中断？），停止全部任务后重新待命 / "
                      "lost the lead for this database; standing by again")
    finally:
        leadership.release()
    log.info("intake worker stopped")


class PollRunner:
    """One poll at a time; a poll asked for while one runs makes that one go round again.

    Mail can arrive after a running poll has searched the mailbox; the
    request it triggers must not be dropped, nor start a second poll beside
    the first.
    """

    def __init__(self, runtime: Runtime, queue: App | None) -> None:
        self._runtime, self._queue = runtime, queue
        self._running = threading.Lock()
        self._wanted = threading.Event()

    def request(self) -> bool:
        """Ask for a poll; True when none is running, so the caller should start ``run``."""
        self._wanted.set()
        return not self._running.locked()

    def run(self) -> None:
        self._wanted.set()
        while self._wanted.is_set():
            if not self._running.acquire(blocking=False):
                return  # the poll running now sees the request and goes round again
            try:
                while self._wanted.is_set():
                    self._wanted.clear()
                    _poll(self._runtime, self._queue)
            finally:
                self._running.release()


def _lead(runtime: Runtime, leadership: Leadership, stop: threading.Event) -> bool:
    """Run the jobs until stopped (False) or the lead is lost (True)."""
    if not runtime.settings.jobs.queue:
        return _run_jobs(runtime, None, leadership, stop)
    with queue_app(runtime.settings).open() as queue:
        return _run_jobs(runtime, queue, leadership, stop)


def _run_jobs(runtime: Runtime, queue: App | None, leadership: Leadership, stop: threading.Event) -> bool:
    settings = runtime.settings
    tz = settings.campaigns[0].tz  # where "midnight" is for the reminder sweep's quarter hours
    now = datetime.now(tz)
    scheduler = BlockingScheduler(
        timezone=tz, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    poller = PollRunner(runtime, queue)
    scheduler.add_job(poller.run, "interval", seconds=settings.poll.interval_seconds, id="poll",
                      next_run_time=now, replace_existing=True)
    scheduler.add_job(_flush, "interval", seconds=OUTBOX_FLUSH_SECONDS, args=[runtime, queue], id="outbox",
                      replace_existing=True)
    if settings.reminders.offsets_days:
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        scheduler.add_job(
            _sweep, IntervalTrigger(minutes=REMINDER_SWEEP_MINUTES, start_date=midnight, timezone=tz),
            args=[runtime, queue], id="reminders", next_run_time=now, replace_existing=True,
        )
    lost = threading.Event()
    stopping = threading.Event()
    checked = {"at": now}

    def watch() -> None:
        if not stop.is_set() and datetime.now(tz) - checked["at"] >= timedelta(seconds=LEADERSHIP_CHECK_SECONDS):
            checked["at"] = datetime.now(tz)
            if not leadership.still_held():
                lost.set()
        if (stop.is_set() or lost.is_set()) and not stopping.is_set():
            stopping.set()
            # Not from this job's own thread: shutdown(wait=True) waits for running jobs to end.
            threading.Thread(target=_shut_down, args=[scheduler], daemon=True).start()

    scheduler.add_job(watch, "interval", seconds=WATCH_SECONDS, id="watch", replace_existing=True)

    push_stop = threading.Event()
    pushing: set[str] = set()  # the campaigns whose mailbox pushes new mail (IMAP IDLE)
    pushes = [
        threading.Thread(target=_watch_mailbox, args=[runtime, campaign, scheduler, poller, pushing, push_stop],
                         name=f"imap-idle-{campaign.name}", daemon=True)
        for campaign in settings.campaigns
    ]
    if settings.poll.idle:
        for push in pushes:  # once the scheduler runs, so the poll can be rescheduled
            scheduler.add_job(push.start, id=push.name)
    log.info("intake worker started: polling %s every %ss%s",
             ", ".join(f"{c.mailbox.username}@{c.mailbox.host}" for c in settings.campaigns),
             settings.poll.interval_seconds, " (IMAP IDLE where the server has it)" if settings.poll.idle else "")
    try:
        scheduler.start()
    finally:
        push_stop.set()
        for push in pushes:
            if push.ident is not None:
                push.join(timeout=10)
    return lost.is_set() and not stop.is_set()


def _shut_down(scheduler: BlockingScheduler) -> None:
    try:
        scheduler.shutdown(wait=True)
    except SchedulerNotRunningError:
        pass


def _watch_mailbox(runtime: Runtime, campaign: CampaignSettings, scheduler: BlockingScheduler, poller: PollRunner,
                   pushing: set[str], stop: threading.Event) -> None:
    settings = runtime.settings

    def on_new_mail() -> None:
        if poller.request():
            # No job id: a push may come while the previous push's poll is
            # finishing; PollRunner keeps them to one poll at a time.
            scheduler.add_job(poller.run)

    def on_push(pushes: bool) -> None:
        (pushing.add if pushes else pushing.discard)(campaign.name)
        # Polling slows to the safety net only while every mailbox pushes.
        every_mailbox = len(pushing) == len(settings.campaigns)
        seconds = settings.poll.idle_safety_seconds if every_mailbox else settings.poll.interval_seconds
        try:
            scheduler.reschedule_job("poll", trigger="interval", seconds=seconds)
        except (JobLookupError, SchedulerNotRunningError):
            return  # shutting down
        log.info("poll every %ss%s", seconds, " as a safety net beside IMAP IDLE" if every_mailbox else "")

    try:
        watch_for_new_mail(campaign.mailbox, on_new_mail=on_new_mail, on_push=on_push, stop=stop,
                           retry_seconds=settings.poll.interval_seconds)
    except Exception:  # polling goes on without push; say why
        log.exception("IMAP IDLE watcher of %s failed; new mail is found by polling", campaign.name)


def _poll(runtime: Runtime, queue: App | None) -> None:
    try:
        report = run_once(runtime) if queue is None else fetch_for_workers(runtime, queue)
    except AlreadyRunning as exc:
        log.warning("%s", exc)
        return
    except Exception:  # the scheduler must survive anything a poll throws
        log.exception("poll failed; the next poll will try again")
        return
    if queue is not None:
        log.info("poll: fetched %d new (%d duplicates), handed %d to the workers%s", report.ingest.stored,
                 report.ingest.duplicates, report.handed_over,
                 f"; mailbox error: {report.mailbox_error}" if report.mailbox_error else "")
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


def _flush(runtime: Runtime, queue: App | None) -> None:
    """What has come due (retries, held replies) is sent: here, or by a worker (``jobs.queue``)."""
    settings = runtime.settings
    for campaign in settings.campaigns:
        try:
            if queue is not None:
                defer_sending(queue, campaign.name)
                continue
            report = flush_outbox(runtime.session_factory, campaign.smtp, settings.outbox, campaign=campaign.name)
        except Exception:  # one account's failure must not keep the others' replies
            log.exception("outbox flush of %s failed; the next one will try again", campaign.name)
            continue
        if report.sent or report.failed or report.retried:
            log.info("outbox of %s: sent %d, retry later %d, failed %d, waiting %d",
                     campaign.name, report.sent, report.retried, report.failed, report.remaining)


def _sweep(runtime: Runtime, queue: App | None) -> None:
    settings = runtime.settings
    queued = 0
    for campaign in settings.campaigns:
        try:
            queued += sweep_reminders(settings, campaign, runtime.session_factory, datetime.now(campaign.tz)).queued
        except Exception:
            log.exception("reminder sweep of %s failed; the next one will try again", campaign.name)
    if queued:
        _flush(runtime, queue)
