"""Console pages: sign-in with CSRF, the catalog list and form, escaping of hostile text."""

from __future__ import annotations

import re

import httpx

from tests.factories import PASSWORD, create_product, make_tenant


def _field(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert m, f"no {name} in page"
    return m.group(1)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD
                  ) -> httpx.Response:
    page = await client.get("/login")
    return await client.post("/login", data={
        "email": email, "password": password, "login_csrf": _field(page.text, "login_csrf"),
        "next": "/console"})


async def test_sign_in_opens_the_console(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    resp = await sign_in(app_client, tenant.email)
    assert resp.status_code == 303 and resp.headers["location"] == "/console"
    home = await app_client.get("/console")
    assert home.status_code == 200 and "Welcome" in home.text


async def test_wrong_password_and_missing_login_csrf_are_refused(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    resp = await sign_in(app_client, tenant.email, "not-the-password")
    assert resp.status_code == 401 and "wrong" in resp.text
    resp = await app_client.post("/login", data={"email": tenant.email, "password": PASSWORD,
                                                 "login_csrf": "forged"})
    assert resp.status_code == 403


async def test_console_pages_redirect_to_sign_in(app_client):
    resp = await app_client.get("/console/products")
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=")


async def test_open_redirects_are_refused(app_client):
    page = await app_client.get("/login", params={"next": "//evil.example/x"})
    assert _field(page.text, "next") == "/console"


async def test_cookie_api_calls_need_the_csrf_token(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    await sign_in(app_client, tenant.email)
    assert (await app_client.get("/api/products")).status_code == 200
    resp = await app_client.post("/api/tokens", json={"name": "x"})
    assert resp.status_code == 403 and resp.json()["code"] == "csrf_failed"
    page = await app_client.get("/console/products/new")
    csrf = _field(page.text, "csrf_token")
    resp = await app_client.post("/api/tokens", json={"name": "x"},
                                 headers={"x-csrf-token": csrf})
    assert resp.status_code == 201


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


async def test_sign_out_ends_the_session(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    await sign_in(app_client, tenant.email)
    csrf = _field((await app_client.get("/console/products/new")).text, "csrf_token")
    await app_client.post("/logout", data={"csrf_token": csrf})
    assert (await app_client.get("/console")).status_code == 303


async def test_password_guessing_is_rate_limited(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    statuses = [(await sign_in(app_client, tenant.email, "guess-guess-guess")).status_code
                for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


async def test_sign_out_without_the_csrf_token_changes_nothing(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    await sign_in(app_client, tenant.email)
    resp = await app_client.post("/logout", data={})
    assert resp.headers["location"] == "/console"
    assert (await app_client.get("/console")).status_code == 200


async def test_successful_sign_ins_do_not_count_towards_the_lockout(app_client, stores,
                                                                    settings):
    tenant = await make_tenant(stores, settings)
    for _ in range(12):
        assert (await sign_in(app_client, tenant.email)).status_code == 303
