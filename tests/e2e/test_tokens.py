"""The API tokens page in Chromium: from the console's navigation, create a token, see the
secret once, call the API with it, revoke it."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, console_page

pytestmark = pytest.mark.e2e


def test_create_use_and_revoke_a_token(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = console_page(browser, server)
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_url(f"{server}/console/tokens")
    page.get_by_label("Token name").fill("E2E warehouse sync")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_label("Token", exact=True).input_value()
    assert secret.startswith("chh_")
    assert page.get_by_text("shown only this once").is_visible()
    page.screenshot(path=str(ARTIFACTS / "console-tokens-created.png"), full_page=True)

    bearer = {"Authorization": f"Bearer {secret}"}
    me = httpx.get(f"{server}/api/me", headers=bearer)
    assert me.status_code == 200 and me.json()["role"] == "owner"

    page.goto(f"{server}/console/tokens")
    assert secret not in page.content()
    row = page.get_by_role("row", name="E2E warehouse sync")
    assert secret[:10] in row.inner_text() and "UTC" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "console-tokens.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing sticks out
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "console-tokens-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    row.get_by_role("button", name="Revoke E2E warehouse sync").click()
    page.wait_for_url(f"{server}/console/tokens?done=revoked")
    assert page.get_by_role("status").inner_text() == "Token revoked."
    assert page.get_by_role("row", name="E2E warehouse sync").count() == 0
    page.screenshot(path=str(ARTIFACTS / "console-tokens-revoked.png"), full_page=True)
    assert httpx.get(f"{server}/api/me", headers=bearer).status_code == 401
    page.context.close()
