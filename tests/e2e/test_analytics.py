"""The seller's analytics page in Chromium: the demo's eight weeks of orders drawn per week
and channel group (interest, search, direct) with Apache ECharts, the note on the exchange
rate, the attribution settings, the running interest holdout with its lift report, and the
shop's funnel from the hourly rollup with its CSV, the trust figures per host with theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import console_page, screenshot_dir

pytestmark = pytest.mark.e2e


def test_the_seller_sees_orders_by_channel_and_the_holdouts_lift(server, browser) -> None:
    page = console_page(browser, server, address="203.0.113.80")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/console/analytics")
    page.locator("#chart canvas").first.wait_for()
    summary = page.locator("#chart-summary")
    summary.filter(has_text="paid orders").wait_for()
    assert "credited to interest" in summary.inner_text()
    assert "ECB reference rate" in page.locator("#fx-note").inner_text()
    assert page.locator("#groups tbody tr").count() == 3
    # the demo's holdout: running, with exposed and held-out buyers compared
    exp = page.locator("#experiments li.card").first
    exp.locator("table.lift").wait_for()
    assert "running" in exp.inner_text() and "Held out" in exp.inner_text()
    assert "delta method" in exp.inner_text()
    assert page.locator("#click_days").input_value() == "7"
    # the funnel, from the hourly rollup of the demo's history: six steps, paid orders
    page.locator("#funnel-table tbody tr").nth(5).wait_for()
    paid = page.locator("#funnel-table tbody tr").nth(5).locator("td").first.inner_text()
    assert int(paid.replace(",", "")) >= 300
    assert "average order" in page.locator("#funnel-summary").inner_text()
    with page.expect_download() as got:
        page.locator("[data-csv=funnel-table]").click()
    csv = Path(got.value.path()).read_text(encoding="utf-8")
    assert csv.startswith('"Step","Count"') and '"Paid"' in csv
    # the trust figures: each with the cases behind it and its definition; per host; CSV
    on_time = page.locator("#trust-table tr[data-figure=on_time]")
    on_time.wait_for()
    assert "%" in on_time.inner_text() and "n=" in on_time.inner_text()
    assert "promised" in on_time.inner_text()  # the definition is on the page
    assert page.locator("#trust-table tbody tr").count() == 7
    page.locator("#trust-host").select_option(index=1)  # the demo's host
    page.locator("#trust-form button[type=submit]").click()
    page.wait_for_timeout(300)
    assert "n=" in page.locator("#trust-table tr[data-figure=answer_rate]").inner_text()
    with page.expect_download() as got:
        page.locator("[data-csv=trust-table]").click()
    assert '"Delivered by the promised date"' in Path(got.value.path()).read_text("utf-8")
    # demand: the black ANC1 in Germany, its forecast drawn, and Leipzig told to reorder
    anc = page.locator("#demand-sku option", has_text="SW-ANC1-BLK").get_attribute("value")
    page.locator("#demand-sku").select_option(anc)
    page.locator("#demand-market").select_option("DE")
    page.locator("#demand-form button[type=submit]").click()
    leipzig = page.locator("#reorder-table tr[data-warehouse='DE-1']")
    leipzig.wait_for()
    page.locator("#demand-chart canvas").first.wait_for()
    assert int(leipzig.locator("td").last.inner_text().replace(",", "")) > 0
    assert "42" in leipzig.inner_text()  # its restock lead time, in days
    assert "expected over the next 56 days" in page.locator("#demand-summary").inner_text()
    # California has no lead time of its own: the sourced sea lane from Shenzhen, named
    page.locator("#demand-market").select_option("US")
    page.locator("#demand-form button[type=submit]").click()
    california = page.locator("#reorder-table tr[data-warehouse='US-W']")
    california.wait_for()
    assert "the sea lane from CN" in california.inner_text()
    assert "until you set your own" in california.inner_text()
    page.locator("#reorder-table").screenshot(
        path=str(screenshot_dir() / "console-reorder-lane.png"))
    # the finished launch stream's funnel, with its audience
    page.locator("#funnel-scope").select_option("host")
    page.locator("#funnel-id").fill(page.locator("#trust-host").input_value())
    page.locator("#funnel-form button[type=submit]").click()
    page.locator("#funnel-summary").filter(has_text="GMV").wait_for()
    # another credit model and GMV instead of orders redraw the same chart
    page.locator("#model").select_option("position")
    page.locator("#measure").select_option("gmv")
    page.locator("#channels-form button[type=submit]").click()
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot_dir() / "console-analytics.png"), full_page=True)
    assert errors == []
