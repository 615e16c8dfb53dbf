"""One poll: fetch new mail, process what is stored, move it (optional), send what is due.

``intake poll --once`` sends every due reply, and sends as it records: after
each group of recorded mail that queued enough replies (``_Replies``).

``run_once`` is the whole scheduled job; ``intake poll --once`` calls it and
``intake run`` only schedules it. A file lock keeps it to one runner at a time.
With the job queue (``jobs.queue``) ``intake run`` polls with
``fetch_for_workers`` instead: it fetches, and the workers do the rest.
"""
from __future__ import annotations

import fcntl
import functools
import logging
import os
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from procrastinate import App

from intake.core.config import CampaignSettings
from intake.core.db import Runtime
from intake.mail.mailbox import MailboxClient, MailboxError
from intake.worker.ingest import IngestReport, fetch_new_messages, move_processed_mail
from intake.worker.jobs import hand_over_stored
from intake.worker.reading import parse_pool
from intake.worker.runner import ProcessReport, process_stored_messages
from notifier.outbox import FlushReport, flush_outbox
from notifier.smtp import SmtpSession

log = logging.getLogger(__name__)


class AlreadyRunning(Exception):
    """Another intake worker holds the lock for this storage path."""


@dataclass
class RunReport:
    ingest: IngestReport = field(default_factory=IngestReport)
    process: ProcessReport = field(default_factory=ProcessReport)
    moved: int = 0
    outbox: FlushReport | None = None
    mailbox_errors: dict[str, str] = field(default_factory=dict)  # campaign → what its mailbox said
    handed_over: int = 0  # messages handed to the workers as jobs (jobs.queue)

    @property
    def mailbox_error(self) -> str | None:
        if not self.mailbox_errors:
            return None
        if len(self.mailbox_errors) == 1:
            return next(iter(self.mailbox_errors.values()))
        return "；".join(f"{name}: {error}" for name, error in self.mailbox_errors.items())

    @property
    def ok(self) -> bool:
        return not self.mailbox_errors


