"""One deployment, two cities: each city's staff see their own city's applications only; the province reads both.

Zhanjiang and Maoming each run a campaign with its own applications, attachments, failed mail and
replies. A Zhanjiang reviewer asking for anything of Maoming's by its id gets 404, on every route
that names one (the routes are read from the app's URL map, so a new one cannot be forgotten); a
provincial account reads both, switches between them, decides nothing without a role, and exports
one report across the cities.
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from intake.core.models import Application, AuditEntry, OutboxMail
from intake.core.statuses import ApplicationStatus, ReplyKind
from tests.fixtures.review_app import MAOMING, PROVINCE_PASSWORD as PASSWORD, TITLES, ZHANJIANG, City

pytestmark = pytest.mark.integration

# What the test fills in for each id a route may name, and the route arguments that name no row;
# a route with any other argument fails the test until it is taught what that argument names.
ID_ARGUMENTS = {"app_id": "application", "attachment_id": "attachment", "message_id": "message",
                "outbox_id": "reply"}
OTHER_ARGUMENTS = {"number": 1}
NAMING_NO_ROW = {"filename", "fmt"}  # static files, the roster's format


def id_in(city: City, argument: str) -> int:
    return city.applications[0] if argument == "app_id" else getattr(city, ID_ARGUMENTS[argument])


@pytest.fixture
def province(province_app):
    return province_app.app, province_app.sessions, province_app.cities


def signed_in(app, username: str):
    client = app.test_client()
    token = csrf(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert response.status_code == 302, username
    return client


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def text(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def routes_naming_a_row(app) -> list:
    """Every rule of the app that names an application, attachment, mail or reply by its id."""
    for rule in app.url_map.iter_rules():
        unknown = set(rule.arguments) - set(ID_ARGUMENTS) - set(OTHER_ARGUMENTS) - NAMING_NO_ROW
        assert not unknown, f"{rule.rule}: teach this test which row {unknown} names"
    return [rule for rule in app.url_map.iter_rules() if set(rule.arguments) & set(ID_ARGUMENTS)]


def url_for_city(app, rule, city: City) -> str:
    values = {arg: id_in(city, arg) if arg in ID_ARGUMENTS else OTHER_ARGUMENTS[arg] for arg in rule.arguments}
    with app.test_request_context():
        return app.url_for(rule.endpoint, **values)


def form_for(city: City, token: str) -> dict:
    # Enough to reach each view's own checks, and change nothing: a stale row_version is a conflict.
    return {"csrf_token": token, "field": "mobile", "value": "13900139000", "row_version": "-1",
            "other": str(city.applications[1]), "other_row_version": "-1", "action": "reopen", "keep": "this"}


# ---- a city's staff -----------------------------------------------------------------------------

def test_every_route_naming_an_application_is_404_for_another_citys_staff(province):
    app, sessions, cities = province
    zhanjiang, maoming = cities[ZHANJIANG], cities[MAOMING]
    rules = routes_naming_a_row(app)
    assert {"detail.show", "detail.reveal", "detail.page_image", "detail.download", "decisions.correct",
            "decisions.decide", "decisions.duplicates", "decisions.merge", "dashboard.retry_message"} <= {
        rule.endpoint for rule in rules}

    for username, own in (("zj-reviewer", zhanjiang), ("zj-admin", zhanjiang), ("mm-admin", maoming)):
        other = maoming if own is zhanjiang else zhanjiang
        client = signed_in(app, username)
        token = csrf(text(client, "/"))
        for rule in rules:
            theirs, mine = url_for_city(app, rule, other), url_for_city(app, rule, own)
            if "GET" in rule.methods:
                assert client.get(theirs).status_code == 404, (username, theirs)
                assert client.get(mine).status_code == 200, (username, mine)
            if "POST" in rule.methods:
                refused = client.post(theirs, data=form_for(other, token))
                assert refused.status_code == 404, (username, theirs)
                assert other.references[0] not in refused.get_data(as_text=True)
                answered = client.post(mine, data=form_for(own, token)).status_code
                # Their own: the view's own answer (a retry needs the admin role).
                expected = {403} if rule.endpoint.startswith("dashboard.") and "reviewer" in username else {200, 302}
                assert answered in expected, (username, mine, answered)

    with sessions() as session:
        untouched = session.scalars(select(Application).where(Application.campaign == MAOMING)).all()
        assert {a.status for a in untouched} == {ApplicationStatus.PENDING_REVIEW}
        for entry in session.scalars(select(AuditEntry).where(AuditEntry.username.like("zj-%"))):
            assert entry.application_id in (None, *zhanjiang.applications), entry.details
            if entry.action == "retry":
                assert entry.details["id"] in (zhanjiang.message, zhanjiang.reply)


def test_the_queue_dashboard_exports_and_audit_log_show_the_own_city_only(province):
    app, sessions, cities = province
    zhanjiang, maoming = cities[ZHANJIANG], cities[MAOMING]
    reviewer = signed_in(app, "zj-reviewer")

    queue = text(reviewer, "/")
    assert all(ref in queue for ref in zhanjiang.references)
    assert not any(ref in queue for ref in maoming.references)
    assert TITLES[ZHANJIANG] in queue and TITLES[MAOMING] not in queue  # one city: no switcher
    assert "data-campaign-switch" not in queue
    assert text(reviewer, f"/?q={maoming.references[0]}").count("data-application-id") == 0

    dashboard = text(reviewer, "/dashboard")
    assert "ZJZJ 读不出" in dashboard and "MMZJ" not in dashboard
    assert 'tile-number">2</span><span class="tile-label">报名总数' in dashboard

    admin = signed_in(app, "zj-admin")
    approve_all(app, sessions, "zj-admin", zhanjiang)
    approve_all(app, sessions, "mm-admin", maoming)
    roster = list(csv.reader(io.StringIO(reviewer.get("/exports/roster.csv").data.decode("utf-8-sig"))))
    assert sorted(row[0] for row in roster[1:]) == zhanjiang.experts
    sheet = load_workbook(io.BytesIO(admin.get("/exports/report.xlsx").data)).active
    assert sorted(row[0].value for row in list(sheet.iter_rows())[1:]) == zhanjiang.references

    log = text(admin, "/audit")
    assert "zjzj-someone" in log and "mmzj-someone" not in log and "mm-admin" not in log
    assert zhanjiang.references[0] in log


def approve_all(app, sessions, username: str, city: City) -> None:
    client = signed_in(app, username)
    for app_id in city.applications:
        page = text(client, f"/applications/{app_id}")
        version = re.search(r'name="row_version" value="(\d+)"', page).group(1)
        client.post(f"/applications/{app_id}/decide",
                    data={"csrf_token": csrf(page), "action": "approve", "row_version": version, "notify": "1"})
        with sessions() as session:
            assert session.get(Application, app_id).status == ApplicationStatus.APPROVED, app_id


def test_an_application_is_decided_under_its_own_citys_rules_whatever_campaign_is_open(province):
    app, sessions, cities = province
    maoming = cities[MAOMING]
    with sessions() as session, session.begin():
        application = session.get(Application, maoming.applications[0])
        application.fields = {**application.fields, "email": None}
        application.sync_columns()
    client = signed_in(app, "both-admin")
    queue = text(client, "/")
    assert TITLES[ZHANJIANG] in queue and "data-campaign-switch" in queue  # Zhanjiang is open: the first

    detail = text(client, f"/applications/{maoming.applications[0]}")
    assert f"本申请属于「{TITLES[MAOMING]}」" in detail
    version = re.search(r'name="row_version" value="(\d+)"', detail).group(1)
    client.post(f"/applications/{maoming.applications[0]}/decide",
                data={"csrf_token": csrf(detail), "action": "approve", "row_version": version})
    refused = text(client, f"/applications/{maoming.applications[0]}")
    assert "缺少必填项：电子邮箱，不能通过" in refused  # Maoming requires the e-mail; Zhanjiang does not
    with sessions() as session, session.begin():
        assert session.get(Application, maoming.applications[0]).status == ApplicationStatus.PENDING_REVIEW
        without_email = session.get(Application, cities[ZHANJIANG].applications[0])
        without_email.fields = {**without_email.fields, "email": None}
        without_email.reply_address = "zjzj1@qq.com"
        without_email.sync_columns()

    approve_all(app, sessions, "both-admin", cities[ZHANJIANG])  # Zhanjiang's rules: no e-mail needed
    with sessions() as session:
        notices = session.scalars(select(OutboxMail).where(OutboxMail.kind == ReplyKind.APPROVED)).all()
        assert {notice.campaign for notice in notices} == {ZHANJIANG}  # sent from Zhanjiang's account


def test_a_bulk_decision_never_reaches_another_citys_applications(province):
    app, sessions, cities = province
    zhanjiang, maoming = cities[ZHANJIANG], cities[MAOMING]
    client = signed_in(app, "zj-reviewer")
    token = csrf(text(client, "/"))
    ids = [*zhanjiang.applications, *maoming.applications]
    confirm = client.post("/applications/bulk", data={"csrf_token": token, "ids": ids, "action": "reject",
                                                      "reason": "其他"})
    page = confirm.get_data(as_text=True)
    assert all(ref in page for ref in zhanjiang.references) and maoming.references[0] not in page
    client.post("/applications/bulk", data={"csrf_token": token, "ids": ids, "action": "reject",
                                            "reason_text": "不符合条件", "confirmed": "1"})
    with sessions() as session:
        statuses = {a.campaign: set() for a in session.scalars(select(Application))}
        for application in session.scalars(select(Application)):
            statuses[application.campaign].add(application.status)
    assert statuses == {ZHANJIANG: {ApplicationStatus.REJECTED}, MAOMING: {ApplicationStatus.PENDING_REVIEW}}


# ---- the province --------------------------------------------------------------------------------

def test_a_provincial_account_reads_both_cities_switches_and_decides_nothing(province):
    app, sessions, cities = province
    zhanjiang, maoming = cities[ZHANJIANG], cities[MAOMING]
    client = signed_in(app, "province")

    queue = text(client, "/")
    assert "data-campaign-switch" in queue and TITLES[MAOMING] in queue  # both offered
    assert all(ref in queue for ref in zhanjiang.references) and maoming.references[0] not in queue
    assert "data-read-only" in queue and 'id="bulk-form"' not in queue  # nothing to decide with
    assert "省级 · 只读" in queue

    switched = client.post("/campaign", data={"csrf_token": csrf(queue), "campaign": MAOMING,
                                              "next": "/dashboard"})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/dashboard")
    queue = text(client, "/")
    assert all(ref in queue for ref in maoming.references) and zhanjiang.references[0] not in queue
    assert re.search(rf'<option value="{MAOMING}" selected>{TITLES[MAOMING]}</option>', queue)
    assert client.post("/campaign", data={"csrf_token": csrf(queue), "campaign": "gz-2019"}).status_code == 404

    token = csrf(queue)
    for city in (zhanjiang, maoming):
        for rule in routes_naming_a_row(app):
            url = url_for_city(app, rule, city)
            if "GET" in rule.methods:
                assert client.get(url).status_code == 200, url
            if "POST" in rule.methods:
                assert client.post(url, data=form_for(city, token)).status_code == 403, url
        detail = text(client, f"/applications/{city.applications[0]}")
        assert "只读" in detail and 'id="decision"' not in detail and "显示完整号码" not in detail
        assert "保存</button>" not in detail
    assert client.post("/applications/bulk", data={"csrf_token": token, "ids": maoming.applications,
                                                   "action": "approve"}).status_code == 403
    with sessions() as session:
        assert {a.status for a in session.scalars(select(Application))} == {ApplicationStatus.PENDING_REVIEW}

    log = text(client, "/audit")
    assert "zjzj-someone" in log and "mmzj-someone" in log and "城市/活动" in log
    assert client.get("/exports/report.xlsx").status_code == 403  # one city's report: that city's admin


def test_the_province_exports_one_report_across_the_cities_and_city_staff_cannot(province):
    app, sessions, cities = province
    zhanjiang, maoming = cities[ZHANJIANG], cities[MAOMING]
    approve_all(app, sessions, "zj-admin", zhanjiang)
    approve_all(app, sessions, "mm-admin", maoming)

    for username in ("zj-admin", "mm-admin", "zj-reviewer"):
        client = signed_in(app, username)
        assert client.get("/exports/province-report.xlsx").status_code == 403, username
        assert "全省专家信息表" not in text(client, "/exports")

    client = signed_in(app, "province")
    assert "全省专家信息表" in text(client, "/exports")
    response = client.get("/exports/province-report.xlsx")
    assert response.status_code == 200
    rows = [[cell.value for cell in row] for row in load_workbook(io.BytesIO(response.data)).active.iter_rows()]
    assert rows[0][:3] == ["城市/活动", "编号", "状态"]
    assert [(row[0], row[1]) for row in rows[1:]] == [
        *((TITLES[ZHANJIANG], ref) for ref in zhanjiang.references),
        *((TITLES[MAOMING], ref) for ref in maoming.references)]
    assert "440802198001011234" in rows[1]  # the full ID number: the province registers experts by it
    with sessions() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
        assert (entry.username, entry.details["what"], entry.details["rows"]) == ("province", "province_report", 4)


def test_an_account_with_no_configured_campaign_is_told_so_and_may_sign_out(province):
    app, _sessions, cities = province
    client = signed_in(app, "gz-reviewer")
    page = text(client, "/", status=403)
    assert "没有可查看的报名活动" in page
    assert cities[ZHANJIANG].references[0] not in page
    assert client.get(f"/applications/{cities[ZHANJIANG].applications[0]}").status_code == 403
    assert client.post("/logout", data={"csrf_token": csrf(page)}).status_code == 302
