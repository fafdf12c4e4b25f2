"""The catalog's console pages: the product list and form (create, edit, delete), served
by chuhai.catalog.pages. Prices are typed the way the console shows them for the listing's
market, ambiguous ones are refused with words that say how to write them, a missing
weight is explained, and a new product's listing rows start empty."""

from __future__ import annotations

import re

import httpx

from chuhai.catalog import pages as catalog_pages
from chuhai.web import pages as web_pages
from tests.factories import create_product, make_tenant
from tests.web.test_pages import _field, sign_in


async def _signed_in_csrf(client: httpx.AsyncClient, stores, settings) -> str:
    tenant = await make_tenant(stores, settings)
    await sign_in(client, tenant.email)
    return _field((await client.get("/console/products/new")).text, "csrf_token")


def _product(csrf: str, code: str, **over: str) -> dict[str, str]:
    form = {"csrf_token": csrf, "code": code, "title": "Form speaker", "hs_code": "851822",
            "origin_country": "CN", "weight_g": "540", "customs_value": "21.00",
            "customs_currency": "USD"}
    form.update(over)
    return form


def _error(html: str, field: str) -> str:
    m = re.search(rf'<p class="error" id="{field}-err">([^<]*)</p>', html)
    assert m, f"no error shown for {field}"
    return m.group(1)


def test_the_catalog_pages_belong_to_the_catalog_package():
    ours = {(r.path, m) for r in catalog_pages.router.routes for m in r.methods}
    assert {("/console/products", "GET"), ("/console/products/new", "GET"),
            ("/console/products/new", "POST"), ("/console/products/import", "POST"),
            ("/console/products/{product_id}", "POST"),
            ("/console/products/{product_id}/delete", "POST")} <= ours
    # web/ is the HTTP edge only: sign-in, sign-out, the console home and shared helpers.
    assert not [r.path for r in web_pages.router.routes
                if r.path.startswith("/console/products")]


