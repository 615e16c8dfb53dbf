"""A reviewer's morning, in real headless Chromium at 1366×768.

Chen signs in, narrows the queue to the applications that need checking,
opens the first, corrects the e-mail address the applicant mistyped — all
from the keyboard — approves it with Ctrl+Enter, which opens the next one
of the same queue, then downloads the public roster: exactly the three
public columns, exactly the expert just approved. Screenshots of the queue,
the detail page and the dashboard are kept for a person to look at.
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from intake.core.masking import mask_id_number
from intake.core.statuses import ApplicationStatus
from tests.fixtures.review_app import ADMIN

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ROSTER_HEADER = ["姓名", "工作单位", "专业特长"]


def test_a_reviewer_fixes_a_field_approves_it_and_publishes_the_roster(live_review_app, browser_page,
                                                                         screenshot_dir):
    site, page = live_review_app, browser_page
    flagged, next_flagged = site.applications["email_typo"], site.applications["mobile_typo"]

    # Anyone arriving is sent to the login page; Chen signs in from the keyboard.
    page.goto(site.url)
    expect(page).to_have_url(re.compile(r"/login"))
    page.locator("input[name=username]").focus()
    page.keyboard.type(ADMIN[0])
    page.keyboard.press("Tab")
    page.keyboard.type(ADMIN[1])
    page.keyboard.press("Enter")
    expect(page).to_have_url(site.url)

    # The queue, narrowed to "needs review" with its filter form.
    filters = page.locator("form:has([name=needs_review])")
    needs_review = filters.locator("[name=needs_review]")
    if needs_review.evaluate("element => element.tagName") == "SELECT":
        needs_review.select_option("1")
    else:
        needs_review.check()
    if "needs_review=1" not in page.url:  # a filter form may also apply itself on change
        filters.locator("button:not([type=button]):not([type=reset]), input[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"needs_review=1"))
    rows = page.locator("tr[data-application-id]")
    expect(rows).to_have_count(2)
    # Newest first: the PDF with the mistyped e-mail, then the form with a digit missing from the mobile.
    assert rows.evaluate_all("rows => rows.map(r => Number(r.dataset.applicationId))") == [flagged.id,
                                                                                           next_flagged.id]
    expect(rows.first).to_contain_text(flagged.applicant.name)
    assert_no_personal_numbers_shown(page, site)
    wait_for_visible_images(page)
    page.screenshot(path=screenshot_dir / "1-queue-needs-review.png")

    # Open the first: the original beside the fields, and the mistyped e-mail marked and focused.
    rows.first.locator("a.open").click()
    expect(page).to_have_url(re.compile(rf"/applications/{flagged.id}(\?|$)"))
    email = page.locator("#field-email")
    expect(email).to_have_attribute("data-state", "review")
    expect(email.locator("input[name=value]")).to_be_focused()
    expect(page.locator("img[src*='/pages/']").first).to_be_visible()
    assert_no_personal_numbers_shown(page, site)
    assert mask_id_number(flagged.applicant.id_number) in page.content()  # shown masked: 440…********1234
    wait_for_visible_images(page)
    page.screenshot(path=screenshot_dir / "2-detail.png")
    page.screenshot(path=screenshot_dir / "2-detail-full-page.png", full_page=True)

    # Correct it from the keyboard: type over the focused field, Enter saves it.
    page.keyboard.press("Control+A")
    page.keyboard.type(flagged.applicant.email)
    page.keyboard.press("Enter")
    email = page.locator("#field-email")
    expect(email).to_have_attribute("data-state", re.compile(r"^(ok|confirmed)$"))
    expect(email.locator("input[name=value]")).to_have_value(flagged.applicant.email)
    expect(page.locator(".flash").first).to_contain_text("已保存")
    page.wait_for_load_state("load")  # the page's shortcuts are listening once its scripts have run

    # Ctrl+Enter approves it and opens the next application of the same filtered queue.
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(re.compile(rf"/applications/{next_flagged.id}(\?|$)"))
    expect(page.locator("main")).to_contain_text(next_flagged.applicant.name)
    expect(page.locator("#field-mobile")).to_have_attribute("data-state", "review")
    approved = site.application("email_typo")
    assert approved.status == ApplicationStatus.APPROVED
    assert approved.fields["email"] == flagged.applicant.email
    assert site.application("mobile_typo").status == ApplicationStatus.PENDING_REVIEW

    page.get_by_role("link", name="概览").click()
    expect(page).to_have_url(re.compile(r"/dashboard"))
    wait_for_visible_images(page)
    page.screenshot(path=screenshot_dir / "3-dashboard.png")
    page.screenshot(path=screenshot_dir / "3-dashboard-full-page.png", full_page=True)

    # The public roster, in both formats: the three public columns of the one approved expert.
    page.get_by_role("link", name="导出").click()
    expect(page).to_have_url(re.compile(r"/exports"))
    page.screenshot(path=screenshot_dir / "4-exports.png")
    expected = [ROSTER_HEADER, [approved.fields["name"], approved.fields["employer"], approved.fields["specialty"]]]
    assert expected[1][:2] == [flagged.applicant.name, flagged.applicant.employer]

    csv_file = download(page, "a[href*='/exports/roster.csv']")
    assert csv_file.suggested_filename.endswith(".csv")
    text = csv_file.path().read_bytes().decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text, newline=""))) == expected

    xlsx_file = download(page, "a[href*='/exports/roster.xlsx']")
    assert xlsx_file.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(xlsx_file.path().read_bytes()), read_only=True).active
    assert [[cell for cell in row] for row in sheet.iter_rows(values_only=True)] == expected

    assert page.dialogs == []  # nothing on the way asked the browser for an alert or a confirm


def wait_for_visible_images(page) -> None:
    """A screenshot shows what a person sees once the page images on screen have arrived."""
    page.wait_for_function("""() => Array.from(document.images)
        .filter(image => { const box = image.getBoundingClientRect();
                           return box.width > 0 && box.bottom > 0 && box.top < window.innerHeight; })
        .every(image => image.complete && image.naturalWidth > 0)""")


def download(page, selector: str):
    with page.expect_download() as event:
        page.locator(selector).first.click()
    return event.value


def assert_no_personal_numbers_shown(page, site) -> None:
    """ID numbers and mobiles appear masked, never whole, on a page anyone on the team can open."""
    html = page.content()
    for key, seeded in site.applications.items():
        stored = site.application(key).fields
        for number in {seeded.applicant.id_number, seeded.applicant.mobile, stored["id_number"], stored["mobile"]}:
            assert number not in html, (seeded.applicant.name, number)
