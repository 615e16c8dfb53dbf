"""The review app holds applicants' personal data and reads what strangers email: who may do what, and what can't get in.

The database is filled by the real pipeline (tests/fixtures/review_app.py);
most stories use Flask's test client, the XSS story also a real Chromium.
"""
from __future__ import annotations

import csv
import dataclasses
import io
from datetime import timedelta

import pytest
import yaml
from lxml import html as lxml_html
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select

from devtools.samples import emails
from devtools.samples.forms import build_form_docx, sample_applicants
from intake.cli.main import main as intake_main
from intake.core.models import Application, Attachment, AuditEntry, Message
from intake.core.statuses import ApplicationStatus
from tests.fixtures.review_app import ADMIN, CENTRE, REVIEWER, csrf_token, on, sign_in

pytestmark = pytest.mark.integration

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"
SENDER = f"{SCRIPT}张三"  # non-ASCII, so the client sends it as an RFC 2047 word: any character gets through
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def signed_in(site, who=ADMIN):
    client = site.client()
    landed = sign_in(client, *who)
    assert landed.status_code == 200 and landed.request.path == "/", landed.get_data(as_text=True)[:500]
    return client


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.headers.get("Location"))
    return response.get_data(as_text=True)


def form_value(html: str, form_id: str, name: str) -> str:
    values = lxml_html.fromstring(html).xpath(f"//form[@id='{form_id}']//input[@name='{name}']/@value")
    assert values, f"no input {name} in form #{form_id}"
    return values[0]


# ---- who gets in ----------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_the_login_page_from_every_page(review_app):
    client = review_app.client()
    app_id = review_app.applications["clean"].id
    with review_app.session() as session:
        attachment_id = session.scalars(select(Attachment.id)).first()
    for url in ["/", "/?needs_review=1", f"/applications/{app_id}", f"/applications/{app_id}/duplicates",
                f"/attachments/{attachment_id}/download", f"/attachments/{attachment_id}/pages/1.png",
                "/dashboard", "/exports", "/exports/roster.csv", "/exports/roster.xlsx", "/exports/report.xlsx",
                "/audit"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url
    assert "工作人员登录" in page(client, "/login")


def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(review_app):
    client = signed_in(review_app)
    application = review_app.application("clean")
    detail = page(client, f"/applications/{application.id}")
    row_version = form_value(detail, "field-employer", "row_version")

    refused = client.post(f"/applications/{application.id}/decide",
                          data={"action": "approve", "row_version": row_version, "queue": ""})
    assert refused.status_code == 400
    assert "CSRF" in refused.get_data(as_text=True)
    refused = client.post(f"/applications/{application.id}/fields",
                          data={"field": "employer", "value": "别人的单位", "row_version": row_version})
    assert refused.status_code == 400
    assert client.post("/logout").status_code == 400
    assert client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]}).status_code == 400

    after = review_app.application("clean")
    assert (after.status, after.fields, after.row_version) == (application.status, application.fields,
                                                               application.row_version)
    assert page(client, "/").count("data-application-id") == 4  # still signed in: the refusals logged nobody out


def test_a_reviewer_cannot_see_id_numbers_the_full_report_or_the_audit_log(review_app):
    client = signed_in(review_app, REVIEWER)
    seeded = review_app.applications["clean"]
    detail = page(client, f"/applications/{seeded.id}")
    token = csrf_token(detail)

    refused = client.post(f"/applications/{seeded.id}/reveal", data={"csrf_token": token, "field": "id_number"})
    assert refused.status_code == 403
    assert seeded.applicant.id_number not in refused.get_data(as_text=True)
    assert client.get("/exports/report.xlsx").status_code == 403
    assert client.get("/audit").status_code == 403
    assert "审计日志" not in page(client, "/")  # not even offered in the menu

    # What a reviewer may reveal (the phone, to call the applicant) is logged.
    allowed = client.post(f"/applications/{seeded.id}/reveal", data={"csrf_token": token, "field": "mobile"},
                          follow_redirects=True)
    assert allowed.status_code == 200
    assert seeded.applicant.mobile in allowed.get_data(as_text=True)
    with review_app.session() as session:
        reveals = session.scalars(select(AuditEntry).where(AuditEntry.action == "reveal")).all()
        assert [(r.username, r.application_id, r.details) for r in reveals] == [
            (REVIEWER[0], seeded.id, {"field": "mobile"})]


