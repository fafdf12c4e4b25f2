"""End to end in Chromium: sign in, create a product with listings (the rows start empty; a
German price is typed the German way), find it in the list — at desktop and at phone width,
keyboard only for the sign-in; a missing weight is explained in words; the favicon is
served."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, EMAIL, PASSWORD

pytestmark = pytest.mark.e2e


def _sign_in(page, server: str) -> None:
    page.goto(f"{server}/console")
    assert "/login" in page.url
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")  # keyboard submits the form
    page.wait_for_url(f"{server}/console")


def test_sign_in_create_a_product_and_see_it_listed(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    _sign_in(page, server)
    page.get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_role("link", name="New product").click()
    page.get_by_label("Product code").fill("E2E-ANC")
    page.get_by_label("Title (source language)").fill("E2E noise-cancelling headphones")
    page.get_by_label("HS code").fill("8518.30")
    page.get_by_label("Weight (g)").fill("285")
    page.get_by_label("Customs value per unit").fill("32.00")
    page.get_by_label("Certifications").fill("CE; FCC")
    listing = page.get_by_role("group", name="Listing 1")
    assert listing.get_by_label("Market").input_value() == ""  # no market is assumed
    listing.get_by_label("Market").select_option("US")
    listing.get_by_label("Title").fill("Noise-cancelling headphones")
    listing.get_by_label("Price").fill("89.00")
    second = page.get_by_role("group", name="Listing 2")
    second.get_by_label("Market").select_option("DE")
    second.get_by_label("Title").fill("Kopfhörer mit Geräuschunterdrückung")
    second.get_by_label("Price").fill("84,99")  # as the console writes euros for Germany
    second.get_by_label("Visible").check()
    page.get_by_role("button", name="Create product").click()
    page.wait_for_url("**/console/products?q=E2E-ANC")
    row = page.get_by_role("row", name="E2E noise-cancelling headphones")
    assert row.is_visible()
    assert "US $89.00" in row.inner_text() and "DE 84,99" in row.inner_text()
    page.goto(f"{server}/console/products")
    assert page.get_by_text("14 products").is_visible()  # 13 demo products + this one
    page.screenshot(path=str(ARTIFACTS / "console-catalog.png"), full_page=True)
    page.goto(f"{server}/console")
    page.screenshot(path=str(ARTIFACTS / "console-home.png"), full_page=True)
    assert page.locator('link[rel="icon"]').get_attribute("href") == "/static/favicon.svg"
    icon = page.request.get(f"{server}/favicon.ico")  # what browsers ask for anyway
    assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml")
    context.close()


def test_form_errors_are_announced_next_to_the_field(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, server)
    page.goto(f"{server}/console/products/new")
    page.get_by_label("Product code").fill("E2E-BAD")
    page.get_by_label("Title (source language)").fill("Bad")
    page.get_by_label("HS code").fill("77")
    page.get_by_label("Weight (g)").fill("1")
    page.get_by_label("Customs value per unit").fill("1")
    page.get_by_role("button", name="Create product").click()
    alert = page.get_by_role("alert")
    assert "fix" in alert.inner_text()
    assert page.get_by_label("HS code").get_attribute("aria-invalid") == "true"
    # A missing weight is explained in words, tied to the field for screen readers.
    page.get_by_label("HS code").fill("8518.30")
    page.get_by_label("Weight (g)").fill("")
    page.get_by_role("button", name="Create product").click()
    weight = page.get_by_label("Weight (g)")
    assert weight.get_attribute("aria-invalid") == "true"
    message = page.locator(f"#{weight.get_attribute('aria-describedby')}").inner_text()
    assert message.startswith("Weight is required") and "grams" in message
    page.screenshot(path=str(ARTIFACTS / "console-product-errors.png"), full_page=True)
    context.close()


def test_the_console_works_at_phone_width(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    _sign_in(page, server)
    page.goto(f"{server}/console/products")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways at phone width ({width}px)"
    assert page.get_by_role("link", name="New product").is_visible()
    page.screenshot(path=str(ARTIFACTS / "console-phone.png"), full_page=True)
    context.close()
