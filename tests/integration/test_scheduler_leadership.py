"""Two ``intake run`` on one database: one schedules, the other stands by and takes over when it dies.

Run on SQLite (a file lock next to the database) and PostgreSQL (an advisory
lock held by the leader's session). Every wait is on a log line or on mail
arriving at the SMTP server, never on a fixed sleep.
"""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest
import yaml

from devtools.samples.mailbox import demo_mailbox
from tests.fixtures.intake_env import settings_mapping

pytestmark = pytest.mark.integration

ACTIVE = "active scheduler for this database"
STANDING_BY = "standing by: another scheduler is active"


class Worker:
    """An ``intake run`` process whose log lines can be waited for."""

    def __init__(self, config_path, cwd) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "intake", "--config", str(config_path), "run"],
            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)
            self._new.put(line)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        if any(text in line for line in self.lines):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if text in self._new.get(timeout=0.5):
                    return
            except queue.Empty:
                assert self.process.poll() is None, f"worker exited:\n{self.log}"
        raise AssertionError(f"{text!r} not logged within {timeout}s:\n{self.log}")

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def wait_for_replies(sink, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(sink.messages) < count:
        assert time.monotonic() < deadline, f"{len(sink.messages)} replies, expected {count}"
        time.sleep(0.1)


@pytest.fixture
def workers():
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.kill()


def test_only_one_intake_run_schedules_and_the_other_takes_over_when_it_is_killed(
    tmp_path, database_url, dovecot_server, imap_account, smtp_sink, workers
):
    mapping = settings_mapping(tmp_path=tmp_path, imap_account=imap_account, smtp_sink=smtp_sink,
                               database_url=database_url)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    first_mail, second_mail = [mail for mail in demo_mailbox(to_address=imap_account.username)
                                if mail.expect_reply == "acknowledgement"][:2]

    first = Worker(config, tmp_path)
    workers.append(first)
    first.wait_for(ACTIVE)
    second = Worker(config, tmp_path)
    workers.append(second)
    second.wait_for(STANDING_BY)

    dovecot_server.append(imap_account.username, imap_account.password, "INBOX", first_mail.raw,
                          msg_time=first_mail.received_at)
    wait_for_replies(smtp_sink, 1)
    first.wait_for("poll: fetched 1 new")
    assert "poll:" not in second.log  # standing by: it neither polls nor sends
    assert ACTIVE not in second.log

    os.kill(first.process.pid, signal.SIGKILL)  # no clean-up: the lock must be freed by the OS or the server
    first.process.wait(timeout=30)
    second.wait_for(ACTIVE)

    dovecot_server.append(imap_account.username, imap_account.password, "INBOX", second_mail.raw,
                          msg_time=second_mail.received_at)
    wait_for_replies(smtp_sink, 2)
    assert second.stop() == 0, second.log
    assert "intake worker stopped" in second.log
    assert len(smtp_sink.messages) == 2  # each mail answered once, by whichever process led
    assert {message.rcpt_tos[0] for message in smtp_sink.messages} == {
        first_mail.applicants[0].email, second_mail.applicants[0].email}


def test_a_stopped_leader_hands_over_at_once(tmp_path, sqlite_url, dovecot_server, imap_account, smtp_sink, workers):
    mapping = settings_mapping(tmp_path=tmp_path, imap_account=imap_account, smtp_sink=smtp_sink,
                               database_url=sqlite_url)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    first = Worker(config, tmp_path)
    workers.append(first)
    first.wait_for(ACTIVE)
    second = Worker(config, tmp_path)
    workers.append(second)
    second.wait_for(STANDING_BY)

    assert first.stop() == 0, first.log
    second.wait_for(ACTIVE)
    assert second.stop() == 0, second.log
