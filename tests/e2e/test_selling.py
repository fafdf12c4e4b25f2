"""In Chromium: the host starts the demo's drop, a buyer in Germany buys in two clicks
(Buy, Pay) with the hold countdown showing; the host starts the auction and a buyer in the
US bids; the order shows in the console, and the host's sales counters move within a
second or two of the payment. The host's drop and auction lines show each start
at once, without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from chuhai.web import i18n
from tests.e2e.conftest import screenshot_dir, viewer_sign_in
from tests.e2e.test_live_room import _host_page

pytestmark = pytest.mark.e2e
DOCS = screenshot_dir()  # docs/screenshots only under `make screenshots`
de = i18n.translations("de").gettext  # Lena's language


def _owner_console(browser, server):
    page = _host_page(browser, server, "owner@sonicwave.example")
    page.wait_for_function("() => window.chuhaiSellingReady === true")
    room_id = page.url.split("/console/rooms/")[1].split("/")[0]
    return page, room_id


def _buyer(browser, server, room_id, email, market, lang):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    page.goto(f"{server}/live/{room_id}?lang={lang}&market={market}")
    viewer_sign_in(page, email)  # the page reloads signed in
    page.wait_for_function("() => window.chuhaiSellingReady === true")
    return page


def test_buy_during_a_drop_and_bid_in_an_auction(server, browser):
    host, room_id = _owner_console(browser, server)
    host.locator("#room-sales").wait_for()  # the room's sales, read every second while live
    sold_before = int(host.locator("#orders-count").inner_text())
    # the host pins the headphones the drop sells
    host.locator("#run-of-show li, ol.plain li", has_text="ANC1").first.locator(
        "[data-pin]").click()
    host.get_by_label("Drop countdown (seconds)").fill("1")
    host.get_by_role("button", name="Start drop").click()
    host.locator("#offers li[data-drop]").wait_for()
    # The drop's own line says it is live at once, and its Start button is gone (no reload).
    line = host.locator("#selling ol li", has_text="Drop:")
    expect(line.locator("small")).to_have_text("live")
    expect(line.get_by_role("button")).to_have_count(0)

    lena = _buyer(browser, server, room_id, "lena@kaeufer.example", "DE", "de")
    buy = lena.locator("[data-drop] button")
    buy.wait_for()
    lena.wait_for_function(
        "() => { const b = document.querySelector('[data-drop] button');"
        f" return b && !b.disabled && b.textContent === '{de('Buy')}'; }}", timeout=30000)
    shown = lena.locator("[data-drop] .price").inner_text()
    assert "inkl. Versand, Zoll und Steuern" in lena.locator("[data-drop]").inner_text()
    buy.click()                                                    # click 1
    total = de("Total %(amount)s") % {"amount": shown}
    lena.locator("#co-summary").get_by_text(total).wait_for()
    # the drop said the price checkout asks: goods, delivery, duty and VAT (never more),
    # in the buyer's language
    assert lena.evaluate("document.documentElement.lang") == "de"
    assert de("Held for you: %(left)s").split("%")[0] in lena.locator("#co-hold").inner_text()
    assert "Leipzig" not in lena.locator("#co-summary").inner_text()
    lena.locator("#co-name").fill("Lena Becker")
    lena.locator("#co-street").fill("Karl-Liebknecht-Str. 1")
    lena.locator("#co-city").fill("Leipzig")
    lena.locator("#co-postal_code").fill("04107")
    lena.screenshot(path=str(DOCS / "drop-checkout.png"))
    lena.locator("#co-pay").click()                                # click 2
    paid = de("Paid — order %(order)s").split("%")[0]
    lena.locator("#toast", has_text=re.compile(re.escape(paid) + "ord_")).wait_for()
    # The room hears the new stock from the server's ticker (at most twice a second).
    left = de("%(left)s of %(total)s left") % {"left": "5", "total": "6"}
    lena.locator("[data-drop] [data-remaining]", has_text=left).wait_for(timeout=5000)
    # the host's counters move within a second or two of the payment, per SKU with the
    # stock left in each warehouse
    expect(host.locator("#orders-count")).to_have_text(str(sold_before + 1), timeout=5000)
    anc = host.locator("#sku-sales tr", has_text="SW-ANC1").first
    expect(anc).to_contain_text("DE-1")
    assert host.locator("#gmv").inner_text() not in ("", "—")
    # a unit a minute against 5 left before the planned end: the console warns, with the
    # host's options
    alert = host.locator("#sellout li", has_text="SW-ANC1").first
    alert.wait_for(timeout=15000)
    assert "DE-1" in alert.inner_text() and "likely before the planned end" in \
        alert.inner_text()
    expect(alert.get_by_role("button", name="Pause the pin")).to_be_visible()

    host.get_by_role("button", name="Start auction").click()
    host.locator("#offers li[data-auction]").wait_for()
    line = host.locator("#selling ol li", has_text="Auction:")
    expect(line.locator("small")).to_have_text("live")
    expect(line.get_by_role("button")).to_have_count(0)
    jamie = _buyer(browser, server, room_id, "jamie@buyer.example", "US", "en")
    bid = jamie.get_by_role("button", name=re.compile(r"^Bid "))
    bid.wait_for()
    bid.click()
    jamie.get_by_text("You lead!").wait_for()
    host.locator("#offers li[data-auction]").get_by_text(re.compile("1 bids")).wait_for()
    jamie.screenshot(path=str(DOCS / "auction-viewer.png"))
    host.screenshot(path=str(DOCS / "selling-host.png"), full_page=True)

    host.goto(f"{server}/console/orders")
    row = host.locator("tbody tr").filter(has=host.locator(".badge", has_text="paid"))
    row.first.wait_for(timeout=5000)
    host.screenshot(path=str(DOCS / "orders.png"))
    row.first.get_by_role("link").click()
    host.get_by_text("Lena Becker").wait_for()
    host.get_by_label("New status").select_option("allocated")
    host.get_by_role("button", name="Apply").click()
    host.locator(".badge", has_text="allocated").first.wait_for()
