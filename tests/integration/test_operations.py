"""Operations as the person on call sees them, on a real Dovecot, a real SMTP sink and both databases.

Two applicants mail their forms, one in Word and one as a PDF. The first
``intake poll`` dies right after storing the mail (a power cut), so
``intake status`` shows mail waiting in the queue and ``intake health``
says no scheduler is running; the next poll reads both and answers them,
and the review app's ``/metrics`` shows the mail fetched and the replies
sent, to a scraper on this machine only. ``/healthz`` answers 200 until the
database goes away, then 503; ``intake health`` passes while a scheduler
holds the lead, as a running ``intake run`` does.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from devtools.samples import emails
from devtools.samples.forms import build_form_docx, build_form_pdf, sample_applicants
from intake.core import crash_points
from intake.worker.leadership import leadership_for
from intake.worker.pipeline import run_once
from review.app import create_app
from tests.fixtures.intake_env import settings_mapping

pytestmark = pytest.mark.integration

CENTRE = "zjzxqyfw@126.com"
CAMPAIGN = (("campaign", "zj-2020"),)
CHINA = timezone(timedelta(hours=8))


def deliver_two_forms(env) -> None:
    word, scan = sample_applicants(2, seed=12)
    sent = datetime(2020, 9, 14, 9, 30, tzinfo=CHINA)
    env.deliver(emails.qq_mail(sender_name=word.name, sender_address=word.email, subject=f"报名表-{word.name}",
                               body="您好，附件是我的报名表。", to_address=CENTRE, date=sent,
                               attachments=[(f"报名表-{word.name}.docx", build_form_docx(word))]), at=sent)
    env.deliver(emails.netease_mail(sender_name=scan.name, sender_address=scan.email, subject="志愿服务专家报名",
                                    body="报名表PDF版请查收。", to_address=CENTRE, date=sent + timedelta(minutes=5),
                                    attachments=[(f"报名表-{scan.name}.pdf", build_form_pdf(scan))]),
                at=sent + timedelta(minutes=5))


def config_file(env, tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    mapping = settings_mapping(tmp_path=tmp_path, imap_account=env.imap_account, smtp_sink=env.smtp_sink,
                               database_url=env.settings.database.url)
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    return path


def intake(config: Path, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != crash_points.ENVIRONMENT_VARIABLE}
    if crash_at:
        environment[crash_points.ENVIRONMENT_VARIABLE] = crash_at
    return subprocess.run([sys.executable, "-m", "intake", "--config", str(config), *args], cwd=config.parent,
                          env=environment, capture_output=True, text=True, timeout=300)


def scrape(client, **request) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **request)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def test_mail_stuck_after_a_crash_shows_in_status_and_health_then_a_poll_clears_it_and_metrics_count_it(
        make_intake_env, database_url, tmp_path):
    env = make_intake_env(database_url)
    config = config_file(env, tmp_path)
    deliver_two_forms(env)

    crashed = intake(config, "poll", crash_at="after_message_commit:1")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    status = intake(config, "status")
    assert status.returncode == 0, status.stderr
    assert "活动「zj-2020」：" in status.stdout
    assert "待处理队列：2 封，最早一封已等待 不到 1 分钟" in status.stdout
    health = intake(config, "health")
    assert health.returncode == 1
    assert "没有在运行的调度进程：请启动 intake run" in health.stderr

    polled = intake(config, "poll", "--once")
    assert polled.returncode == 0, polled.stderr[-2000:]
    status = intake(config, "status").stdout
    assert "待处理队列：0 封\n" in status
    assert "处理失败：0 封；无法读取的附件 0 个" in status
    assert "待发送回复：0 封；已发送 2 封，发送失败 0 封" in status

    client = create_app(env.settings, env.runtime.session_factory).test_client()
    samples = scrape(client)  # the test client calls from 127.0.0.1, as a local Prometheus does
    assert samples[("intake_database_up", ())] == 1
    assert samples[("intake_mails_fetched_total", CAMPAIGN)] == 2
    assert samples[("intake_mails", CAMPAIGN + (("status", "processed"),))] == 2
    assert samples[("intake_queue_depth", CAMPAIGN)] == 0
    assert samples[("intake_oldest_unparsed_seconds", CAMPAIGN)] == 0
    assert samples[("intake_replies_total", CAMPAIGN + (("status", "sent"),))] == 2
    assert samples[("intake_replies_waiting", CAMPAIGN)] == 0
    assert len(env.smtp_sink.messages) == 2

    # Not for the world: another machine, or anyone through the reverse proxy, is refused.
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403


def test_metrics_show_how_long_each_format_took_to_parse(make_intake_env, database_url):
    env = make_intake_env(database_url)
    deliver_two_forms(env)
    report = run_once(env.runtime)
    assert report.ok and report.process.failed == 0, report.process.errors

    samples = scrape(create_app(env.settings, env.runtime.session_factory).test_client())
    for kind in ("docx", "pdf"):
        labels = CAMPAIGN + (("format", kind),)
        assert samples[("intake_parse_seconds_count", labels)] == 1
        assert 0 < samples[("intake_parse_seconds_sum", labels)] < 60


def test_healthz_answers_without_a_login_until_the_database_goes_away(make_intake_env, database_url, request):
    env = make_intake_env(database_url)
    client = create_app(env.settings, env.runtime.session_factory).test_client()

    ok = client.get("/healthz")
    assert (ok.status_code, ok.get_json()) == (200, {"status": "ok", "database": "ok"})

    env.runtime.engine.dispose()
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)
    else:
        request.getfixturevalue("postgres_server").drop_database(url.database)

    gone = client.get("/healthz")
    assert gone.status_code == 503
    assert gone.get_json()["status"] == "unavailable"
    assert gone.get_json()["database"].startswith("数据库无法访问")
    assert scrape(client) == {("intake_database_up", ()): 0}


def test_intake_health_passes_only_while_a_scheduler_leads(make_intake_env, database_url, tmp_path):
    env = make_intake_env(database_url)
    config = config_file(env, tmp_path)

    alone = intake(config, "health", "--json")
    assert alone.returncode == 1
    verdict = json.loads(alone.stdout)
    assert verdict["ok"] is False
    assert [(check["name"], check["ok"]) for check in verdict["checks"]] == [("database", True), ("scheduler", False)]

    # What a running `intake run` holds, on this machine or another.
    scheduler = leadership_for(env.settings.database.url, env.settings.storage.path)
    assert scheduler.try_acquire()
    try:
        leading = intake(config, "health")
        assert leading.returncode == 0, leading.stderr
        assert "数据库：正常（结构版本" in leading.stdout and "调度进程：正常（在岗：" in leading.stdout
    finally:
        scheduler.release()


def test_intake_health_says_to_create_a_database_that_is_not_there(make_intake_env, sqlite_url, tmp_path):
    env = make_intake_env(sqlite_url)
    config = config_file(env, tmp_path)
    mapping = yaml.safe_load(config.read_text(encoding="utf-8"))
    mapping["database"]["url"] = f"sqlite:///{tmp_path / 'elsewhere' / 'intake.sqlite3'}"
    config.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")

    missing = intake(config, "health")
    assert missing.returncode == 1
    assert "数据库：数据库尚未建立：请运行 intake db upgrade。" in missing.stderr
    assert not (tmp_path / "elsewhere" / "intake.sqlite3").exists()  # a health check creates nothing
