"""A province on PostgreSQL: one poller and two workers, one of them killed mid-parse.

Three cities' mailboxes on one real Dovecot, one PostgreSQL database with
the job queue (``jobs.queue``). ``intake run`` polls and hands each mail to
the queue; two ``intake worker`` processes parse, record and send. One of
them is killed with SIGKILL while it parses a scanned form: the other takes
the job over. Every application is recorded once, in its own city, and
every applicant gets exactly one reply, from the centre they wrote to; a
city's reviewer finds another city's application does not exist (404).
"""
from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, select, text

from devtools.samples import emails
from devtools.samples.forms import build_form_docx, sample_applicants
from intake.core.config import load_settings
from intake.core.db import Runtime
from intake.core.models import Application
from intake.core.statuses import StaffRole
from review.accounts import add_user
from review.app import create_app

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[2]
GOLDEN = PROJECT / "tests" / "data" / "golden"
CITIES = {  # campaign → (reference prefix, the centre's address)
    "zj-2020": ("ZJZJ", "zjzxqyfw@126.com"),
    "mm-2020": ("MMZJ", "mmzxqyfw@126.com"),
    "yj-2020": ("YJZJ", "yjzxqyfw@126.com"),
}
ARRIVED = datetime(2020, 9, 15, 2, 0, tzinfo=timezone.utc)
SCAN = "10-glued-labels-scan.jpg"  # a flatbed scan: seconds of OCR, long enough to be killed in
DEADLINE_SECONDS = 240