@contextmanager
def single_runner(storage_path: Path) -> Iterator[None]:
    storage_path.mkdir(parents=True, exist_ok=True)
    lock_path = storage_path / "worker.lock"
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(
                f"另一个 intake 进程正在运行（锁文件 {lock_path}）。Wait for it to finish, or stop it first."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_once(runtime: Runtime, *, progress: Callable[[str, int, int], None] | None = None,
             send: bool = True, send_all_due: bool = False) -> RunReport:
    """Every campaign's mailbox fetched, everything stored processed, each
    campaign's replies sent from its own account. ``send_all_due``: send every
    reply that is due (batch after batch, as ``intake poll --once`` does), not
    only one batch (``outbox.batch_size``)."""
    settings = runtime.settings
    report = RunReport()
    with single_runner(settings.storage.path), ExitStack() as stack:
        replies = _Replies(runtime, stack) if send else None
        with parse_pool(settings) as pool:
            # Once mail arrives, the office documents' template warms on the other core while the rest is fetched.
            fetched = _then(lambda _done, _total: pool.prepare(office_only=True), _stage(progress, "fetch"))
            for campaign in settings.campaigns:
                _fetch(runtime, campaign, report, fetched)
            report.process = process_stored_messages(
                settings, session_factory=runtime.session_factory, blobs=runtime.blobs,
                progress=_stage(progress, "process"), pool=pool,
                after_commit=replies.after_commit if replies is not None and send_all_due else None,
            )
        _move_processed(runtime, report)
        if replies is not None:
            replies.send_due(until_none_due=send_all_due)
            report.outbox = replies.report()
    return report


class _Replies:
    """Each campaign's due replies, sent from its own account over one SMTP
    session kept for the poll. With every due reply to send, they also go out
    as the mail is recorded (``after_commit``): the parse children read the
    next mail while the worker waits on the SMTP server, and applicants are
    answered as their mail is recorded, not after the whole backlog."""

    def __init__(self, runtime: Runtime, stack: ExitStack) -> None:
        self._runtime = runtime
        self._sessions = {campaign.name: stack.enter_context(SmtpSession(campaign.smtp))
                          for campaign in runtime.settings.campaigns}
        self._reports: dict[str, FlushReport] = {}
        self._queued_when_sent = 0

    def after_commit(self, processed: ProcessReport) -> None:
        # Once a batch's worth of replies is queued: a send costs a few queries however few go.
        if processed.replies_queued - self._queued_when_sent >= self._runtime.settings.outbox.batch_size:
            self._queued_when_sent = processed.replies_queued
            self.send_due(until_none_due=True)

    def send_due(self, *, until_none_due: bool) -> None:
        settings = self._runtime.settings
        for campaign in settings.campaigns:
            earlier = self._reports.get(campaign.name)
            if earlier is not None and earlier.stopped_by:
                continue  # its server failed in this poll: the next poll tries again
            flushed = flush_outbox(self._runtime.session_factory, campaign.smtp, settings.outbox,
                                   send=self._sessions[campaign.name], until_none_due=until_none_due,
                                   campaign=campaign.name)
            self._reports[campaign.name] = flushed if earlier is None else earlier.followed_by(flushed)

    def report(self) -> FlushReport | None:
        reports = list(self._reports.values())
        return functools.reduce(FlushReport.merged, reports) if reports else None


def fetch_for_workers(runtime: Runtime, queue: App) -> RunReport:
    """The poll of ``jobs.queue``: every mailbox fetched, processed mail moved,
    and every stored message handed to the workers as a job (those stored by
    an earlier poll that died before handing them over included). Only the
    leading ``intake run`` polls, so each mailbox has one poller."""
    report = RunReport()
    for campaign in runtime.settings.campaigns:
        _fetch(runtime, campaign, report, None)
    _move_processed(runtime, report)
    report.handed_over = hand_over_stored(queue, runtime.session_factory)
    return report


def _fetch(runtime: Runtime, campaign: CampaignSettings, report: RunReport,
           progress: Callable[[int, int], None] | None) -> None:
    try:
        with MailboxClient(campaign.mailbox) as mailbox:
            report.ingest = report.ingest.merged(fetch_new_messages(
                mailbox, campaign=campaign.name, session_factory=runtime.session_factory, blobs=runtime.blobs,
                progress=progress,
            ))
    except MailboxError as exc:
        # Still process what is stored and send what is due: the outbox must not wait on IMAP.
        report.mailbox_errors[campaign.name] = str(exc)
        log.error("%s: %s", campaign.name, exc)


def _move_processed(runtime: Runtime, report: RunReport) -> None:
    """Processed mail moved (``mailbox.move_to``) in every mailbox that answered this poll."""
    for campaign in runtime.settings.campaigns:
        if campaign.mailbox.move_to and campaign.name not in report.mailbox_errors:
            report.moved += _move(runtime, campaign, report)


def _move(runtime: Runtime, campaign: CampaignSettings, report: RunReport) -> int:
    try:
        with MailboxClient(campaign.mailbox) as mailbox:
            return move_processed_mail(
                mailbox, session_factory=runtime.session_factory, target_folder=campaign.mailbox.move_to
            )
    except MailboxError as exc:
        report.mailbox_errors[campaign.name] = str(exc)
        log.error("moving processed mail of %s failed: %s", campaign.name, exc)
        return 0


def _then(first: Callable[[int, int], None], second: Callable[[int, int], None] | None) -> Callable[[int, int], None]:
    """A progress callback doing ``first``, then ``second`` (if any)."""
    def both(done: int, total: int) -> None:
        first(done, total)
        if second is not None:
            second(done, total)
    return both


def _stage(progress, name):
    if progress is None:
        return None
    return lambda done, total: progress(name, done, total)