def test_an_admin_reveals_an_id_number_and_the_reveal_is_logged(review_app):
    client = signed_in(review_app, ADMIN)
    seeded = review_app.applications["clean"]
    detail = page(client, f"/applications/{seeded.id}")
    assert seeded.applicant.id_number not in detail
    revealed = client.post(f"/applications/{seeded.id}/reveal",
                           data={"csrf_token": csrf_token(detail), "field": "id_number"}, follow_redirects=True)
    assert revealed.status_code == 200
    assert seeded.applicant.id_number in revealed.get_data(as_text=True)
    with review_app.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "reveal")).one()
        assert (entry.username, entry.application_id, entry.details) == (ADMIN[0], seeded.id, {"field": "id_number"})
    assert ADMIN[0] in page(client, "/audit?action=reveal")


def test_disabling_an_account_ends_its_live_session_at_the_next_request(review_app, tmp_path):
    client = signed_in(review_app, REVIEWER)
    assert client.get("/").status_code == 200
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(review_app.settings.model_dump(mode="json"), allow_unicode=True),
                      encoding="utf-8")

    with pytest.raises(SystemExit) as finished:
        intake_main(["--config", str(config), "users", "disable", REVIEWER[0]])
    assert finished.value.code in (0, None)

    after = client.get("/")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    refused = sign_in(review_app.client(), *REVIEWER)
    assert refused.status_code == 401 and "用户名或密码不正确" in refused.get_data(as_text=True)


def test_logins_pause_after_too_many_failures_until_the_window_has_passed(review_app):
    attempts = review_app.settings.web.login_attempts
    for _ in range(attempts):
        failed = sign_in(review_app.client(), ADMIN[0], "wrong-password-123")
        assert failed.status_code == 401
    throttled = sign_in(review_app.client(), ADMIN[0], ADMIN[1])
    assert throttled.status_code == 429
    assert "登录失败次数过多" in throttled.get_data(as_text=True)
    assert throttled.request.path == "/login"  # the right password did not get in

    # The window passes: the failures are now older than web.login_window_minutes.
    window = timedelta(minutes=review_app.settings.web.login_window_minutes + 1)
    with review_app.session() as session, session.begin():
        for failure in session.scalars(select(AuditEntry).where(AuditEntry.action == "login_failed")):
            failure.at -= window
    assert signed_in(review_app, ADMIN)


# ---- what gets in: mail text, file names, field values -----------------------------

def hostile_mail():
    """A form whose sender, subject, file name and field values are markup."""
    person = sample_applicants(6, seed=11)[5]
    person = dataclasses.replace(person, employer=f"{SCRIPT}有限公司", specialty=f"{IMAGE}熟悉财税")
    raw = emails.netease_mail(
        sender_name=SENDER, sender_address="attacker@163.com", subject=f"{IMAGE} 报名表", body=f"正文 {SCRIPT}",
        to_address=CENTRE, date=on(16), charset="UTF-8",
        attachments=[(f"{IMAGE}.docx", build_form_docx(person)),
                     ("说明.html", f"<html><body>{SCRIPT}</body></html>".encode())])
    return person, (raw, on(16))


@pytest.fixture
def hostile_site(make_review_app):
    person, mail = hostile_mail()
    site = make_review_app(extra_mails=[mail], live=True)
    with site.session() as session, session.begin():
        application = session.scalars(select(Application).where(Application.id_number == person.id_number)).one()
        # intake replaces < and > in stored file names; a row from elsewhere (an older
        # version, a zip member) might not, and the page must not rely on it.
        form = session.scalars(select(Attachment).where(Attachment.kind == "docx",
                                                        Attachment.filename.contains("onerror"))).one()
        form.filename = f"{IMAGE}.docx"
        site.hostile_id = application.id
    return site


