"""In Chromium at a 1440 px wide desktop: the host console's title is plain text, the stock
table fits inside its card, and the poll form is cleared once a poll is launched."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_live_room import _host_page

pytestmark = pytest.mark.e2e


def test_the_host_console_at_desktop_width(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    host = _host_page(browser, server, "owner@sonicwave.example")
    host.set_viewport_size({"width": 1440, "height": 900})

    title = host.title()
    assert title.startswith("Host · ") and title.endswith(" · chuhai 出海")
    assert "<" not in title and "script" not in title

    rows = host.locator("#selling table tbody tr")
    assert rows.count() > 0
    fit = host.evaluate("""() => {
        const table = document.querySelector('#selling table'), card = table.closest('.card');
        const inner = card.getBoundingClientRect().right
            - parseFloat(getComputedStyle(card).paddingRight);
        return {table: table.getBoundingClientRect().right, inner,
                overflow: card.scrollWidth - card.clientWidth};
    }""")
    assert fit["table"] <= fit["inner"] + 0.5 and fit["overflow"] <= 0, fit

    host.get_by_label("Question", exact=True).fill("Which colour next?")
    host.get_by_label("Options (one per line, 2–10)").fill("Black\nWhite")
    host.get_by_role("button", name="Launch poll").click()
    host.locator("#poll-tally").get_by_text("Which colour next?").wait_for()
    assert host.get_by_label("Question", exact=True).input_value() == ""
    assert host.get_by_label("Options (one per line, 2–10)").input_value() == ""
    host.screenshot(path=str(ARTIFACTS / "host-1440.png"), full_page=True)
    host.get_by_role("button", name="Close poll").click()  # leave the demo room as found
    host.locator("#poll-tally").get_by_text("(closed)").wait_for()
    host.context.close()
