"""The job queue of several workers (``jobs.queue``, PostgreSQL): procrastinate.

With the queue, ``intake run`` only fetches: each stored message becomes a
``process_message`` job, and any number of ``intake worker`` processes on
any number of machines take the jobs. A job reads and records its message
(``runner.process_stored_messages`` for that one message, in the worker's
own parse children) and hands the replies it queued to a ``send_replies``
job of the message's campaign, which sends from that campaign's account.

Nothing is done twice and nothing is lost:

- a message has at most one job waiting (``queueing_lock``) and at most
  one running (``lock``); its row is locked while it is recorded, and a
  message already recorded is skipped, so a job run twice records once;
- the replies' outbox rows are claimed one flush at a time per campaign
  (``lock``) and, within a flush, row by row (``notifier.outbox``);
- a worker killed mid-job stops sending heartbeats; another worker puts
  its jobs back (``retry_stalled_jobs``, every few seconds) and runs them;
- a message stored but never handed over (the poller died in between) is
  handed over at the next poll (``hand_over_stored``).
"""
from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass

from procrastinate import App, Blueprint, JobContext, PsycopgConnector, RetryStrategy, SyncPsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from intake.core.blobstore import BlobStore
from intake.core.config import Settings
from intake.core.db import Runtime
from intake.core.models import Message
from intake.core.statuses import MessageStatus
from intake.worker.reading import parse_pool
from intake.worker.runner import process_stored_messages
from notifier.outbox import flush_outbox
from parsers.sandbox import ParsePool

log = logging.getLogger(__name__)

MAIL_QUEUE = "mail"
SEND_QUEUE = "send"
QUEUES = (MAIL_QUEUE, SEND_QUEUE)
PROCESS_MESSAGE = "intake:process_message"
SEND_REPLIES = "intake:send_replies"
STALLED_CHECK_SECONDS = 10
# A job that fails (the database went away mid-record) is tried again, later each time;
# a message that fails by itself is not an error of its job (it is marked failed, for staff).
JOB_RETRY = RetryStrategy(max_attempts=6, exponential_wait=4)
# Replies go before the next mail is read: on a backlog of hundreds of mails
# an acknowledgement must not wait until the last of them is parsed.
SEND_PRIORITY = 10

tasks = Blueprint()


@dataclass
class WorkerRuntime:
    """What a job needs, opened once per ``intake worker`` process."""

    settings: Settings
    session_factory: sessionmaker[Session]
    blobs: BlobStore
    pool: ParsePool
    queue: App


@tasks.task(name="process_message", queue=MAIL_QUEUE, pass_context=True, retry=JOB_RETRY)
def process_message(context: JobContext, message_id: int) -> None:
    work: WorkerRuntime = context.additional_context["intake"]
    log.info("reading message %s", message_id)
    report = process_stored_messages(work.settings, session_factory=work.session_factory, blobs=work.blobs,
                                     message_ids=[message_id], pool=work.pool)
    if report.replies_queued:
        with work.session_factory() as session:
            campaign = session.scalar(select(Message.campaign).where(Message.id == message_id))
        if campaign is not None:
            defer_sending(work.queue, campaign)
    log.info("message %s: processed %d, failed %d, replies queued %d", message_id, report.processed,
             report.failed, report.replies_queued)


@tasks.task(name="send_replies", queue=SEND_QUEUE, pass_context=True, retry=JOB_RETRY, priority=SEND_PRIORITY)
def send_replies(context: JobContext, campaign: str) -> None:
    work: WorkerRuntime = context.additional_context["intake"]
    settings = work.settings
    report = flush_outbox(work.session_factory, settings.campaign_named(campaign).smtp, settings.outbox,
                          until_none_due=True, campaign=campaign)
    if report.sent or report.failed or report.retried:
        log.info("outbox of %s: sent %d, retry later %d, failed %d, waiting %d", campaign, report.sent,
                 report.retried, report.failed, report.remaining)


@tasks.periodic(cron=f"* * * * * */{STALLED_CHECK_SECONDS}", periodic_id="retry_stalled")
@tasks.task(name="retry_stalled_jobs", queue=SEND_QUEUE, pass_context=True, queueing_lock="retry_stalled")
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> None:
    """Jobs whose worker stopped sending heartbeats (killed, its machine gone) go back to the queue.

    Periodic: whichever worker is up defers it (once per period between them all)."""
    work: WorkerRuntime = context.additional_context["intake"]
    manager = context.app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=work.settings.jobs.stalled_after_seconds):
        log.warning("job %s (%s) was left running by a worker that stopped; running it again", job.id, job.task_name)
        await manager.retry_job(job)


def queue_app(settings: Settings, *, worker: bool = False) -> App:
    """The queue on the deployment's database: asynchronous for a worker, plain for the poller."""
    conninfo = libpq_conninfo(settings.database.url)
    connector = PsycopgConnector(conninfo=conninfo) if worker else SyncPsycopgConnector(conninfo=conninfo)
    app = App(connector=connector)
    app.add_tasks_from(tasks, namespace="intake")
    return app