def test_markup_from_an_email_is_shown_as_text_on_every_page(hostile_site):
    site = hostile_site
    client = signed_in(site, ADMIN)
    detail = page(client, f"/applications/{site.hostile_id}")
    with site.session() as session:
        message = session.scalars(select(Message).where(Message.from_name == SENDER)).one()
        assert message.subject == f"{IMAGE} 报名表"
    # A reviewer corrects a field to another hostile value; the audit log shows old → new.
    corrected = client.post(f"/applications/{site.hostile_id}/fields", follow_redirects=True, data={
        "csrf_token": csrf_token(detail), "field": "position", "value": IMAGE,
        "row_version": form_value(detail, "field-position", "row_version"), "queue": ""})
    assert corrected.status_code == 200

    pages = {
        "queue": page(client, "/"),
        "search": page(client, "/?q=有限公司"),
        "detail": page(client, f"/applications/{site.hostile_id}"),
        "audit": page(client, "/audit"),
    }
    for name, html in pages.items():
        assert SCRIPT not in html and IMAGE not in html, name
    assert str(escape(f"{SCRIPT}有限公司")) in pages["queue"]
    for shown in (SENDER, f"{IMAGE} 报名表", f"正文 {SCRIPT}", f"{IMAGE}.docx", f"{IMAGE}熟悉财税"):
        assert str(escape(shown)) in pages["detail"], shown
    assert str(escape(IMAGE)) in pages["audit"]


def test_in_a_real_browser_hostile_text_stays_text_and_no_script_runs(hostile_site, browser_page, screenshot_dir):
    site, browser = hostile_site, browser_page
    browser.goto(site.url + "login")
    browser.fill("input[name=username]", ADMIN[0])
    browser.fill("input[name=password]", ADMIN[1])
    browser.press("input[name=password]", "Enter")
    browser.wait_for_url(site.url)
    for path in ["", "?q=有限公司", f"applications/{site.hostile_id}", "audit", "dashboard", "exports"]:
        browser.goto(site.url + path)
        browser.wait_for_load_state("load")
        assert browser.locator("img[src=x]").count() == 0, path
        assert browser.locator("main script").count() == 0, path
    browser.goto(site.url + f"applications/{site.hostile_id}")
    assert SCRIPT in browser.locator("main").inner_text()
    browser.screenshot(path=screenshot_dir / "hostile-detail.png", full_page=True)
    assert browser.dialogs == []  # no alert() ever fired


