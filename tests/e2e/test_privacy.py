"""End to end in Chromium: a German viewer meets the consent banner in German, refuses
everything with one click (as easy as accepting), and is not asked again; the settings
page shows each purpose with the law behind it; a Californian browser that sends Global
Privacy Control sees sharing already off; the privacy officer's pages show the queue, the
consent statistics, the transfer register, a verified audit log that fits its frame, and the
records of processing as tables."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import console_page, screenshot_dir
from tests.e2e.test_live_room import _host_page

pytestmark = pytest.mark.e2e
DOCS = screenshot_dir()  # docs/screenshots only under `make screenshots`


def _room_id(browser, server) -> str:
    host = _host_page(browser, server)
    room_id = re.search(r"/rooms/(room_\w+)/host", host.url).group(1)
    host.context.close()
    return room_id


def test_the_banner_speaks_german_and_a_refusal_sticks(server, browser):
    room_id = _room_id(browser, server)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True, locale="de-DE")
    page = ctx.new_page()
    page.goto(f"{server}/live/{room_id}?lang=de&market=DE")
    banner = page.locator(".consent-banner")
    banner.wait_for()
    assert banner.get_attribute("lang") == "de"
    assert "16" in banner.inner_text()  # Germany's age of digital consent is asked
    accept = banner.get_by_role("button").nth(0)
    reject = banner.get_by_role("button").nth(1)
    assert accept.bounding_box()["width"] == pytest.approx(reject.bounding_box()["width"], 2)
    page.screenshot(path=str(DOCS / "consent-banner.png"))
    banner.get_by_role("checkbox").check()
    reject.click()
    banner.wait_for(state="detached")
    state = page.request.get(f"{server}/api/privacy/consent?market=DE").json()
    assert state["decided"] is True and state["declared_age"] == 16
    assert state["purposes"]["analytics"]["basis"] == "refused"
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator(".consent-banner").count() == 0

    page.goto(f"{server}/privacy?market=DE&lang=de")
    form = page.locator("#privacy-form")
    assert not form.locator("input[data-purpose=analytics]").is_checked()
    assert form.locator("input[data-purpose=necessary]").is_disabled()
    form.locator("input[data-purpose=analytics]").check()
    form.get_by_role("button").click()
    page.locator("#privacy-status.ok").wait_for()
    page.screenshot(path=str(DOCS / "privacy-settings.png"), full_page=True)
    state = page.request.get(f"{server}/api/privacy/consent?market=DE").json()
    assert state["purposes"]["analytics"]["allowed"] is True
    ctx.close()


def test_a_gpc_browser_in_california_finds_sharing_off(server, browser):
    ctx = browser.new_context(extra_http_headers={"Sec-GPC": "1"}, locale="en-US")
    page = ctx.new_page()
    page.goto(f"{server}/privacy?market=US&lang=en")
    assert page.locator(".notice").inner_text().startswith("Your browser sent a Global")
    assert not page.locator("input[data-purpose=sale_share]").is_checked()
    assert page.locator("input[data-purpose=analytics]").is_checked()  # opt-out regime
    ctx.close()


def test_a_seller_forwards_a_buyers_request_and_the_platform_answers_it(server, browser):
    seller = console_page(browser, server, "host@sonicwave.example")
    seller.get_by_role("link", name="Privacy").click()
    seller.wait_for_url(f"{server}/console/privacy/forward")
    seller.goto(f"{server}/console/privacy/requests")  # the office is not the seller's
    assert "run by the platform's privacy officers" in seller.locator("main").inner_text()
    seller.goto(f"{server}/console/privacy/forward")
    seller.get_by_label("The buyer's e-mail address or buyer id").fill("yui@kounyu.example")
    seller.get_by_label("What they ask for").select_option("erasure")
    seller.get_by_label("How they asked").select_option("chat")
    seller.get_by_label("What they wrote or said").fill("私のデータを削除してください")
    seller.get_by_role("button", name="Forward to the platform").click()
    notice = seller.get_by_role("status")
    assert "Forwarded as" in notice.inner_text()
    forwarded = notice.locator("code").inner_text()
    assert "open" in seller.get_by_role("row").filter(has_text=forwarded).inner_text()
    seller.screenshot(path=str(DOCS / "privacy-forward.png"), full_page=True)
    seller.context.close()

    office = console_page(browser, server, "privacy@platform.example")
    office.goto(f"{server}/console/privacy/requests")
    row = office.get_by_role("row").filter(has_text=forwarded)
    assert "私のデータを削除してください" in row.inner_text() and "seller" in row.inner_text()
    office.context.close()


def test_the_privacy_office_pages(server, browser):
    page = console_page(browser, server, "privacy@platform.example")
    page.get_by_role("link", name="Privacy").click()
    page.wait_for_url(f"{server}/console/privacy/requests")
    assert page.get_by_role("heading", name="Data-subject requests").is_visible()
    page.goto(f"{server}/console/privacy/transfers")
    assert page.get_by_role("heading", name="Transfers between regions").is_visible()
    page.goto(f"{server}/console/privacy/consent")
    assert "DE" in page.locator("table").inner_text()  # the refusal and grant above
    page.goto(f"{server}/console/privacy/audit")
    assert page.locator("p.ok").inner_text().startswith("Chain intact")
    # Long details wrap inside the table instead of pushing it past its frame.
    assert page.evaluate("""() => { const w = document.querySelector('main .table-wrap');
        return w.scrollWidth <= w.clientWidth; }""")
    page.screenshot(path=str(DOCS / "privacy-audit.png"), full_page=False)
    page.goto(f"{server}/console/privacy/requests")
    page.screenshot(path=str(DOCS / "privacy-office.png"), full_page=False)
    page.goto(f"{server}/console/privacy/records")
    activities = page.get_by_role("table", name=re.compile(r"^Processing activities"))
    assert "6(1)(b)" in activities.get_by_role("row").filter(has_text="customers").first\
        .inner_text()
    assert page.get_by_role("table", name=re.compile(r"^The data map")).is_visible()
    assert "|---|" not in page.locator("main").inner_text()  # not the Markdown source
    page.context.close()