@pytest.fixture
def province(tmp_path, dovecot_server, smtp_sink, postgres_url):
    mailboxes = {name: dovecot_server.new_account(name.split("-")[0]) for name in CITIES}
    config = {
        "campaigns": [
            {"name": name, "title": f"{name} 专家报名", "deadline": "2020-09-25", "reference_prefix": prefix,
             "mailbox": {"host": mailboxes[name].host, "port": mailboxes[name].port, "security": "none",
                         "username": mailboxes[name].username, "password": mailboxes[name].password},
             "smtp": {"host": "127.0.0.1", "port": smtp_sink.port, "security": "none", "username": address,
                      "password": "secret", "from_address": address}}
            for name, (prefix, address) in CITIES.items()
        ],
        "database": {"url": postgres_url},
        "storage": {"path": str(tmp_path / "store")},
        "poll": {"interval_seconds": 10, "idle": True, "idle_safety_seconds": 30},
        "parsing": {"workers": 1, "timeout_seconds": 120},
        "jobs": {"queue": True, "stalled_after_seconds": 6},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert intake(path, "db", "upgrade").returncode == 0
    processes: list[subprocess.Popen] = []

    def start(*command: str, log_name: str) -> subprocess.Popen:
        log = open(tmp_path / log_name, "w", encoding="utf-8")
        process = subprocess.Popen([sys.executable, "-m", "intake", "--config", str(path), *command],
                                   stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, env=_env())
        processes.append(process)
        return process

    engine = create_engine(postgres_url)
    try:
        yield mailboxes, start, engine, tmp_path
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        engine.dispose()


def test_two_workers_and_a_poller_share_three_cities_and_survive_a_killed_worker(province, dovecot_server, smtp_sink):
    mailboxes, start, engine, logs = province
    applicants = sample_applicants(6, seed=31)
    sent_to = {"zj-2020": applicants[:3], "mm-2020": applicants[3:5], "yj-2020": applicants[5:]}
    for campaign, people in sent_to.items():
        for person in people:
            deliver(dovecot_server, mailboxes[campaign], application_mail(person, CITIES[campaign][1]))
    scan = scan_mail(CITIES["mm-2020"][1])
    deliver(dovecot_server, mailboxes["mm-2020"], scan)

    workers = {start("worker", log_name=f"worker-{n}.log"): f"worker-{n}.log" for n in (1, 2)}
    start("run", log_name="poller.log")

    # The worker that takes the scan is killed while it parses it.
    scan_id = wait_for(lambda: stored_id(engine, scan), "the scan to be stored")
    taker = wait_for(lambda: next((process for process, log in workers.items()
                                   if f"reading message {scan_id}" in (logs / log).read_text(encoding="utf-8")),
                                  None), "a worker to take the scan")
    os.kill(taker.pid, signal.SIGKILL)
    taker.wait(timeout=10)

    total = sum(len(people) for people in sent_to.values()) + 1
    wait_for(lambda: len(smtp_sink.messages) >= total and applications(engine) >= total or None,
             f"{total} applications recorded and answered")

    with engine.connect() as connection:
        filed = Counter((row.campaign, row.reference.split("-")[0]) for row in connection.execute(
            select(Application.campaign, Application.reference)))
        unsent = connection.scalar(text("SELECT count(*) FROM outbox_mail WHERE status <> 'sent'"))
        failed_jobs = connection.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'"))
    assert filed == Counter({("zj-2020", "ZJZJ"): 3, ("mm-2020", "MMZJ"): 3, ("yj-2020", "YJZJ"): 1})
    assert (unsent, failed_jobs) == (0, 0)
    replies = Counter((mail.envelope_from, mail.rcpt_tos[0]) for mail in smtp_sink.messages)
    assert all(count == 1 for count in replies.values()), replies
    expected = {(CITIES[campaign][1], person.email) for campaign, people in sent_to.items() for person in people}
    assert expected <= set(replies)
    assert (CITIES["mm-2020"][1], "scan@example.com") in replies
    assert "running it again" in "".join((logs / log).read_text(encoding="utf-8") for log in workers.values())

    # A Zhanjiang reviewer reads Zhanjiang's applications; Maoming's do not exist for them.
    with engine.connect() as connection:
        ids = dict(connection.execute(text("SELECT DISTINCT ON (campaign) campaign, id FROM application"
                                           " ORDER BY campaign, id")).all())
    with signed_in_reviewer(logs / "config.yaml", campaign="zj-2020") as reviewer:
        assert reviewer.get(f"/applications/{ids['zj-2020']}").status_code == 200
        assert reviewer.get(f"/applications/{ids['mm-2020']}").status_code == 404

    # What operators see: the poller leads, one worker lives, nothing waits or failed in any city.
    health = intake(logs / "config.yaml", "health", "--json")
    assert health.returncode == 0, health.stdout + health.stderr
    assert '"workers"' in health.stdout and "1 个 intake worker 在运行" in health.stdout
    status = intake(logs / "config.yaml", "status").stdout
    for campaign in CITIES:
        assert f"活动「{campaign}」：等待或进行中的任务 0 个，失败的任务 0 个" in status


def application_mail(person, centre: str) -> bytes:
    return emails.qq_mail(sender_name=person.name, sender_address=person.email, subject=f"报名表-{person.name}",
                          body="老师您好，报名表请查收。", to_address=centre, date=ARRIVED,
                          attachments=[(f"报名表-{person.name}.docx", build_form_docx(person))])


def scan_mail(centre: str) -> bytes:
    return emails.phone_mail(sender_name="梁晓雯", sender_address="scan@example.com", subject="专家报名表（扫描件）",
                             body="报名表扫描件请查收。", to_address=centre, date=ARRIVED,
                             attachments=[("报名表扫描.jpg", (GOLDEN / SCAN).read_bytes())])


def deliver(dovecot_server, account, raw: bytes) -> None:
    dovecot_server.append(account.username, account.password, "INBOX", raw, msg_time=ARRIVED)


def stored_id(engine, raw: bytes) -> int | None:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT id FROM message WHERE raw_sha256 = :sha"),
                                 {"sha": hashlib.sha256(raw).hexdigest()})


def applications(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT count(*) FROM application"))


def wait_for(check, what: str):
    """Readiness, not a sleep: ask again until ``check`` gives something, or fail naming what never came."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def intake(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "intake", "--config", str(config), *args], capture_output=True,
                          text=True, cwd=config.parent, env=_env(), timeout=120)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT), "PYTHONUNBUFFERED": "1"}


@contextmanager
def signed_in_reviewer(config: Path, *, campaign: str):
    """A reviewer of one city, signed in to the review app of this deployment (Flask's test client)."""
    settings = load_settings(config)
    runtime = Runtime.from_settings(settings)
    try:
        yield _sign_in(settings, runtime, campaign)
    finally:
        runtime.close()


def _sign_in(settings, runtime: Runtime, campaign: str):
    with runtime.session_factory() as session, session.begin():
        add_user(session, "zj-reviewer", "reviewer-password-1", StaffRole.REVIEWER, campaigns=[campaign])
    client = create_app(settings, runtime.session_factory).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    signed_in = client.post("/login", data={"csrf_token": token, "username": "zj-reviewer",
                                            "password": "reviewer-password-1"})
    assert signed_in.status_code == 302
    return client