def test_attachments_are_downloads_never_pages_the_browser_would_run(hostile_site):
    client = signed_in(hostile_site, ADMIN)
    with hostile_site.session() as session:
        attachments = session.scalars(select(Attachment)).all()
    assert any(a.filename == "说明.html" and a.content_type == "text/html" for a in attachments)
    for attachment in attachments:
        for url in (f"/attachments/{attachment.id}/download", f"/attachments/{attachment.id}/download?inline=1"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert not response.mimetype.startswith("text/html"), (attachment.filename, response.mimetype)
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            inline_ok = attachment.kind in ("pdf", "image") and url.endswith("inline=1")
            if not inline_ok:
                assert response.headers["Content-Disposition"].startswith("attachment"), (url, attachment.filename)


def test_every_page_carries_the_security_headers(review_app):
    client = signed_in(review_app, ADMIN)
    app_id = review_app.applications["email_typo"].id
    with review_app.session() as session:
        pdf = session.scalars(select(Attachment).where(Attachment.kind == "pdf")).first()
    urls = ["/login", "/", "/?needs_review=1", f"/applications/{app_id}", f"/applications/{app_id}/duplicates",
            f"/attachments/{pdf.id}/pages/1.png", f"/attachments/{pdf.id}/download", "/dashboard", "/exports",
            "/exports/roster.csv", "/exports/roster.xlsx", "/exports/report.xlsx", "/audit", "/no-such-page",
            "/static/app.css"]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        csp = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
        assert "frame-ancestors 'none'" in csp, url
        assert response.headers.get("X-Frame-Options") == "DENY", url
        assert response.headers.get("X-Content-Type-Options") == "nosniff", url


# ---- exports ----------------------------------------------------------------------

FORMULAS = {"clean": ('=HYPERLINK("http://x")', "+1"), "late": ("-2", "@SUM(A1)"),
            "mobile_typo": ("\t=1+2", "\r=cmd|' /C calc'!A0")}


def test_a_formula_in_a_field_value_comes_out_inert_in_both_roster_formats_and_the_report(review_app):
    with review_app.session() as session, session.begin():
        for key, (employer, specialty) in FORMULAS.items():
            application = session.get(Application, review_app.applications[key].id)
            application.fields = {**application.fields, "employer": employer, "specialty": specialty}
            application.sync_columns()
            application.status = ApplicationStatus.APPROVED
    client = signed_in(review_app, ADMIN)
    written = {value for pair in FORMULAS.values() for value in pair}

    roster_csv = client.get("/exports/roster.csv")
    assert roster_csv.status_code == 200
    rows = list(csv.reader(io.StringIO(roster_csv.get_data().decode("utf-8-sig"), newline="")))
    assert rows[0] == ["姓名", "工作单位", "专业特长"] and len(rows) == 1 + len(FORMULAS)
    cells = [cell for row in rows[1:] for cell in row[1:]]
    assert_inert(cells, written)

    roster_xlsx = client.get("/exports/roster.xlsx")
    assert roster_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(roster_xlsx.get_data())).active
    assert [cell.value for cell in sheet[1]] == ["姓名", "工作单位", "专业特长"]
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row if cell.value is not None)
    assert_inert([cell.value for row in sheet.iter_rows(min_row=2) for cell in row[1:]], written)

    report = client.get("/exports/report.xlsx")
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.get_data())).active
    values = [cell.value for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert not any(isinstance(value, str) and value.startswith(DANGEROUS_STARTS) for value in values)


def assert_inert(cells: list[str], written: set[str]) -> None:
    for cell in cells:
        assert not cell.startswith(DANGEROUS_STARTS), repr(cell)
    for value in written:  # each value is still there to read, only neutralised
        assert any(value.strip() in cell for cell in cells), repr(value)


# ---- two people, one application ------------------------------------------------------

def test_when_two_people_edit_one_application_the_second_is_told_and_nothing_is_lost(review_app):
    chen, li = signed_in(review_app, ADMIN), signed_in(review_app, REVIEWER)
    app_id = review_app.applications["clean"].id
    url = f"/applications/{app_id}"
    chen_page, li_page = page(chen, url), page(li, url)  # both open it before either saves

    def save(client, html, value):
        return client.post(f"{url}/fields", follow_redirects=True, data={
            "csrf_token": csrf_token(html), "field": "employer", "value": value, "queue": "",
            "row_version": form_value(html, "field-employer", "row_version")})

    first = save(chen, chen_page, "湛江市赤坎区中小企业服务站")
    assert first.status_code == 200 and "已被他人修改" not in first.get_data(as_text=True)
    second = save(li, li_page, "湛江市霞山区某公司")
    assert second.status_code == 200
    assert "已被他人修改" in second.get_data(as_text=True)
    assert "湛江市赤坎区中小企业服务站" in second.get_data(as_text=True)  # the page now shows the saved value

    assert review_app.application("clean").fields["employer"] == "湛江市赤坎区中小企业服务站"
    with review_app.session() as session:
        changes = session.scalars(select(AuditEntry).where(AuditEntry.action == "correct")).all()
        assert [(c.username, c.application_id) for c in changes] == [(ADMIN[0], app_id)]
