"""Reply latency of ``intake run``: an application mail APPENDed → its acknowledgement at the SMTP server.

    python -m bench.reply_latency [--trials 20] [--poll-trials 5] [--poll-interval 10]

Starts a private Dovecot (which has IMAP IDLE) and an SMTP sink on loopback,
then ``intake run`` as staff would run it, and times, per trial, from the
APPEND of a new application mail (a .docx form, a new applicant each time) to
the SMTP server accepting the acknowledgement. First with IDLE (targets:
median ≤ 3 s, p95 ≤ 5 s), then with ``poll.idle: false`` (target: at most one
poll interval + 3 s). One warm-up trial per run is shown but not counted:
the worker's first parse loads the parsing modules.
"""
from __future__ import annotations

import argparse
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import yaml

from devtools.samples import emails
from devtools.samples.forms import build_form_docx, sample_applicants
from devtools.servers import DovecotServer
from devtools.servers.smtp_sink import SmtpSink

CHINA = timezone(timedelta(hours=8))
IDLE_TARGETS = (3.0, 5.0)  # median, p95 in seconds
POLL_SLACK = 3.0


class Worker:
    """``intake run`` in a child process; its log lines can be waited for."""

    def __init__(self, config: Path, cwd: Path) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "intake", "--config", str(config), "run"],
                                        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if text in self.lines.get(timeout=0.5):
                    return
            except queue.Empty:
                if self.process.poll() is not None:
                    raise SystemExit(f"intake run exited with {self.process.returncode}")
        raise SystemExit(f"intake run did not log {text!r} within {timeout:.0f} s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def application_mails(count: int, to_address: str) -> list[bytes]:
    mails = []
    for person in sample_applicants(count, seed=3834):
        mails.append(emails.netease_mail(
            sender_name=person.name, sender_address=person.email, subject=f"报名表-{person.name}",
            body="您好，报名表见附件。", attachments=[(f"{person.name}-报名表.docx", build_form_docx(person))],
            to_address=to_address, date=datetime.now(CHINA),
        ))
    return mails


def measure(mails: list[bytes], dovecot: DovecotServer, account, sink: SmtpSink, timeout: float) -> list[float]:
    latencies = []
    for raw in mails:
        before = len(sink.messages)
        started = time.monotonic()
        dovecot.append(account.username, account.password, "INBOX", raw, msg_time=datetime.now(CHINA))
        while len(sink.messages) == before:
            if time.monotonic() - started > timeout:
                raise SystemExit(f"no acknowledgement within {timeout:.0f} s")
            time.sleep(0.02)
        latencies.append(time.monotonic() - started)
        reply = sink.messages[-1].message
        if reply["X-Intake-Outbox"] != "acknowledgement":
            raise SystemExit(f"expected an acknowledgement, got {reply['X-Intake-Outbox']}")
    return latencies


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def run_mode(tmp: Path, name: str, *, idle: bool, trials: int, interval: int) -> list[float]:
    work = tmp / name
    work.mkdir()
    os.chmod(work, 0o755)  # Dovecot's own users must reach the mail store inside it
    with DovecotServer(work / "imap") as dovecot, SmtpSink() as sink:
        account = dovecot.new_account("bench")
        config = work / "config.yaml"
        config.write_text(yaml.safe_dump({
            "mailbox": {"host": dovecot.host, "port": dovecot.port, "security": "none",
                        "username": account.username, "password": account.password},
            "smtp": {"host": sink.host, "port": sink.port, "security": "none",
                     "username": "bench@126.com", "password": "x", "from_address": "bench@126.com"},
            "database": {"url": f"sqlite:///{work / 'bench.sqlite3'}"},
            "storage": {"path": str(work / "store")},
            # Open for another month: every trial is an on-time application, answered with an acknowledgement.
            "campaign": {"name": "bench", "deadline": (date.today() + timedelta(days=30)).isoformat()},
            "poll": {"interval_seconds": interval, "idle": idle},
            "reminders": {"offsets_days": []},
        }, allow_unicode=True), encoding="utf-8")
        mails = application_mails(trials + 1, account.username)
        worker = Worker(config, work)
        try:
            worker.wait_for("IMAP IDLE on" if idle else "poll: fetched")
            timeout = 60 if idle else interval + 60
            warm_up = measure(mails[:1], dovecot, account, sink, timeout)
            print(f"{name}: warm-up trial {warm_up[0]:.2f} s (not counted)", flush=True)
            return measure(mails[1:], dovecot, account, sink, timeout)
        finally:
            worker.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="APPEND → acknowledgement latency of intake run")
    parser.add_argument("--trials", type=int, default=20, help="trials with IMAP IDLE")
    parser.add_argument("--poll-trials", type=int, default=5, help="trials with polling only (0: skip)")
    parser.add_argument("--poll-interval", type=int, default=10, help="poll.interval_seconds without IDLE")
    options = parser.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        idle = run_mode(Path(tmp), "idle", idle=True, trials=options.trials, interval=300)
        rows.append(("IMAP IDLE", idle, f"median ≤ {IDLE_TARGETS[0]:.0f} s, p95 ≤ {IDLE_TARGETS[1]:.0f} s",
                     statistics.median(idle) <= IDLE_TARGETS[0] and p95(idle) <= IDLE_TARGETS[1]))
        if options.poll_trials:
            limit = options.poll_interval + POLL_SLACK
            polled = run_mode(Path(tmp), "polling", idle=False, trials=options.poll_trials,
                              interval=options.poll_interval)
            rows.append((f"polling every {options.poll_interval} s", polled, f"max ≤ {limit:.0f} s",
                         max(polled) <= limit))

    print()
    print(f"{'mode':<22} {'trials':>6} {'median':>8} {'p95':>8} {'max':>8}  target")
    for mode, values, target, met in rows:
        print(f"{mode:<22} {len(values):>6} {statistics.median(values):>7.2f}s {p95(values):>7.2f}s "
              f"{max(values):>7.2f}s  {target}  {'met' if met else 'NOT MET'}")


if __name__ == "__main__":
    main()
