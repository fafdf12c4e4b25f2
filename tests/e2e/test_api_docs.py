"""/docs in Chromium with every outside address blocked: Swagger UI renders the operations
from the vendored bundle, under the page's CSP, and "Try it out" reaches the API."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import ARTIFACTS, expand_api_docs

pytestmark = pytest.mark.e2e


def test_swagger_ui_renders_offline_under_a_strict_csp(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def only_this_machine(route, request):
        if urlsplit(request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:  # as if there were no internet
            outside.append(request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_this_machine)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{server}/docs")
    page.locator(".information-container .title").wait_for()
    assert "chuhai" in page.locator(".information-container .title").inner_text()
    assert page.locator(".opblock-tag").count() >= 15  # every tag, closed
    assert page.locator(".opblock-tag[data-tag='accounts']").is_visible()
    assert expand_api_docs(page) > 50
    products = page.locator('.opblock-get .opblock-summary-path[data-path="/api/products"]')
    products.first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))

    # "Try it out" on a public operation: the call goes to this server (connect-src 'self').
    markets = page.locator("#operations-markets-list_markets_api_markets_get")
    markets.locator(".opblock-summary").click()
    markets.get_by_role("button", name="Try it out").click()
    markets.get_by_role("button", name="Execute").click()
    status = markets.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert "DE" in markets.locator(".live-responses-table .microlight").first.inner_text()
    assert outside == [], outside
    assert problems == [], problems  # CSP violations are console errors
    context.close()