def worker_name() -> str:
    """How a worker names itself in the logs: which machine, which process."""
    return f"intake-{socket.gethostname()}-{os.getpid()}"


def libpq_conninfo(database_url: str) -> str:
    """``postgresql+psycopg://…`` as libpq writes it (``postgresql://…``)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def install_queue_schema(settings: Settings) -> bool:
    """Create procrastinate's tables the first time (``intake db upgrade``); True when created."""
    with queue_app(settings).open() as app:
        connector = app.connector.get_sync_connector()
        exists = connector.execute_query_one(query="SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS here")
        if exists["here"]:
            return False
        app.schema_manager.apply_schema()
        return True


def defer_processing(app: App, message_id: int) -> bool:
    """A job for one stored message; False when one is waiting already."""
    return _defer_once(app, PROCESS_MESSAGE, f"message:{message_id}", message_id=message_id)


def defer_sending(app: App, campaign: str) -> bool:
    """A flush of one campaign's outbox; False when one is waiting already (it will send these too)."""
    return _defer_once(app, SEND_REPLIES, f"send:{campaign}", campaign=campaign)


def _defer_once(app: App, task: str, key: str, **arguments) -> bool:
    # ``key`` is both locks: one such job waiting (queueing_lock) and one running (lock) at a time.
    try:
        app.configure_task(task, lock=key, queueing_lock=key).defer(**arguments)
    except AlreadyEnqueued:
        return False
    return True


def hand_over_stored(app: App, session_factory: sessionmaker[Session]) -> int:
    """A job for every stored message that has none waiting or running; how many were deferred."""
    with session_factory() as session:
        waiting = list(session.scalars(select(Message.id).where(Message.status == MessageStatus.STORED)
                                       .order_by(Message.id)))
        active = {row[0] for row in session.execute(text(
            "SELECT lock FROM procrastinate_jobs WHERE task_name = :task AND status IN ('todo', 'doing')"),
            {"task": PROCESS_MESSAGE})}
    return sum(defer_processing(app, message_id) for message_id in waiting if f"message:{message_id}" not in active)


@dataclass(frozen=True)
class QueueFigures:
    """The job queue as operators watch it (``intake status``, ``intake health``)."""

    live_workers: int  # workers whose heartbeat is recent
    waiting: dict[str, int]  # campaign → jobs waiting or running
    failed: dict[str, int]  # campaign → jobs that failed for good (their mail: ``intake retry``)


def queue_figures(session: Session, *, stalled_after_seconds: float) -> QueueFigures:
    live = session.scalar(text("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > "
                               "now() - make_interval(secs => :seconds)"), {"seconds": stalled_after_seconds})
    by_campaign = text(
        "SELECT coalesce(j.args->>'campaign', m.campaign) AS campaign, j.status = 'failed' AS failed, count(*)"
        " FROM procrastinate_jobs j LEFT JOIN message m ON j.task_name = :process"
        " AND m.id = (j.args->>'message_id')::bigint"
        " WHERE j.status IN ('todo', 'doing', 'failed') AND j.task_name IN (:process, :send)"
        " GROUP BY 1, 2")
    waiting: dict[str, int] = {}
    failed: dict[str, int] = {}
    for campaign, is_failed, count in session.execute(by_campaign, {"process": PROCESS_MESSAGE, "send": SEND_REPLIES}):
        (failed if is_failed else waiting)[campaign or ""] = count
    return QueueFigures(live or 0, waiting, failed)


def run_queue_worker(runtime: Runtime) -> None:
    """``intake worker``: take jobs until stopped (SIGTERM / Ctrl-C finish the job in hand).

    One message at a time per process, its files parsed in parallel in the
    process's parse children (``parsing.workers``); more throughput is more
    ``intake worker`` processes, on this machine or others."""
    settings = runtime.settings
    app = queue_app(settings, worker=True)
    stalled_after = settings.jobs.stalled_after_seconds
    # Workers share machines without knowing of each other: each parse child
    # OCRs on one thread and the kernel spreads the children over the cores
    # (two children of two threads each on two cores were 3× slower each).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with parse_pool(settings) as pool:
        work = WorkerRuntime(settings, runtime.session_factory, runtime.blobs, pool, app)
        log.info("intake worker: taking jobs of queues %s", ", ".join(QUEUES))
        # A job that succeeded leaves nothing to keep (its mail's row says what became of it);
        # a failed one stays for operators (intake status).
        app.run_worker(queues=list(QUEUES), concurrency=1, additional_context={"intake": work}, name=worker_name(),
                       stalled_worker_timeout=stalled_after, update_heartbeat_interval=stalled_after / 3,
                       delete_jobs="successful")
