"""New mail pushed by IMAP IDLE on a real Dovecot, and polling when IDLE is missing or breaks."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest
import yaml

from devtools.samples.mailbox import demo_mailbox
from devtools.servers.tcp_proxy import CuttableProxy
from intake.core.config import MailboxSettings
from intake.mail.mailbox import watch_for_new_mail
from tests.fixtures.intake_env import settings_mapping

pytestmark = pytest.mark.integration

PLAIN_MAIL = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hello\r\n\r\nbody\r\n"


class Watch:
    """``watch_for_new_mail`` in a thread, with what it reported."""

    def __init__(self, host: str, port: int, account, *, retry_seconds: float = 30) -> None:
        self.settings = MailboxSettings(host=host, port=port, security="none", username=account.username,
                                        password=account.password, timeout_seconds=5)
        self.new_mail = threading.Event()
        self.pushing = threading.Event()
        self.polling = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=[retry_seconds], daemon=True)
        self.thread.start()

    def _run(self, retry_seconds: float) -> None:
        watch_for_new_mail(self.settings, on_new_mail=self.new_mail.set, on_push=self._on_push, stop=self.stop,
                           retry_seconds=retry_seconds)

    def _on_push(self, pushing: bool) -> None:
        (self.pushing if pushing else self.polling).set()
        (self.polling if pushing else self.pushing).clear()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


def test_mail_appended_while_idling_is_noticed_within_seconds(dovecot_server, imap_account):
    watch = Watch(dovecot_server.host, dovecot_server.port, imap_account)
    try:
        assert watch.pushing.wait(10), "IDLE never started"
        appended = time.monotonic()
        dovecot_server.append(imap_account.username, imap_account.password, "INBOX", PLAIN_MAIL)
        assert watch.new_mail.wait(5), "no EXISTS within 5 s"
        assert time.monotonic() - appended < 3
    finally:
        watch.close()


def test_a_server_without_idle_leaves_the_poll_in_charge(make_dovecot_server):
    server = make_dovecot_server(disable_idle=True)  # like 126.com
    account = server.new_account("noidle")
    watch = Watch(server.host, server.port, account)
    watch.thread.join(timeout=10)
    assert not watch.thread.is_alive()  # gave up on push for good
    assert watch.polling.is_set() and not watch.pushing.is_set()


def test_a_dropped_idle_connection_falls_back_to_polling_then_idles_again(dovecot_server, imap_account):
    proxy = CuttableProxy((dovecot_server.host, dovecot_server.port))
    watch = Watch("127.0.0.1", proxy.port, imap_account, retry_seconds=0.5)
    try:
        assert watch.pushing.wait(10)
        proxy.cut()
        assert watch.polling.wait(10), "the dropped connection was not noticed"
        assert watch.pushing.wait(10), "IDLE was not tried again"
        dovecot_server.append(imap_account.username, imap_account.password, "INBOX", PLAIN_MAIL)
        assert watch.new_mail.wait(5)
    finally:
        watch.close()
        proxy.close()


def test_intake_run_answers_by_polling_where_the_server_has_no_idle(tmp_path, make_dovecot_server, smtp_sink):
    server = make_dovecot_server(disable_idle=True)
    account = server.new_account("noidle")
    mapping = settings_mapping(tmp_path=tmp_path, imap_account=account, smtp_sink=smtp_sink,
                               database_url=f"sqlite:///{tmp_path / 'intake.sqlite3'}")
    mapping["poll"] = {"interval_seconds": 10}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    [mail] = [m for m in demo_mailbox(to_address=account.username) if m.expect_reply == "acknowledgement"][:1]
    worker = subprocess.Popen([sys.executable, "-m", "intake", "--config", str(config), "run"],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    seen_no_idle = threading.Event()

    def read() -> None:
        for line in worker.stderr:
            lines.append(line)
            if "has no IDLE" in line:
                seen_no_idle.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert seen_no_idle.wait(60), "".join(lines)
        appended = time.monotonic()
        server.append(account.username, account.password, "INBOX", mail.raw, msg_time=mail.received_at)
        while not smtp_sink.messages:
            assert time.monotonic() - appended < 10 + 5, "no reply within one poll interval (+5 s)"
            assert worker.poll() is None, "".join(lines)
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
