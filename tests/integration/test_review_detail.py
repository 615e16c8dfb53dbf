"""A reviewer opens an application: the original's pages beside the parsed fields, the mail, reveals.

The application's mail carries a PDF form, a phone photo (JPEG, sideways by
EXIF) and a Word form, stored the way the worker stores them; the app runs on a
real SQLite database through Flask's test client, signed in like a person.
"""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pytest
from PIL import Image
from sqlalchemy import select

from devtools.samples.emails import qq_mail
from devtools.samples.forms import build_form_docx, build_form_pdf, sample_applicants
from intake.core.blobstore import BlobStore
from intake.core.config import settings_from_mapping
from intake.core.db import make_engine, make_session_factory
from intake.core.migrate import upgrade_database
from intake.core.models import Application, ApplicationVersion, Attachment, AuditEntry, Message
from intake.core.statuses import ApplicationStatus, AttachmentStatus, StaffRole
from parsers.readers.office import find_soffice
from review import pages
from review.accounts import add_user
from review.app import create_app

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
XSS_SUBJECT = "<script>alert('subject')</script>报名表"
XSS_NAME = '<img src=x onerror="alert(1)">张三'
XSS_FILE = "<svg onload=alert(1)>报名表.pdf"
XSS_FIELD = '"><script>alert("field")</script>'
APPLICANT = sample_applicants(1, seed=7)[0]


def sideways_jpeg() -> bytes:
    """A 300×100 picture that a phone marks "rotate 90°" (EXIF orientation 6): upright, it is 100×300."""
    image = Image.new("RGB", (300, 100), "white")
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


@pytest.fixture
def site(tmp_path):
    """The app, its sessions and the stored mail: one application with three attachments."""
    settings = settings_from_mapping({
        "mailbox": {"host": "127.0.0.1", "username": "a@example.com", "password": "x"},
        "smtp": {"host": "127.0.0.1", "username": "a@example.com", "password": "x", "from_address": "a@example.com"},
        "database": {"url": f"sqlite:///{tmp_path / 'review.sqlite3'}"},
        "storage": {"path": str(tmp_path / "store")},
        "campaign": {"name": "zj-2020", "deadline": "2020-09-25"},
    }, base_dir=tmp_path)
    upgrade_database(settings.database.url, campaigns=[c.name for c in settings.campaigns])
    engine = make_engine(settings.database.url)
    sessions = make_session_factory(engine)
    blobs = BlobStore(settings.storage.path / "blobs")
    files = [(XSS_FILE, build_form_pdf(APPLICANT)), ("IMG_0001.jpg", sideways_jpeg()),
             ("报名表.docx", build_form_docx(APPLICANT)), ("page.html", b"<script>alert('html')</script>")]
    raw = qq_mail(sender_name=XSS_NAME, sender_address="zhangsan@qq.com", subject=XSS_SUBJECT,
                  body=f"您好，附件是报名表。身份证 {APPLICANT.id_number}", attachments=files)
    with sessions() as session:
        message = Message(campaign="zj-2020", raw_sha256=blobs.put(raw), size=len(raw), body_sha256="0" * 64,
                          received_at=datetime(2020, 9, 14, 1, 5, tzinfo=timezone.utc), subject=XSS_SUBJECT,
                          from_name=XSS_NAME, from_address="zhangsan@qq.com")
        kinds = {"pdf": "pdf", "jpg": "image", "docx": "docx", "html": "other"}
        for filename, data in files:
            message.attachments.append(Attachment(
                filename=filename, content_type="application/octet-stream", sha256=blobs.put(data), size=len(data),
                origin="mail", kind=kinds[filename.rpartition(".")[2]], status=AttachmentStatus.PARSED))
        session.add(message)
        session.flush()
        pdf, _jpeg, docx, _html = message.attachments
        fields = {**APPLICANT.expected_fields(), "employer": XSS_FIELD}
        form_app = make_application(session, message, pdf, fields, reference="ZJZJ-2020-0001",
                                    needs_review=["mobile"], warnings=["手机号码应为 11 位数字"])
        word_app = make_application(session, message, docx, APPLICANT.expected_fields(), reference="ZJZJ-2020-0002")
        session.add(ApplicationVersion(application_id=form_app.id, version=1, message_id=message.id,
                                       attachment_id=pdf.id, fields={**fields, "title": "工程师"}))
        session.add(ApplicationVersion(application_id=form_app.id, version=2, message_id=message.id,
                                       attachment_id=pdf.id, fields=fields))
        form_app.version = 2
        add_user(session, "reviewer", PASSWORD, StaffRole.REVIEWER, campaigns=["zj-2020"])
        add_user(session, "admin", PASSWORD, StaffRole.ADMIN, campaigns=["zj-2020"])
        session.commit()
        ids = {"form": form_app.id, "word": word_app.id, **{a.filename: a.id for a in message.attachments}}
    app = create_app(settings, sessions)
    yield app, sessions, ids
    engine.dispose()