async def test_create_a_product_through_the_form(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    await sign_in(app_client, tenant.email)
    csrf = _field((await app_client.get("/console/products/new")).text, "csrf_token")
    form = {"csrf_token": csrf, "code": "FORM-1", "title": "Form speaker", "hs_code": "851822",
            "origin_country": "CN", "weight_g": "540", "customs_value": "21.00",
            "customs_currency": "USD", "certifications": "CE; FCC",
            "skus": "FORM-1-RED; color=red\nFORM-1-BLU; color=blue",
            "listing_0_market": "DE", "listing_0_title": "Lautsprecher",
            "listing_0_price": "54.99", "listing_0_visible": "on"}
    resp = await app_client.post("/console/products/new", data=form)
    assert resp.status_code == 303, resp.text
    listing = await app_client.get(resp.headers["location"])
    assert "Form speaker" in listing.text and "54,99" in listing.text


async def test_form_errors_are_shown_next_to_fields(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    await sign_in(app_client, tenant.email)
    csrf = _field((await app_client.get("/console/products/new")).text, "csrf_token")
    resp = await app_client.post("/console/products/new", data={
        "csrf_token": csrf, "code": "BAD-1", "title": "x", "hs_code": "77", "origin_country":
        "CN", "weight_g": "1", "customs_value": "1", "customs_currency": "USD",
        "listing_0_market": "JP", "listing_0_title": "x", "listing_0_price": "1.5"})
    assert resp.status_code == 422
    assert 'id="hs_code-err"' in resp.text and 'id="listing_0_price-err"' in resp.text


async def test_forms_without_csrf_change_nothing(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    await sign_in(app_client, tenant.email)
    resp = await app_client.post("/console/products/new", data={"code": "NOCSRF"})
    assert resp.status_code == 403
    assert (await app_client.get("/api/products")).json()["total"] == 0


async def test_hostile_titles_are_escaped(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    await create_product(app_client, tenant, code="XSS-1", title="<script>alert(1)</script>")
    await sign_in(app_client, tenant.email)
    page = await app_client.get("/console/products")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_edit_and_delete_through_the_console(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    product = await create_product(app_client, tenant, code="ED-1")
    await sign_in(app_client, tenant.email)
    page = await app_client.get(f"/console/products/{product['id']}")
    csrf = _field(page.text, "csrf_token")
    form = {k: v for k, v in re.findall(r'name="([a-z_0-9]+)" type="[a-z]+" value="([^"]*)"',
                                         page.text)}
    form.update(dict(re.findall(r'<option value="([A-Z]{2})" selected', page.text) and
                     [(f"listing_{i}_market", m) for i, m in enumerate(
                         re.findall(r'<option value="([A-Z]{2})" selected', page.text))]))
    form.update({"csrf_token": csrf, "title": "Edited title", "listing_0_visible": "on",
                 "listing_1_visible": "on"})
    resp = await app_client.post(f"/console/products/{product['id']}", data=form)
    assert resp.status_code == 303, resp.text
    assert (await app_client.get(f"/api/products/{product['id']}")).json()["title"] == \
        "Edited title"
    resp = await app_client.post(f"/console/products/{product['id']}/delete",
                                 data={"csrf_token": csrf})
    assert resp.status_code == 303
    assert (await app_client.get("/api/products")).json()["total"] == 0


async def test_a_new_product_starts_with_empty_listing_rows(app_client, stores, settings):
    await _signed_in_csrf(app_client, stores, settings)
    page = (await app_client.get("/console/products/new")).text
    assert page.count('role="group" aria-label="Listing') == 4
    assert re.findall(r'<option value="[A-Z]{2}" selected', page) == []
    # …and a row the seller fills in is visible unless they untick it
    assert len(re.findall(r'name="listing_\d+_visible" checked', page)) == 4


async def test_a_german_price_is_read_the_way_the_console_writes_it(app_client, stores,
                                                                   settings):
    csrf = await _signed_in_csrf(app_client, stores, settings)
    resp = await app_client.post("/console/products/new", data=_product(
        csrf, "DE-COMMA", listing_0_market="DE", listing_0_title="Lautsprecher",
        listing_0_price="19,99", listing_0_visible="on"))
    assert resp.status_code == 303, resp.text
    listed = (await app_client.get("/api/products", params={"q": "DE-COMMA"})).json()
    assert listed["items"][0]["listings"][0]["price"] == "19.99"
    page = await app_client.get(resp.headers["location"])
    assert "DE 19,99\xa0€" in page.text
    edit = await app_client.get(f"/console/products/{listed['items'][0]['id']}")
    shown = re.search(r'name="listing_0_price" type="text" value="([^"]*)"', edit.text)
    assert shown and shown.group(1) == "19,99"  # shown the German way, and read back so


async def test_an_ambiguous_price_is_refused_with_a_message_that_says_what_to_write(
        app_client, stores, settings):
    csrf = await _signed_in_csrf(app_client, stores, settings)
    resp = await app_client.post("/console/products/new", data=_product(
        csrf, "DE-AMBIG", listing_0_market="DE", listing_0_title="Lautsprecher",
        listing_0_price="1.234"))
    assert resp.status_code == 422
    message = _error(resp.text, "listing_0_price")
    assert "ambiguous" in message and "1234" in message and "1,234" in message
    assert (await app_client.get("/api/products")).json()["total"] == 0


async def test_a_price_error_is_shown_on_the_row_it_came_from(app_client, stores, settings):
    csrf = await _signed_in_csrf(app_client, stores, settings)
    resp = await app_client.post("/console/products/new", data=_product(
        csrf, "ROW-2", listing_1_market="JP", listing_1_title="x", listing_1_price="1.5"))
    assert resp.status_code == 422
    assert 'id="listing_1_price-err"' in resp.text
    assert 'id="listing_0_price-err"' not in resp.text


async def test_a_missing_weight_is_explained_in_words(app_client, stores, settings):
    csrf = await _signed_in_csrf(app_client, stores, settings)
    page = (await app_client.get("/console/products/new")).text
    assert re.search(r'id="weight_g-hint">Required', page)
    resp = await app_client.post("/console/products/new",
                                 data=_product(csrf, "NO-WEIGHT", weight_g=""))
    assert resp.status_code == 422
    message = _error(resp.text, "weight_g")
    assert message.startswith("Weight is required") and "grams" in message
    assert "valid integer" not in message and "Field required" not in message
