"""A reviewer sees, on the applicant's phone photo, where each field was read — in Chromium at 1366×768.

Zhou photographs his form with his phone (held sideways: the JPEG says "turn
me upright" in its EXIF) and mails it. The pipeline reads it. Li opens the
application: beside each field read from the photo is "原件位置"; clicking the
one beside 工作单位 outlines that cell on the upright photo, scrolled into
view. The ID number and the mobile are dark bars on the photo, and the page
says so; a Word form's fields say "无来源框".
"""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageOps
from playwright.sync_api import expect
from sqlalchemy import select

from devtools.samples import emails
from devtools.samples.forms import build_form_pdf, sample_applicants
from devtools.samples.scans import phone_photo, render_pages
from intake.core.models import Application
from tests.fixtures.review_app import CENTRE, REVIEWER, on

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHOTOGRAPHED = sample_applicants(1, seed=61)[0]
PHOTO = phone_photo(render_pages(build_form_pdf(PHOTOGRAPHED), dpi=200)[0], seed=4)
# The boxes' unit: the photo's full-size pixels, turned upright.
UPRIGHT_WIDTH = ImageOps.exif_transpose(Image.open(io.BytesIO(PHOTO))).width


@pytest.fixture
def site(make_review_app):
    mail = emails.phone_mail(sender_name=PHOTOGRAPHED.name, sender_address=PHOTOGRAPHED.email, subject="报名表照片",
                             body="拍照发送", to_address=CENTRE, date=on(16), attachments=[("IMG_2041.JPG", PHOTO)])
    return make_review_app(extra_mails=[(mail, on(16))], live=True)


def sign_in(page, site) -> None:
    page.goto(f"{site.url}/login")
    page.locator("input[name=username]").fill(REVIEWER[0])
    page.locator("input[name=password]").fill(REVIEWER[1])
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(site.url)


def test_a_reviewer_sees_where_a_field_was_read_on_the_photo(site, browser_page, screenshot_dir):
    page = browser_page
    with site.session() as session:
        application = session.scalars(select(Application).where(Application.sender == PHOTOGRAPHED.email)).one()
        app_id, sources = application.id, dict(application.field_sources)
    assert {"employer", "id_number", "mobile"} <= set(sources)

    sign_in(page, site)
    page.goto(f"{site.url}/applications/{app_id}")
    original = page.locator(".original figure.page img").first
    expect(original).to_be_visible()
    page.wait_for_function("() => Array.from(document.querySelectorAll('.original img'))"
                           ".every(image => image.complete && image.naturalWidth > 0)")
    expect(page.locator(".page-note").first).to_contain_text("已遮盖身份证号码、手机号码")

    employer = page.locator("#field-employer")
    employer.get_by_role("button", name="原件位置").click()
    box = page.locator('.box-rect[data-field="employer"]')
    expect(box).to_have_class(re.compile(r"\bactive\b"))
    expect(box).to_be_in_viewport()
    expect(page.locator(".box-rect.active")).to_have_count(1)

    # The outline sits where the parser read the cell, on the photo as shown upright.
    shown, drawn = original.bounding_box(), box.bounding_box()
    natural = original.evaluate("image => [image.naturalWidth, image.naturalHeight]")
    assert natural[1] > natural[0]  # the sideways JPEG is shown upright: a portrait page
    x0, top, x1, bottom = sources["employer"]["box"]
    scale = shown["width"] / UPRIGHT_WIDTH
    outline = 3  # the drawn box includes its stroke, half of it outside on each side
    assert drawn["x"] - shown["x"] == pytest.approx(x0 * scale, abs=outline)
    assert drawn["y"] - shown["y"] == pytest.approx(top * scale, abs=outline)
    assert drawn["width"] == pytest.approx((x1 - x0) * scale, abs=2 * outline)
    assert drawn["height"] == pytest.approx((bottom - top) * scale, abs=2 * outline)
    page.screenshot(path=screenshot_dir / "detail-source-box-photo.png")

    # Focusing another field moves the outline to it; clicking a box focuses its field.
    page.locator('.box-rect[data-field="name"]').click()
    expect(page.locator("#value-name")).to_be_focused()
    expect(page.locator('.box-rect[data-field="name"]')).to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator('.box-rect[data-field="employer"]')).not_to_have_class(re.compile(r"\bactive\b"))

    # A Word form has no boxes: its fields say so quietly, and its pages are said not to be masked.
    page.goto(f"{site.url}/applications/{site.applications['clean'].id}")
    page.locator("#value-name").focus()
    expect(page.locator("#field-name .source.hint")).to_have_text("无来源框")
    expect(page.locator("#field-name").get_by_role("button", name="原件位置")).to_have_count(0)
    assert page.dialogs == []

