"""The console's edge: sign-in with CSRF and rate limits, sign-out, the console home."""

from __future__ import annotations

import re

import httpx

from tests.factories import PASSWORD, make_tenant


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
    resp = await app_client.get("/console")
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
    csrf = _field((await app_client.get("/console")).text, "csrf_token")
    resp = await app_client.post("/api/tokens", json={"name": "x"},
                                 headers={"x-csrf-token": csrf})
    assert resp.status_code == 201


async def test_sign_out_ends_the_session(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    await sign_in(app_client, tenant.email)
    csrf = _field((await app_client.get("/console")).text, "csrf_token")
    await app_client.post("/logout", data={"csrf_token": csrf})
    assert (await app_client.get("/console")).status_code == 303


async def test_sign_out_without_the_csrf_token_changes_nothing(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    await sign_in(app_client, tenant.email)
    resp = await app_client.post("/logout", data={})
    assert resp.headers["location"] == "/console"
    assert (await app_client.get("/console")).status_code == 200


# Password guessing (slowed per account and address, never locked): tests/web/test_sign_in.py


async def test_successful_sign_ins_are_never_slowed(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    for _ in range(12):
        assert (await sign_in(app_client, tenant.email)).status_code == 303


async def test_the_favicon_is_an_svg_linked_from_every_base_template(app_client):
    icon = await app_client.get("/favicon.ico")  # browsers ask here whatever pages link
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.lstrip().startswith("<svg")
    assert (await app_client.get("/static/favicon.svg")).text == icon.text
    login = (await app_client.get("/login")).text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in login
