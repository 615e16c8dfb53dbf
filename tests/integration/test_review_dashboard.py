"""The admin's pages: the dashboard with county targets and retries, the exports, the audit log."""
from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from datetime import datetime, timezone
from urllib.parse import unquote

import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import select

from intake.core.config import settings_from_mapping
from intake.core.db import Runtime
from intake.core.migrate import upgrade_database
from intake.core.models import Application, AuditEntry, Message, OutboxMail
from intake.core.statuses import ApplicationStatus, MessageStatus, OutboxStatus, ReplyKind, StaffRole
from review import audit
from review.accounts import add_user
from review.app import create_app

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


@pytest.fixture
def site(tmp_path):
    mapping = {
        "mailbox": {"host": "127.0.0.1"}, "smtp": {"host": "127.0.0.1", "from_address": "zjzxqyfw@126.com"},
        "database": {"url": f"sqlite:///{tmp_path / 'intake.sqlite3'}"}, "storage": {"path": str(tmp_path / "store")},
        "campaign": {"name": "zj-2020", "deadline": "2020-09-25", "workstations": {"霞山区": 2, "赤坎区": 1}},
    }
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    settings = settings_from_mapping(mapping, base_dir=tmp_path)
    upgrade_database(settings.database.url, campaigns=[c.name for c in settings.campaigns])
    runtime = Runtime.from_settings(settings)
    with runtime.session_factory() as session:
        add_user(session, "admin", PASSWORD, StaffRole.ADMIN, campaigns=["zj-2020"])
        add_user(session, "reviewer", PASSWORD, StaffRole.REVIEWER, campaigns=["zj-2020"])
        session.commit()
    app = create_app(settings, runtime.session_factory)
    yield app, runtime, config
    runtime.close()


def signed_in(app, username: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token(page)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def add_application(session, number: int, status: ApplicationStatus, county: str, **fields) -> Application:
    when = datetime(2020, 9, 20, 2, number, tzinfo=timezone.utc)
    message = Message(campaign="zj-2020", raw_sha256=f"{number:064d}", size=1, body_sha256="0" * 64,
                      received_at=when, subject=f"报名表-{number}")
    application = Application(
        campaign="zj-2020", reference=f"ZJZJ-2020-{number:04d}", status=status, message=message, received_at=when,
        fields={"name": f"专家{number}", "employer": "湛江某公司", "specialty": "财税咨询", "county": county,
                "id_number": "440802197805121234", **fields},
        is_late=number == 5,
    )
    application.sync_columns()
    session.add(application)
    session.flush()
    return application


@pytest.fixture
def applications(site):
    _app, runtime, _config = site
    with runtime.session_factory() as session:
        add_application(session, 1, ApplicationStatus.APPROVED, "霞山区", name="=HYPERLINK(\"x\")")
        add_application(session, 2, ApplicationStatus.APPROVED, "霞山区")
        add_application(session, 3, ApplicationStatus.APPROVED, "赤坎区")
        add_application(session, 4, ApplicationStatus.PENDING_REVIEW, "赤坎区")
        add_application(session, 5, ApplicationStatus.INCOMPLETE, "雷州市")
        session.commit()


def audit_rows(runtime, action: str) -> list[AuditEntry]:
    with runtime.session_factory() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_dashboard_shows_counts_per_county_against_the_target(site, applications):
    app, _runtime, _config = site
    page = signed_in(app, "reviewer").get("/dashboard").get_data(as_text=True)

    def county_row(name: str) -> list[str]:
        row = re.search(rf'<tr data-county="{name}">(.*?)</tr>', page, re.S).group(1)
        return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]

    assert county_row("霞山区")[:4] == ["霞山区", "2", "2", "6"]  # 2 workstations × 3
    assert county_row("赤坎区")[:5] == ["赤坎区", "2", "1", "3", "差 2 人"]
    assert county_row("雷州市")[:4] == ["雷州市", "1", "0", "—"]
    assert "<svg" in page and "2 / 6" in page and "1 / 3" in page  # the bar chart, drawn by the server
    assert "style=" not in page  # the CSP allows no inline styles
    assert re.search(r'tile-number">1</span><span class="tile-label">逾期报名', page)


