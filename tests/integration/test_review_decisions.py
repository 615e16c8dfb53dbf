"""Staff decide applications: 通过, 不通过, 需补充, 重新审核, one at a time or in bulk.

The story: a reviewer signs in, approves one application and the applicant's email is
queued in the outbox (Chinese, threaded to their mail, no full ID number); another is
rejected with a reason; for a third the reviewer asks for more information. A bulk approval
of three — one still missing required fields — approves two and refuses one, through the
same checks, audit rows and emails as one at a time. Pressing the button twice sends one
email. Without a CSRF token or without signing in, nothing happens.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from intake.core.config import settings_from_mapping
from intake.core.db import make_engine, make_session_factory
from intake.core.migrate import upgrade_database
from intake.core.models import Application, AuditEntry, Message, OutboxMail
from intake.core.statuses import ApplicationStatus, ReplyKind, StaffRole
from parsers.schema import load_schema
from parsers.text.checks import id_check_char
from review.accounts import add_user
from review.app import create_app
from review.corrections import Conflict
from review.decisions import bulk_decide, decide

pytestmark = pytest.mark.integration

T0 = datetime(2020, 9, 20, 2, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"
ID_NUMBER = "44080219780512001" + id_check_char("44080219780512001")
COMPLETE = {"name": "张喆", "gender": "男", "birth_date": "1978-05", "id_number": ID_NUMBER, "employer": "湛江某公司",
            "mobile": "13812345678", "email": "zhangzhe@example.com", "county": "霞山区", "expertise": ["财税"],
            "specialty": "财税咨询"}


@pytest.fixture
def settings(tmp_path):
    return settings_from_mapping({
        "mailbox": {"host": "127.0.0.1", "username": "zjzxqyfw@126.com"},
        "smtp": {"host": "127.0.0.1", "from_address": "zjzxqyfw@126.com"},
        "storage": {"path": str(tmp_path / "store")},
        "campaign": {"name": "zj-2020", "deadline": "2020-09-25"},
    }, base_dir=tmp_path)


def sessions_for(url: str):
    upgrade_database(url)
    engine = make_engine(url)
    return engine, make_session_factory(engine)


@pytest.fixture
def sessions(sqlite_url):
    engine, factory = sessions_for(sqlite_url)
    yield factory
    engine.dispose()


@pytest.fixture
def client(settings, sessions):
    with sessions() as session, session.begin():
        add_user(session, "shenhe", PASSWORD, StaffRole.REVIEWER, campaigns=["zj-2020"])
    app = create_app(settings, sessions)
    return app.test_client()


def add_application(sessions, number: int, *, status=ApplicationStatus.PENDING_REVIEW, reply=True, **fields):
    values = {**COMPLETE, "name": f"专家{number}", "email": f"expert{number}@example.com", **fields}
    values = {key: value for key, value in values.items() if value is not None}
    with sessions() as session, session.begin():
        message = Message(
            campaign="zj-2020", raw_sha256=f"{number:064d}", size=1, body_sha256="b" * 64, received_at=T0,
            subject=f"报名表 专家{number}",
            from_name=f"专家{number}", from_address=f"expert{number}@example.com",
            reply_address=f"expert{number}@example.com" if reply else None,
            message_id_header=f"<orig-{number}@mail.example.com>", references_header=[], defects=[],
        )
        required = ["name", "gender", "id_number", "employer", "mobile", "email", "county", "expertise", "specialty"]
        missing = [key for key in required if key not in values]
        application = Application(
            campaign="zj-2020", reference=f"ZJZJ-2020-{number:04d}", status=status, message=message,
            sender=message.from_address, reply_address=message.reply_address, fields=values, received_at=T0,
            missing_fields=missing, needs_review=[], warnings=[],
        )
        application.sync_columns()
        session.add(application)
        session.flush()
        return application.id


def csrf(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client) -> str:
    response = client.post("/login", data={"username": "shenhe", "password": PASSWORD, "csrf_token": csrf(client)})
    assert response.status_code == 302
    return csrf(client)  # signing in starts a new session, with a new token


def row_version(sessions, app_id: int) -> int:
    with sessions() as session:
        return session.get(Application, app_id).row_version


def flashes(client) -> list[str]:
    with client.session_transaction() as flask_session:
        return [text for _category, text in flask_session.get("_flashes", [])]


def outbox(sessions) -> list[OutboxMail]:
    with sessions() as session:
        return session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()


def audit_rows(sessions, *actions: str) -> list[AuditEntry]:
    with sessions() as session:
        return session.scalars(select(AuditEntry).where(AuditEntry.action.in_(actions))
                               .order_by(AuditEntry.id)).all()


def body_of(row: OutboxMail) -> str:
    return message_from_bytes(row.raw, policy=policy.SMTP).get_body(("plain",)).get_content()


def post_decision(client, sessions, token, app_id, action, **form):
    data = {"csrf_token": token, "action": action, "row_version": row_version(sessions, app_id), "notify": "1",
            "queue": "status=pending_review", **form}
    return client.post(f"/applications/{app_id}/decide", data=data)


def test_a_reviewer_approves_and_the_applicant_gets_a_chinese_email_threaded_to_their_mail(client, sessions):
    app_id = add_application(sessions, 1)
    token = sign_in(client)

    response = post_decision(client, sessions, token, app_id, "approve")

    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/applications/{app_id}?queue=status%3Dpending_review")
    with sessions() as session:
        application = session.get(Application, app_id)
        assert application.status == ApplicationStatus.APPROVED and application.decided_by == "shenhe"
    [entry] = audit_rows(sessions, "approve")
    assert entry.username == "shenhe" and entry.application_id == app_id
    [row] = outbox(sessions)
    assert row.kind == ReplyKind.APPROVED and row.to_address == "expert1@example.com"
    assert row.idempotency_key == f"zj-2020:application-{app_id}:approved:{entry.id}"
    email = message_from_bytes(row.raw, policy=policy.SMTP)
    assert email["In-Reply-To"] == "<orig-1@mail.example.com>" and email["Subject"] == "Re: 报名表 专家1"
    body = body_of(row)
    assert "已通过遴选审核" in body and "ZJZJ-2020-0001" in body and ID_NUMBER not in body
    assert any("已发邮件通知申请人" in text for text in flashes(client))


def test_a_rejection_needs_a_reason_and_tells_the_applicant(client, sessions):
    app_id = add_application(sessions, 2)
    token = sign_in(client)

    post_decision(client, sessions, token, app_id, "reject")
    assert "请选择或填写不通过的原因。" in flashes(client)
    assert outbox(sessions) == [] and audit_rows(sessions, "reject") == []

    post_decision(client, sessions, token, app_id, "reject", reason="专业领域与需求不符", reason_text="本期名额已满")

    with sessions() as session:
        application = session.get(Application, app_id)
        assert application.status == ApplicationStatus.REJECTED
        assert application.decision_reason == "专业领域与需求不符；本期名额已满"
    [entry] = audit_rows(sessions, "reject")
    assert entry.details["reason"] == "专业领域与需求不符"
    [row] = outbox(sessions)
    assert row.kind == ReplyKind.REJECTED
    assert "未能通过" in body_of(row) and "专业领域与需求不符" in body_of(row)


def test_asking_for_more_information_emails_the_chosen_fields_and_the_note(client, sessions):
    app_id = add_application(sessions, 3, status=ApplicationStatus.INCOMPLETE, mobile=None)
    token = sign_in(client)

    post_decision(client, sessions, token, app_id, "request_info")
    assert "请至少勾选一项需要申请人补充的内容。" in flashes(client)

    response = client.post(f"/applications/{app_id}/decide", data={
        "csrf_token": token, "action": "request_info", "row_version": row_version(sessions, app_id),
        "fields": ["mobile", "specialty"], "note": "请补充手机号码，并详细说明专业特长。"})

    assert response.status_code == 302
    with sessions() as session:
        assert session.get(Application, app_id).status == ApplicationStatus.INCOMPLETE  # still waiting
    [entry] = audit_rows(sessions, "request_info")
    assert entry.details["fields"] == ["mobile", "specialty"]
    [row] = outbox(sessions)
    assert row.kind == ReplyKind.REQUEST_INFO
    body = body_of(row)
    assert "· 手机号码" in body and "· 专业特长" in body and "请补充手机号码，并详细说明专业特长。" in body
    [blank_form] = message_from_bytes(row.raw, policy=policy.SMTP).iter_attachments()
    assert blank_form.get_filename() == "湛江市中小企业志愿服务专家报名表.docx"


def test_approval_is_refused_while_required_fields_are_missing(client, sessions):
    app_id = add_application(sessions, 4, status=ApplicationStatus.INCOMPLETE, mobile=None, specialty=None)
    token = sign_in(client)

    post_decision(client, sessions, token, app_id, "approve")

    assert any(text.startswith("缺少必填项：手机号码、专业特长，不能通过") for text in flashes(client))
    with sessions() as session:
        assert session.get(Application, app_id).status == ApplicationStatus.INCOMPLETE
    assert outbox(sessions) == [] and audit_rows(sessions, "approve") == []


def test_pressing_approve_twice_sends_one_email_and_reopening_allows_a_new_one(client, sessions):
    app_id = add_application(sessions, 5)
    token = sign_in(client)
    form = {"csrf_token": token, "action": "approve", "notify": "1", "row_version": row_version(sessions, app_id)}

    client.post(f"/applications/{app_id}/decide", data=form)
    client.post(f"/applications/{app_id}/decide", data=form)  # the same form, submitted again

    assert "已被他人修改，请刷新后再改。" in flashes(client)
    assert len(outbox(sessions)) == 1 and len(audit_rows(sessions, "approve")) == 1

    post_decision(client, sessions, token, app_id, "reopen")
    with sessions() as session:
        assert session.get(Application, app_id).status == ApplicationStatus.PENDING_REVIEW
    post_decision(client, sessions, token, app_id, "approve")
    rows = outbox(sessions)
    assert [row.kind for row in rows] == [ReplyKind.APPROVED, ReplyKind.APPROVED]
    assert rows[0].idempotency_key != rows[1].idempotency_key


def test_approve_and_next_opens_the_next_application_of_the_queue(client, sessions):
    first, second = add_application(sessions, 6), add_application(sessions, 7)
    token = sign_in(client)
    queue = "status=pending_review&sort=reference"

    response = post_decision(client, sessions, token, first, "approve", next="1", queue=queue)
    assert response.headers["Location"].startswith(f"/applications/{second}?queue=")

    response = post_decision(client, sessions, token, second, "approve", next="1", queue=queue)
    assert response.headers["Location"] == "/?status=pending_review&sort=reference"
    assert "队列已审完。" in flashes(client)


def test_bulk_approval_confirms_first_then_decides_each_like_one_at_a_time(client, sessions):
    ready = [add_application(sessions, 10), add_application(sessions, 11, reply=False)]
    lacking = add_application(sessions, 12, status=ApplicationStatus.INCOMPLETE, email=None)
    single = add_application(sessions, 13)
    token = sign_in(client)
    selection = {"csrf_token": token, "ids": [*ready, lacking], "action": "approve", "notify": "1"}

    page = client.post("/applications/bulk", data=selection)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for reference in ("ZJZJ-2020-0010", "ZJZJ-2020-0011", "ZJZJ-2020-0012"):
        assert reference in html
    assert "将跳过" in html and "缺少必填项：电子邮箱" in html
    assert "ZJZJ-2020-0011 专家11" in html.split("不会收到邮件的申请")[1]  # listed as having no address
    assert 'name="notify" value="1" checked' in html and "style=" not in html
    assert audit_rows(sessions, "approve") == [] and outbox(sessions) == []  # nothing done yet

    versions = {f"version-{app_id}": row_version(sessions, app_id) for app_id in [*ready, lacking]}
    client.post("/applications/bulk", data={**selection, **versions, "confirmed": "1"})
    post_decision(client, sessions, token, single, "approve")

    with sessions() as session:
        statuses = {app_id: session.get(Application, app_id).status for app_id in [*ready, lacking]}
    assert statuses == {ready[0]: ApplicationStatus.APPROVED, ready[1]: ApplicationStatus.APPROVED,
                        lacking: ApplicationStatus.INCOMPLETE}
    messages = flashes(client)
    assert "批量通过：完成 2 份，已发邮件 1 封（1 份没有可用邮箱，未发）。" in messages
    assert any("ZJZJ-2020-0012" in text and "缺少必填项：电子邮箱" in text for text in messages)
    # One audit row per approved application, the same whether in bulk or alone.
    entries = audit_rows(sessions, "approve")
    assert [e.application_id for e in entries] == [*ready, single]
    assert all(e.details == entries[-1].details for e in entries)
    rows = outbox(sessions)
    assert [(r.application_id, r.kind) for r in rows] == [(ready[0], ReplyKind.APPROVED), (single, ReplyKind.APPROVED)]
    assert body_of(rows[0]).replace("0010", "0013").replace("专家10", "专家13") == body_of(rows[1])


def test_an_empty_bulk_selection_is_no_error(client, sessions):
    token = sign_in(client)
    response = client.post("/applications/bulk", data={"csrf_token": token, "action": "approve", "queue": "late=1"})
    assert response.status_code == 302 and response.headers["Location"] == "/?late=1"
    assert "请先在列表中勾选要处理的申请。" in flashes(client)


def test_a_post_without_csrf_token_is_refused_and_anonymous_posts_go_to_login(client, sessions):
    app_id = add_application(sessions, 20)
    form = {"action": "approve", "notify": "1", "row_version": row_version(sessions, app_id)}

    anonymous = client.post(f"/applications/{app_id}/decide", data={**form, "csrf_token": csrf(client)})
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")

    sign_in(client)
    refused = client.post(f"/applications/{app_id}/decide", data=form)
    assert refused.status_code == 400
    with sessions() as session:
        assert session.get(Application, app_id).status == ApplicationStatus.PENDING_REVIEW
    assert outbox(sessions) == []


def test_a_correction_through_the_app_is_saved_and_leads_to_the_next_field_to_check(client, sessions):
    app_id = add_application(sessions, 21)
    with sessions() as session, session.begin():
        session.get(Application, app_id).needs_review = ["name", "mobile"]
    token = sign_in(client)
    version = row_version(sessions, app_id)
    form = {"csrf_token": token, "field": "name", "value": "张  喆", "row_version": version, "queue": "needs_review=1"}

    response = client.post(f"/applications/{app_id}/fields", data=form)
    assert response.headers["Location"] == f"/applications/{app_id}?queue=needs_review%3D1#field-mobile"
    stale = client.post(f"/applications/{app_id}/fields", data={**form, "value": "李四"})
    assert stale.headers["Location"].endswith("#field-name")
    assert "已被他人修改，请刷新后再改。" in flashes(client)
    with sessions() as session:
        application = session.get(Application, app_id)
        assert application.name == "张喆" and application.needs_review == ["mobile"]


def test_possible_duplicates_are_compared_masked_and_merged_only_by_hand(client, sessions):
    first = add_application(sessions, 30, mobile="13912345678")
    second = add_application(sessions, 31, mobile="13912345678", employer="另一家公司")
    add_application(sessions, 32, mobile="13700000000", id_number="440802197805120000")  # someone else
    token = sign_in(client)

    page = client.get(f"/applications/{first}/duplicates").get_data(as_text=True)
    assert "ZJZJ-2020-0031" in page and "ZJZJ-2020-0032" not in page
    assert "身份证号码相同" in page and "手机号码相同" in page and "另一家公司" in page
    assert ID_NUMBER not in page and "13912345678" not in page and "139****5678" in page
    with sessions() as session:
        assert session.get(Application, second).status == ApplicationStatus.PENDING_REVIEW  # nothing automatic

    client.post(f"/applications/{first}/keep-apart", data={"csrf_token": token, "other": second, "note": "同名不同人"})
    assert "同名不同人" in client.get(f"/applications/{first}/duplicates").get_data(as_text=True)
    client.post(f"/applications/{first}/merge", data={
        "csrf_token": token, "other": second, "keep": "this", "row_version": row_version(sessions, first),
        "other_row_version": row_version(sessions, second)})

    with sessions() as session:
        kept, merged = session.get(Application, first), session.get(Application, second)
        assert kept.status == ApplicationStatus.PENDING_REVIEW
        assert merged.status == ApplicationStatus.REJECTED
        assert merged.decision_reason == "与 ZJZJ-2020-0030 重复，已合并"
    assert [(e.action, e.application_id) for e in audit_rows(sessions, "merge", "keep_apart")] == [
        ("keep_apart", first), ("keep_apart", second), ("merge", first), ("merge", second)]


def test_the_decision_panel_obeys_the_csp_and_offers_approve_and_next(client, sessions, settings):
    app_id = add_application(sessions, 40)
    with sessions() as session:
        application = session.get(Application, app_id)
        application.needs_review = ["mobile"]
        app = client.application
        with app.test_request_context("/"):
            html = app.jinja_env.get_template("decisions/_decision_panel.html").render(
                application=application, queue_args="status=pending_review", schema=load_schema(),
                reasons=settings.web.rejection_reasons, csrf_token=lambda: "token")
    assert '<button type="submit" class="primary" name="action" value="approve" data-shortcut="approve-next">' \
           "通过并打开下一份 (Ctrl+Enter)</button>" in html
    assert "还有 1 项待核对" in html and "专业领域与需求不符" in html
    assert not re.search(r"<script|style=|\son[a-z]+=", html)
    with app.test_request_context("/?status=pending_review&late=1"):
        controls = app.jinja_env.get_template("decisions/_bulk_controls.html").render(
            rejection_reasons=settings.web.rejection_reasons, csrf_token=lambda: "token")
    assert '<input type="hidden" name="queue" value="status=pending_review&amp;late=1">' in controls
    assert 'name="notify" value="1" checked' in controls and "其他" in controls
    assert not re.search(r"<script|style=|\son[a-z]+=", controls)


@pytest.mark.parametrize("url", ["sqlite", "postgresql"])
def test_bulk_and_single_decisions_share_one_code_path_on_both_databases(url, request, settings):
    database_url = request.getfixturevalue("sqlite_url") if url == "sqlite" else request.getfixturevalue("postgres_url")
    engine, sessions = sessions_for(database_url)
    try:
        ids = [add_application(sessions, number) for number in (50, 51)]
        lacking = add_application(sessions, 52, status=ApplicationStatus.INCOMPLETE, gender=None)
        with sessions() as session:
            results = bulk_decide(session, [*ids, lacking], "reject", username="admin", address=None,
                                  settings=settings, campaign="zj-2020", reason="重复报名")
            session.commit()
            assert [r.outcome for r in results] == ["ok", "ok", "ok"]  # rejecting needs no complete form
            stale = session.get(Application, ids[0])
            with pytest.raises(Conflict, match="已被他人修改"):
                decide(session, stale, "reopen", username="admin", address=None, expected_version=1,
                       settings=settings)
            again = bulk_decide(session, ids, "reject", username="admin", address=None, settings=settings,
                                campaign="zj-2020", reason="重复报名")
            session.commit()
            assert [r.outcome for r in again] == ["refused", "refused"]
            assert bulk_decide(session, [], "approve", username="admin", address=None, settings=settings,
                               campaign="zj-2020") == []
        assert [row.kind for row in outbox(sessions)] == [ReplyKind.REJECTED] * 3
        assert len(audit_rows(sessions, "reject")) == 3
    finally:
        engine.dispose()
