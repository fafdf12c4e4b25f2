"""In Chromium, as a buyer abroad with only the browser's language set: the storefront's
search box finds a product by a word inside a German compound typed without umlauts, by
two Japanese characters, by an Arabic word — in German, Japanese and Arabic (right to
left) — and the result opens the product page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot_dir
from tests.e2e.test_buyer_path import _speaks

pytestmark = pytest.mark.e2e
DOCS = screenshot_dir()

CASES = [  # browser locale, language, query, a word of the expected first result
    ("de-DE", "de", "verstarker", "Kopfhörerverstärker"),
    ("ja-JP", "ja", "充電", "充電器"),
    ("ar-SA", "ar", "مكبر صوت", "مكبر صوت"),
]


@pytest.mark.parametrize(("locale", "lang", "query", "expected"), CASES)
def test_a_buyer_searches_the_shop_in_their_language(server, browser, locale, lang, query,
                                                     expected):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True, locale=locale)
    page = ctx.new_page()
    page.goto(f"{server}/shop/sonicwave")
    page.locator("#q").fill(query)
    page.locator("#search button[type=submit]").click()
    page.locator("#results .result").first.wait_for()
    _speaks(page, lang)
    first = page.locator("#results .result").first
    assert expected in first.locator(".ptitle").inner_text()
    assert first.locator(".matched").inner_text()  # what matched, said
    page.screenshot(path=str(DOCS / f"search-{lang}.png"))
    first.locator("a").click()
    page.locator("#add-to-cart").wait_for()
    _speaks(page, lang)
    ctx.close()
