"""A scanned form's page image never shows the ID number or the mobile in full, unless revealed.

Wang scans her form and mails the PDF. The pipeline reads it and keeps where
each field was read. A reviewer opening it sees the scan with dark bars over
the ID number, the mobile and the office phone, and a caption saying what was
hidden; when she reveals the mobile (audited, as before) the page she gets back
shows the mobile on the scan too, and only to her, only for a while, never the
ID number. The administrator's reveal of the ID number uncovers it. A Word form,
whose numbers cannot be located on its pages, says plainly it is not masked.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlalchemy import select

from devtools.samples import emails
from devtools.samples.forms import build_form_pdf, sample_applicants
from devtools.samples.scans import image_only_pdf, render_pages
from intake.core.models import Application, ApplicationVersion, AuditEntry, utcnow
from review.page_masking import MASK_COLOUR
from tests.fixtures.review_app import ADMIN, CENTRE, REVIEWER, csrf_token, on, sign_in

pytestmark = pytest.mark.integration

SCANNED = sample_applicants(1, seed=53)[0]
SCAN_PDF = image_only_pdf([render_pages(build_form_pdf(SCANNED), dpi=200)[0]])


@pytest.fixture
def site(make_review_app):
    scan_mail = emails.qq_mail(sender_name=SCANNED.name, sender_address=SCANNED.email, subject="扫描件报名表",
                               body="报名表扫描件见附件。", to_address=CENTRE, date=on(16),
                               attachments=[(f"{SCANNED.name}扫描件.pdf", SCAN_PDF)])
    return make_review_app(extra_mails=[(scan_mail, on(16))])


def scanned_application(site) -> Application:
    with site.session() as session:
        application = session.scalars(select(Application).where(Application.sender == SCANNED.email)).one()
        session.expunge(application)
        return application


def page_image_urls(html: str) -> list[str]:
    return [url.replace("&amp;", "&") for url in re.findall(r'<img src="([^"]+/pages/\d+\.png[^"]*)"', html)]


def picture(client, url: str) -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/png", url
    return Image.open(io.BytesIO(response.data)).convert("RGB")


def inside(image: Image.Image, source: dict) -> list[tuple[int, int, int]]:
    """Pixels well inside a stored box (PDF points on the scan's page) on the served page image."""
    document = pdfium.PdfDocument(SCAN_PDF)
    width, height = document[source["page"] - 1].get_size()
    document.close()
    x0, top, x1, bottom = source["box"]
    sx, sy = image.width / width, image.height / height
    points = [(x0 + (x1 - x0) * fx, top + (bottom - top) * fy) for fx in (0.1, 0.5, 0.9) for fy in (0.3, 0.5, 0.7)]
    return [image.getpixel((int(x * sx), int(y * sy))) for x, y in points]


def masked(image: Image.Image, source: dict) -> bool:
    return all(pixel == MASK_COLOUR for pixel in inside(image, source))


def test_the_scan_is_served_with_its_numbers_hidden_until_a_reveal(site):
    application = scanned_application(site)
    sources = application.field_sources
    assert {"id_number", "mobile", "name"} <= set(sources)  # the pipeline kept where it read them
    with site.session() as session:
        version = session.scalars(select(ApplicationVersion).where(
            ApplicationVersion.application_id == application.id)).one()
        assert version.field_sources == sources

    reviewer = site.client()
    sign_in(reviewer, *REVIEWER)
    url = f"/applications/{application.id}"
    page = reviewer.get(url).get_data(as_text=True)
    assert "已遮盖身份证号码、手机号码" in page and "原图未遮盖" not in page
    assert 'data-field="id_number"' in page and "原件位置" in page
    [image_url] = page_image_urls(page)
    plain = picture(reviewer, image_url)
    assert masked(plain, sources["id_number"]) and masked(plain, sources["mobile"])
    assert not masked(plain, sources["name"])  # the rest of the form is shown as it is

    # The reviewer reveals the mobile: audited, and the page she gets back shows it on the scan too.
    shown = reviewer.post(f"{url}/reveal", data={"csrf_token": csrf_token(page), "field": "mobile"})
    shown_page = shown.get_data(as_text=True)
    assert "手机号码已按查看请求显示" in shown_page
    [revealed_url] = page_image_urls(shown_page)
    assert "reveal=" in revealed_url
    revealed = picture(reviewer, revealed_url)
    assert not masked(revealed, sources["mobile"]) and masked(revealed, sources["id_number"])
    with site.session() as session:
        reveals = session.execute(select(AuditEntry.username, AuditEntry.details).where(
            AuditEntry.action == "reveal", AuditEntry.application_id == application.id)).all()
    assert [(who, details["field"]) for who, details in reveals] == [(REVIEWER[0], "mobile")]

    # That reveal is hers alone, and brief.
    colleague = site.client()
    sign_in(colleague, *ADMIN)
    assert masked(picture(colleague, revealed_url), sources["mobile"])
    with site.session() as session, session.begin():
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "reveal")).one()
        entry.at = utcnow() - timedelta(hours=1)
    assert masked(picture(reviewer, revealed_url), sources["mobile"])

    # Only the administrator may uncover the ID number, and that is audited too.
    admin_page = colleague.get(url).get_data(as_text=True)
    full = colleague.post(f"{url}/reveal", data={"csrf_token": csrf_token(admin_page), "field": "id_number"})
    [id_url] = page_image_urls(full.get_data(as_text=True))
    uncovered = picture(colleague, id_url)
    assert not masked(uncovered, sources["id_number"]) and masked(uncovered, sources["mobile"])
    assert masked(picture(reviewer, id_url), sources["id_number"])  # not the reviewer's reveal, nor hers to see
    with site.session() as session:
        assert session.scalar(select(AuditEntry.username).where(
            AuditEntry.action == "reveal", AuditEntry.details["field"].as_string() == "id_number")) == ADMIN[0]


def test_a_word_form_says_its_pages_are_not_masked(site):
    client = site.client()
    sign_in(client, *REVIEWER)
    page = client.get(f"/applications/{site.applications['clean'].id}").get_data(as_text=True)
    assert "此页未能定位身份证号码、手机号码" in page and "原图未遮盖" in page
    assert "已遮盖" not in page and "原件位置" not in page
    assert "无来源框" in page
