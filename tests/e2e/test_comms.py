"""End to end in Chromium: a German viewer reads the host's English line in German (marked
as translated, the original one click away); a host sees the screening finding and its
rewrite on their own line; a viewer's blocked line is not sent and the viewer is told why;
the script check page reports a run-of-show per market with the presentation advice."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from chuhai.web import i18n
from tests.e2e.conftest import console_page, screenshot_dir
from tests.e2e.test_live_room import _host_page, _viewer_page

pytestmark = pytest.mark.e2e
DOCS = screenshot_dir()  # docs/screenshots only under `make screenshots`


def test_translation_and_screening_in_the_live_room(server, browser):
    host = _host_page(browser, server)
    room_id = re.search(r"/rooms/(room_\w+)/host", host.url).group(1)
    viewer = _viewer_page(browser, server, room_id)

    host.get_by_placeholder("Say something as host").fill("Thanks for watching!")
    host.get_by_role("button", name="Send").click()
    translated = viewer.locator("#chat li").filter(has_text="Danke fürs Zuschauen!").filter(
        has=viewer.locator("button.orig")).last
    translated.wait_for(timeout=10000)
    line = viewer.locator(f'#chat li[data-seq="{translated.get_attribute("data-seq")}"]')
    line.locator("button.orig").click()
    expect(line.locator(".text")).to_have_text("Thanks for watching!")
    line.locator("button.orig").click()
    expect(line.locator(".text")).to_have_text("Danke fürs Zuschauen!")

    host.get_by_placeholder("Say something as host").fill(
        "Only 3 left, the number one brand in America!")
    host.get_by_role("button", name="Send").click()
    finding = host.locator("#screening .finding").first
    finding.wait_for()
    assert "urgency" in finding.inner_text() and "→" in finding.inner_text()

    viewer.locator("#text").fill("Sieg Heil")
    viewer.locator("#send").click()
    viewer.locator("#toast", has_text=i18n.translations("de").gettext(
        "Not sent: the message breaks the rules of this room.")).wait_for()
    host.wait_for_timeout(500)
    assert "Sieg Heil" not in host.locator("#chat").inner_text()

    viewer.screenshot(path=str(DOCS / "live-viewer-translated.png"))
    host.screenshot(path=str(DOCS / "host-screening.png"))
    host.context.close()
    viewer.context.close()


def test_the_script_check_reports_each_market(server, browser):
    page = console_page(browser, server, "host@sonicwave.example")
    page.get_by_role("link", name="Script check").click()
    page.get_by_label(re.compile("^Script")).fill(
        "# opening\nHello everyone, welcome to the live room!\n"
        "These earbuds are the number one brand in America.\n"
        "Was $99, now only $49 - only 3 left!\n"
        "全网最低价，国家级品质\n")
    for market in ("DE", "JP"):
        page.get_by_label(market, exact=True).check()
    page.get_by_label("CN", exact=True).check()
    page.get_by_role("button", name="Check script").click()
    page.locator("#report-h").wait_for()
    assert "4 lines checked" in page.locator("#totals").inner_text()
    rows = page.locator("table.report tbody tr")
    assert rows.count() == 4
    assert "clean" in rows.nth(0).inner_text()
    assert "CN" in rows.nth(3).inner_text() and "block" in rows.nth(3).inner_text()
    assert page.locator(".advice details").count() >= 3
    page.screenshot(path=str(DOCS / "script-check.png"), full_page=True)
    page.context.close()


def test_the_glossary_page_adds_terms_and_memory(server, browser):
    page = console_page(browser, server)
    page.get_by_role("link", name="Glossary").click()
    assert "SonicWave" in page.get_by_text("Brands in your catalog").inner_text()
    page.get_by_role("textbox", name="Term", exact=True).fill("ANC1")
    page.get_by_role("button", name="Add term").click()
    page.get_by_role("cell", name="ANC1", exact=True).wait_for()
    page.get_by_role("textbox", name="Term", exact=True).fill("ANC1")
    page.get_by_role("button", name="Add term").click()
    page.get_by_role("alert").get_by_text("already in the glossary").wait_for()
    page.get_by_role("textbox", name="Line", exact=True).fill("The ANC1 is back in stock")
    page.get_by_role("textbox", name="Translation", exact=True).fill("Der ANC1 ist wieder da")
    page.get_by_role("button", name="Add to memory").click()
    page.get_by_text("Der ANC1 ist wieder da").wait_for()
    page.screenshot(path=str(DOCS / "glossary.png"), full_page=True)
    page.get_by_role("button", name="Delete ANC1").click()
    page.get_by_text("No terms yet.").wait_for()
    page.context.close()
