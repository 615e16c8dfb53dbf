"""Ingest throughput of ``poll --once`` over N messages in a local Dovecot.

    python -m bench.ingest_throughput [--messages 1000] [--forms docx|mixed] [--database-url URL]

Appends N realistic application emails (a .docx form each, or with
``--forms mixed`` every fourth a text PDF, in the encodings of the sample
mailbox) to a private Dovecot, then times one ``run_once`` against it as
``intake poll --once`` runs it: fetch + store, parse + record, and sending
every acknowledgement to a local SMTP sink (in a process of its own, as a
real server would be). Prints seconds per stage,
messages per second, the CPU time of the worker and of the parse children
(steadier than seconds on a shared machine), and the peak memory of the
worker, its parse template and the children (sampled from /proc while the
poll runs: the most resident at once, and the proportional share, which
counts the pages a forked child shares with its parent once).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import pickle
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from intake.core.config import settings_from_mapping
from devtools.servers import DovecotServer
from devtools.servers.smtp_sink import SmtpSink
from intake.core.migrate import upgrade_database
from intake.core.db import Runtime
from intake.worker.pipeline import run_once
from devtools.samples import emails
from devtools.samples.forms import build_form_docx, build_form_pdf, sample_applicants
from devtools.samples.mailbox import on

BUILDERS = [emails.qq_mail, emails.netease_mail, emails.foxmail_mail, emails.outlook_mail, emails.raw8bit_mail]
TARGET_SECONDS_PER_1000, TARGET_RSS_MB = 30.0, 300.0
CACHE_VERSION = 1  # raise when build_messages changes what it builds


def build_messages(count: int, forms: str = "docx") -> list[tuple[bytes, object]]:
    messages = []
    for index, person in enumerate(sample_applicants(count, seed=2020)):
        as_pdf = forms == "mixed" and index % 4 == 3
        form = (f"{person.name}.pdf", build_form_pdf(person)) if as_pdf else (
            f"{person.name}.docx", build_form_docx(person))
        when = on(1 + index % 24, 8 + index % 12, index % 60)
        raw = BUILDERS[index % len(BUILDERS)](
            sender_name=person.name, sender_address=person.email, subject=f"报名表-{person.name}",
            body="您好，报名表见附件。", attachments=[form], date=when,
        )
        messages.append((raw, when))
    return messages


class TreeMemory:
    """Peak memory of this process, its parse template and the parse
    children, sampled: resident every ``interval``, proportional (the costly
    read: the kernel walks every page) every ``PSS_EVERY`` samples. The
    sampler's own CPU time is kept apart (``cpu_seconds``): it is the
    bench's, not the worker's."""

    PSS_EVERY = 5

    def __init__(self, interval: float = 0.1, *, leave_out: tuple[int, ...] = ()) -> None:
        self.interval, self.leave_out = interval, set(leave_out)
        self.peak_rss = self.peak_pss = self.peak_worker_rss = 0
        self.cpu_seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        samples = 0
        while not self._stop.wait(self.interval):
            samples += 1
            rss = pss = 0
            for pid in self._tree():
                found = _resident_kb(pid)
                rss += found
                if pid == os.getpid():
                    self.peak_worker_rss = max(self.peak_worker_rss, found)
                if samples % self.PSS_EVERY == 0:
                    pss += _proportional_kb(pid)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
        self.cpu_seconds = time.thread_time()

    def _tree(self) -> list[int]:
        """This process and its descendants running this same program: the
        parse template and the children it forks (not LibreOffice, not the SMTP sink)."""
        me = os.getpid()
        program = _read(f"/proc/{me}/comm")
        pids, waiting = [me], _children(me)
        while waiting:
            pid = waiting.pop()
            if pid in self.leave_out or _read(f"/proc/{pid}/comm") != program:
                continue
            pids.append(pid)
            waiting.extend(_children(pid))
        return pids


def _children(pid: int) -> list[int]:
    """The processes any thread of ``pid`` started."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    return [int(child) for task in tasks for child in _read(f"/proc/{pid}/task/{task}/children").split()]


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return ""


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _resident_kb(pid: int) -> int:
    fields = _read(f"/proc/{pid}/statm").split()
    return int(fields[1]) * PAGE_KB if len(fields) > 1 else 0


def _proportional_kb(pid: int) -> int:
    for line in _read(f"/proc/{pid}/smaps_rollup").splitlines():
        name, _, rest = line.partition(":")
        if name == "Pss":
            return int(rest.split()[0])
    return 0


@contextmanager
def smtp_sink_process():
    """A local SMTP sink in a process of its own; yields (host, port, pid)."""
    context = multiprocessing.get_context("fork")
    address, stop = context.Queue(), context.Event()

    def serve() -> None:
        with SmtpSink() as sink:
            address.put((sink.host, sink.port))
            stop.wait()

    server = context.Process(target=serve, daemon=True)
    server.start()
    try:
        yield (*address.get(timeout=30), server.pid)
    finally:
        stop.set()
        server.join(10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Ingest throughput of poll --once")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--forms", choices=["docx", "mixed"], default="docx",
                        help="docx: a .docx form in every mail; mixed: every fourth a text PDF")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)  # Dovecot's own users must reach the mail store inside it
        run(tmp, options)