def make_application(session, message, attachment, fields, *, reference, needs_review=(), warnings=()):
    application = Application(campaign="zj-2020", reference=reference, status=ApplicationStatus.PENDING_REVIEW,
                              fields=fields, needs_review=list(needs_review), warnings=list(warnings),
                              confidence={key: 1.0 for key in fields}, message_id=message.id,
                              attachment_id=attachment.id, received_at=message.received_at)
    application.sync_columns()
    session.add(application)
    session.flush()
    return application


def signed_in(app, username: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def page_images(page: str) -> list[str]:
    return re.findall(r'<img src="([^"]+\.png)"', page)


def test_the_detail_page_shows_the_pdf_pages_beside_masked_fields(site):
    app, _sessions, ids = site
    client = signed_in(app, "reviewer")
    response = client.get(f"/applications/{ids['form']}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert APPLICANT.id_number not in page and APPLICANT.mobile not in page  # nowhere, not even in the mail body
    assert APPLICANT.id_number[:6] + "********" + APPLICANT.id_number[-4:] in page
    assert 'data-field="mobile" data-state="review"' in page and "手机号码应为 11 位数字" in page
    assert "无来源框" in page
    images = page_images(page)
    assert images and images[0].endswith("/pages/1.png")
    for url in images:
        picture = client.get(url)
        assert picture.status_code == 200 and picture.mimetype == "image/png"
        assert picture.data.startswith(b"\x89PNG")
    assert client.get(images[0].replace("/1.png", "/21.png")).status_code == 404
    # The versions' diff names the field that changed between them.
    assert "职称" in page and "工程师" in page


def test_a_phone_photo_is_shown_upright(site):
    app, _sessions, ids = site
    client = signed_in(app, "reviewer")
    picture = client.get(f"/attachments/{ids['IMG_0001.jpg']}/pages/1.png")
    assert picture.status_code == 200
    assert Image.open(io.BytesIO(picture.data)).size == (100, 300)


@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed")
@pytest.mark.parametrize("stripes", [1, 64])
def test_a_word_form_is_shown_through_its_pdf(site, monkeypatch, stripes):
    # With one lock per pool, the render and the conversion it needs share a
    # stripe: the request must still finish (it once waited on itself forever).
    monkeypatch.setattr(pages, "_RENDER_LOCKS", pages._RENDER_LOCKS[:stripes])
    monkeypatch.setattr(pages, "_CONVERT_LOCKS", pages._CONVERT_LOCKS[:stripes])
    app, _sessions, ids = site
    client = signed_in(app, "reviewer")
    page = client.get(f"/applications/{ids['word']}").get_data(as_text=True)
    first = page_images(page)[0]
    picture = client.get(first)
    assert picture.status_code == 200 and picture.data.startswith(b"\x89PNG")
    # Converted once: now the page count is known and every page is listed.
    again = client.get(f"/applications/{ids['word']}").get_data(as_text=True)
    assert "data-probe" not in again and page_images(again)


def test_reveal_follows_the_roles_and_is_audited(site):
    app, sessions, ids = site
    reviewer = signed_in(app, "reviewer")
    url = f"/applications/{ids['form']}"
    token = csrf(reviewer.get(url).get_data(as_text=True))
    refused = reviewer.post(f"{url}/reveal", data={"csrf_token": token, "field": "id_number"})
    assert refused.status_code == 403
    shown = reviewer.post(f"{url}/reveal", data={"csrf_token": token, "field": "mobile"})
    assert shown.status_code == 200 and APPLICANT.mobile in shown.get_data(as_text=True)
    assert APPLICANT.mobile not in reviewer.get(url).get_data(as_text=True)  # that one response only
    assert reviewer.post(f"{url}/reveal", data={"field": "mobile"}).status_code == 400  # no CSRF token

    admin = signed_in(app, "admin")
    token = csrf(admin.get(url).get_data(as_text=True))
    full = admin.post(f"{url}/reveal", data={"csrf_token": token, "field": "id_number"})
    assert full.status_code == 200 and APPLICANT.id_number in full.get_data(as_text=True)
    with sessions() as session:
        reveals = session.execute(select(AuditEntry.username, AuditEntry.details)
                                  .where(AuditEntry.action == "reveal", AuditEntry.application_id == ids["form"])
                                  .order_by(AuditEntry.id)).all()
    assert [(who, details["field"]) for who, details in reveals] == [("reviewer", "mobile"), ("admin", "id_number")]
    history = admin.get(url).get_data(as_text=True)
    assert "查看完整证件号/电话" in history


def test_mail_supplied_text_is_shown_as_text(site):
    app, _sessions, ids = site
    page = signed_in(app, "reviewer").get(f"/applications/{ids['form']}").get_data(as_text=True)
    for payload in (XSS_SUBJECT, XSS_NAME, XSS_FILE, XSS_FIELD):
        assert payload not in page
    assert "&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;报名表" in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;张三" in page
    assert "&lt;svg onload=alert(1)&gt;报名表.pdf" in page
    assert 'value="&#34;&gt;&lt;script&gt;alert(&#34;field&#34;)&lt;/script&gt;"' in page
    assert "您好，附件是报名表" in page  # the body, as plain text


def test_downloads_are_attachments_never_html(site):
    app, _sessions, ids = site
    client = signed_in(app, "reviewer")
    for name, attachment_id in ids.items():
        if name in ("form", "word"):
            continue
        for query in ("", "?inline=1"):
            response = client.get(f"/attachments/{attachment_id}/download{query}")
            assert response.status_code == 200
            assert "html" not in response.mimetype
            if not (query and name.endswith((".pdf", ".jpg"))):
                assert response.headers["Content-Disposition"].startswith("attachment")
    inline_pdf = client.get(f"/attachments/{ids[XSS_FILE]}/download?inline=1")
    assert inline_pdf.mimetype == "application/pdf" and inline_pdf.headers["Content-Disposition"].startswith("inline")
    html = client.get(f"/attachments/{ids['page.html']}/download?inline=1")
    assert html.mimetype == "application/octet-stream" and html.data.startswith(b"<script>")


def test_the_queue_lists_the_applications_masked_and_links_to_them(site):
    app, _sessions, ids = site
    client = signed_in(app, "reviewer")
    page = client.get("/?needs_review=1").get_data(as_text=True)
    assert f'data-application-id="{ids["form"]}"' in page and f'data-application-id="{ids["word"]}"' not in page
    assert APPLICANT.mobile not in page and APPLICANT.mobile[:3] + "****" + APPLICANT.mobile[-4:] in page
    assert f'href="/applications/{ids["form"]}?queue=needs_review%3D1"' in page
    assert "2020-09-14 09:05" in page  # campaign time
    assert XSS_FIELD not in page
    detail = client.get(f"/applications/{ids['word']}").get_data(as_text=True)
    assert f'rel="next" href="/applications/{ids["form"]}"' in detail or f'rel="prev" href="/applications/{ids["form"]}"' in detail