def test_admin_retries_a_failed_message_and_reply_reviewer_cannot(site, applications):
    app, runtime, _config = site
    with runtime.session_factory() as session:
        message = Message(campaign="zj-2020", raw_sha256="f" * 64, size=1, body_sha256="0" * 64,
                          received_at=datetime.now(timezone.utc), subject="坏邮件", status=MessageStatus.FAILED,
                          error="ValueError: 读不出")
        reply = OutboxMail(campaign="zj-2020", idempotency_key="k1", kind=ReplyKind.ACKNOWLEDGEMENT,
                           to_address="a@qq.com", subject="回执", message_id_header="<x@y>", raw=b"x", status=OutboxStatus.FAILED,
                           attempts=7, last_error="550 mailbox unavailable")
        session.add_all([message, reply])
        session.commit()
        message_id, reply_id = message.id, reply.id

    reviewer = signed_in(app, "reviewer")
    page = reviewer.get("/dashboard").get_data(as_text=True)
    assert "读不出" in page and "550 mailbox unavailable" in page and "重试</button>" not in page
    assert reviewer.post(f"/messages/{message_id}/retry", data={"csrf_token": token(page)}).status_code == 403
    assert reviewer.post(f"/outbox/{reply_id}/retry", data={"csrf_token": token(page)}).status_code == 403

    admin = signed_in(app, "admin")
    page = admin.get("/dashboard").get_data(as_text=True)
    assert admin.post(f"/messages/{message_id}/retry", data={"csrf_token": token(page)}).status_code == 302
    assert admin.post(f"/outbox/{reply_id}/retry", data={"csrf_token": token(page)}).status_code == 302

    with runtime.session_factory() as session:
        assert session.get(Message, message_id).status == MessageStatus.STORED
        reply = session.get(OutboxMail, reply_id)
        assert (reply.status, reply.attempts) == (OutboxStatus.PENDING, 0)
        assert reply.next_attempt_at <= datetime.now(timezone.utc)
    assert [(e.username, e.details) for e in audit_rows(runtime, "retry")] == [
        ("admin", {"what": "message", "id": message_id}), ("admin", {"what": "reply", "id": reply_id})]
    assert "没有处理失败的邮件" in admin.get("/dashboard").get_data(as_text=True)


def test_reviewer_may_download_the_roster_but_not_the_report_or_the_audit_log(site, applications):
    app, _runtime, _config = site
    reviewer = signed_in(app, "reviewer")

    assert reviewer.get("/exports/report.xlsx").status_code == 403
    assert reviewer.get("/audit").status_code == 403
    assert "仅本活动的管理员可导出" in reviewer.get("/exports").get_data(as_text=True)
    roster = reviewer.get("/exports/roster.xlsx")
    assert roster.status_code == 200
    disposition = roster.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "专家名单" in unquote(disposition.split("filename*=UTF-8''")[1])


def test_admin_report_export_is_audited_and_shows_on_the_audit_page(site, applications):
    app, runtime, _config = site
    admin = signed_in(app, "admin")

    response = admin.get("/exports/report.xlsx")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:2] == ["编号", "状态"] and len(rows) == 4 and {row[1] for row in rows[1:]} == {"已通过"}
    [entry] = audit_rows(runtime, "export")
    assert (entry.username, entry.details) == ("admin", {"what": "report", "format": "xlsx", "rows": 3,
                                                     "campaign": "zj-2020"})

    page = admin.get("/audit?action=export").get_data(as_text=True)
    assert re.findall(r'data-action="([a-z_]+)"', page) == ["export"]
    assert "导出" in page and "rows: 3" in page
    everything = admin.get("/audit").get_data(as_text=True)
    assert re.findall(r'data-action="([a-z_]+)"', everything) == ["export", "login"]  # newest first


def test_audit_log_pages_back_through_older_rows(site):
    app, runtime, _config = site
    with runtime.session_factory() as session:
        for number in range(150):
            audit.record(session, "reveal", username="admin", details={"field": f"f{number}"})
        session.commit()
    admin = signed_in(app, "admin")

    first = admin.get("/audit?action=reveal").get_data(as_text=True)
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = admin.get(older).get_data(as_text=True)

    ids = [re.findall(r'data-audit-id="(\d+)"', page) for page in (first, second)]
    assert len(ids[0]) == 100 and len(ids[1]) == 50 and not set(ids[0]) & set(ids[1])
    assert 'rel="next"' not in second


def test_the_app_and_the_command_line_export_the_same_roster(site, applications, tmp_path):
    app, _runtime, config = site
    reviewer = signed_in(app, "reviewer")
    for fmt in ("csv", "xlsx"):
        from_app = reviewer.get(f"/exports/roster.{fmt}").data
        result = subprocess.run(
            [sys.executable, "-m", "intake", "--config", str(config), "export", "--roster", "--format", fmt,
             "-o", str(tmp_path / f"roster.{fmt}")], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        from_cli = (tmp_path / f"roster.{fmt}").read_bytes()
        assert table(from_app, fmt) == table(from_cli, fmt)
    assert table(from_app, "xlsx") == [["姓名", "工作单位", "专业特长"], ["'=HYPERLINK(\"x\")", "湛江某公司", "财税咨询"],
                                       ["专家2", "湛江某公司", "财税咨询"], ["专家3", "湛江某公司", "财税咨询"]]


def table(data: bytes, fmt: str) -> list[list[str]]:
    if fmt == "csv":
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return [[cell.value for cell in row] for row in load_workbook(io.BytesIO(data)).active.iter_rows()]