def fill_mailbox(dovecot: DovecotServer, account, count: int, forms: str) -> None:
    """Build the sample mail and append it in a child process: the memory the
    generator used (and Python keeps) is never counted as the worker's."""
    child = multiprocessing.get_context("fork").Process(target=_build_and_append,
                                                        args=(dovecot, account, count, forms))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"building or appending the sample mail failed (exit code {child.exitcode})")


def _build_and_append(dovecot: DovecotServer, account, count: int, forms: str) -> None:
    for raw, when in _cached_messages(count, forms):
        dovecot.append(account.username, account.password, "INBOX", raw, msg_time=when)


def _cached_messages(count: int, forms: str) -> list[tuple[bytes, object]]:
    """The sample mail, built once per count and kind and kept (building is most of a run's minute)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "intake" / "bench-mail"
    path = cache / f"{count}-{forms}-{CACHE_VERSION}.pickle"
    if path.is_file():
        with path.open("rb") as stored:
            return pickle.load(stored)
    messages = build_messages(count, forms)
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as stored:
        pickle.dump(messages, stored)
    partial.replace(path)
    return messages


def run(tmp: str, options) -> None:
    with DovecotServer(Path(tmp) / "imap") as dovecot, smtp_sink_process() as (smtp_host, smtp_port, sink_pid):
        account = dovecot.new_account("bench")
        started = time.perf_counter()
        print(f"building (or loading) {options.messages} sample emails ({options.forms}) …", flush=True)
        fill_mailbox(dovecot, account, options.messages, options.forms)
        print(f"built and appended to Dovecot in {time.perf_counter() - started:.1f} s", flush=True)

        url = options.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        settings = settings_from_mapping({
            "mailbox": {"host": dovecot.host, "port": dovecot.port, "security": "none",
                        "username": account.username, "password": account.password},
            "smtp": {"host": smtp_host, "port": smtp_port, "security": "none",
                     "username": "bench@126.com", "password": "x", "from_address": "bench@126.com"},
            "database": {"url": url},
            "storage": {"path": str(Path(tmp) / "store")},
            "campaign": {"name": "bench", "deadline": "2020-09-25"},
            # The relay guard is not what is measured: its limits above the mail count.
            "outbox": {"max_per_hour": 100_000, "max_per_day": 100_000,
                       "max_per_domain_per_hour": 100_000, "max_per_domain_per_day": 100_000},
        }, base_dir=Path(tmp))
        upgrade_database(settings.database.url, campaigns=[c.name for c in settings.campaigns])
        runtime = Runtime.from_settings(settings)
        marks: dict[str, float] = {}

        def progress(stage: str, done: int, total: int) -> None:
            marks.setdefault(stage, time.perf_counter())
            if done == total:
                marks[f"{stage}-done"] = time.perf_counter()

        load_before, cpu_before = os.getloadavg(), os.times()
        with TreeMemory(leave_out=(sink_pid,)) as memory:
            started = time.perf_counter()
            report = run_once(runtime, progress=progress, send_all_due=True)
            total = time.perf_counter() - started
        load_after, cpu_after = os.getloadavg(), os.times()
        runtime.close()

    n = report.ingest.stored
    fetched = marks.get("fetch-done", started)
    processed = marks.get("process-done", fetched)
    fetch, process, send = fetched - started, processed - fetched, total - (processed - started)
    outbox = report.outbox
    print(f"messages: {n} stored, {report.process.applications_created} applications, "
          f"{outbox.sent if outbox else 0} acknowledgements sent ({outbox.held if outbox else 0} held), "
          f"{report.process.failed} failed")
    print(f"fetch + store:   {fetch:6.1f} s  {n / fetch if fetch else 0:7.1f} msg/s")
    print(f"parse + record:  {process:6.1f} s  {n / process if process else 0:7.1f} msg/s")
    print(f"send replies:    {send:6.1f} s  {(outbox.sent if outbox else 0) / send if send else 0:7.1f} msg/s")
    target = TARGET_SECONDS_PER_1000 * n / 1000
    print(f"poll --once:     {total:6.1f} s  {n / total:7.1f} msg/s  (target ≤ {target:.0f} s)")
    print(f"peak memory:     worker + parse children {memory.peak_rss / 1024:.0f} MB resident at once "
          f"({memory.peak_pss / 1024:.0f} MB proportional), worker alone {memory.peak_worker_rss / 1024:.0f} MB "
          f"(target ≤ {TARGET_RSS_MB:.0f} MB)")
    # Steadier than seconds on a shared machine. The parse children are
    # counted once reaped: the pool has closed when run_once returns.
    worker_cpu = cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system - memory.cpu_seconds
    children_cpu = (cpu_after.children_user + cpu_after.children_system
                    - cpu_before.children_user - cpu_before.children_system)
    print(f"CPU time:        worker {worker_cpu:.1f} s, parse children {children_cpu:.1f} s "
          f"({(worker_cpu + children_cpu) / n * 1000 if n else 0:.0f} ms a message; "
          f"the memory sampler's {memory.cpu_seconds:.1f} s left out)")
    print(f"load average:    {load_before[0]:.2f} before, {load_after[0]:.2f} after "
          f"(shared machine: other work slows the figures)")


if __name__ == "__main__":
    main()
