"""What a buyer abroad sees of a seller's record, in Chromium: on the storefront, in German
and in Arabic (right to left), the share of parcels that arrived by the promised date, of
questions answered in live rooms and how fast, and of orders whose duties were as quoted —
each from the demo's history, each in the page's language and number format."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot_dir

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("locale,market,words", [
    ("de-DE", "DE", ("der Bestellungen kamen bis zum zugesagten Datum an",
                     "der Fragen in Livestreams", "Zölle und Steuern")),
    ("ar-SA", "SA", ("من الطلبات في الموعد الموعود", "من الأسئلة في البث المباشر",
                     "الرسوم الجمركية والضرائب")),
])
def test_a_buyer_sees_the_sellers_record_in_their_language(server, browser, locale, market,
                                                           words) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/shop/sonicwave?market={market}")
    record = page.locator("#trust")
    record.wait_for()
    text = record.inner_text()
    for w in words:
        assert w in text, (w, text)
    assert record.locator("li").count() == 3
    # the cases behind each figure, on hover
    assert record.locator("li[data-figure=on_time]").get_attribute("title")
    page.screenshot(path=str(screenshot_dir() / f"storefront-trust-{locale}.png"),
                    full_page=False)
    assert errors == []
    ctx.close()
