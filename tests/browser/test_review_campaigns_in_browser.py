"""The province's reader in real headless Chromium at 1366×768: two cities, one switcher.

The provincial account opens the queue in Zhanjiang (the first campaign), switches to Maoming in
the header, reads a Maoming application without being offered anything to decide, and an admin of
both cities sees the same header with their role. Screenshots are kept for a person to check that
the switcher is in Chinese and nothing in the header is cut off.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.fixtures.review_app import MAOMING, PROVINCE_PASSWORD, TITLES, ZHANJIANG

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def sign_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PROVINCE_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(url)


def assert_header_fits(page) -> None:
    """Nothing in the header runs past the window or wraps onto a second line."""
    overflow = page.evaluate("""() => {
        const bar = document.querySelector('.topbar');
        const outside = [...bar.querySelectorAll('a, select, button, span')]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth)
            .map((e) => e.textContent.trim());
        return {scroll: bar.scrollWidth - bar.clientWidth, height: bar.getBoundingClientRect().height, outside};
    }""")
    assert overflow["scroll"] <= 0 and not overflow["outside"], overflow
    assert overflow["height"] < 60, overflow  # one line


def test_a_provincial_reader_switches_city_and_reads_without_deciding(make_province_app, browser_page,
                                                                      screenshot_dir):
    site, page = make_province_app(live=True), browser_page
    zhanjiang, maoming = site.cities[ZHANJIANG], site.cities[MAOMING]
    sign_in(page, site.url, "province")

    switcher = page.locator("form[data-campaign-switch]")
    expect(switcher.locator("select option:checked")).to_have_text(TITLES[ZHANJIANG])
    expect(switcher).to_contain_text("当前活动")
    expect(page.locator(".who")).to_contain_text("省级 · 只读")
    expect(page.locator("tr[data-application-id]")).to_have_count(2)
    expect(page.locator("table.queue")).to_contain_text(zhanjiang.references[0])
    expect(page.locator("[data-read-only]")).to_be_visible()
    assert_header_fits(page)
    page.screenshot(path=screenshot_dir / "1-province-queue-zhanjiang.png")

    switcher.locator("select").select_option(label=TITLES[MAOMING])
    switcher.get_by_role("button", name="切换").click()
    expect(page.locator("table.queue")).to_contain_text(maoming.references[0])
    expect(page.locator("table.queue")).not_to_contain_text(zhanjiang.references[0])
    expect(page).to_have_title(re.compile(TITLES[MAOMING]))
    assert_header_fits(page)
    page.screenshot(path=screenshot_dir / "2-province-queue-maoming.png")

    page.locator("table.queue a.open").first.click()
    expect(page.locator("[data-read-only]")).to_contain_text("只读")
    expect(page.locator("form.field").first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("通过"))).to_have_count(0)
    expect(page.get_by_role("button", name="保存")).to_have_count(0)
    page.screenshot(path=screenshot_dir / "3-province-detail-read-only.png")

    page.goto(site.url + "exports")
    expect(page.locator("[data-province-report]")).to_contain_text("全省专家信息表")
    page.screenshot(path=screenshot_dir / "4-province-exports.png")


def test_an_admin_of_both_cities_sees_the_switcher_and_their_role(make_province_app, browser_page, screenshot_dir):
    site, page = make_province_app(live=True), browser_page
    sign_in(page, site.url, "both-admin")
    expect(page.locator(".who")).to_contain_text("both-admin（管理员）")
    expect(page.locator("form[data-campaign-switch] option")).to_have_text([TITLES[ZHANJIANG], TITLES[MAOMING]])
    expect(page.locator("#bulk-form")).to_be_visible()
    page.goto(site.url + "dashboard")
    assert_header_fits(page)
    page.screenshot(path=screenshot_dir / "1-both-admin-dashboard.png")
