"""The API tokens page: create (the secret shown once), use it, revoke it; CSRF on every
change; names escaped; other people's tokens out of reach."""

from __future__ import annotations

import re

import httpx

from chuhai.core.actor import Role
from tests.factories import add_staff, make_tenant
from tests.web.test_pages import _field, sign_in


def _secret(html: str) -> str:
    m = re.search(r'id="new-token" readonly value="(chh_[A-Za-z0-9_-]+)"', html)
    assert m, "no new token in the page"
    return m.group(1)


def _row(html: str, name: str) -> str:
    m = re.search(rf'<tr>\s*<td data-label="Name"><strong>{name}</strong>.*?</tr>', html, re.S)
    assert m, f"no active token {name!r} in the page"
    return m.group(0)


async def _csrf(client: httpx.AsyncClient) -> str:
    return _field((await client.get("/console/tokens")).text, "csrf_token")


async def test_create_use_and_revoke_a_token_from_the_console(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    await sign_in(app_client, tenant.email)
    page = await app_client.get("/console/tokens")
    assert page.status_code == 200 and 'href="/console/tokens" aria-current="page"' in page.text
    csrf = _field(page.text, "csrf_token")

    made = await app_client.post("/console/tokens", data={"csrf_token": csrf,
                                                          "name": "  warehouse   sync "})
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    secret = _secret(made.text)
    assert made.text.count(secret) == 2  # the field and the curl example
    assert "shown only this once" in made.text and "warehouse sync" in made.text

    # Afterwards: its name, its first characters and its dates, never the secret.
    again = await app_client.get("/console/tokens")
    assert secret not in again.text
    row = _row(again.text, "warehouse sync")
    assert f"<code>{secret[:10]}…</code>" in row
    assert re.search(r'data-label="Created"><time datetime="[^"]+">[-0-9: ]+ UTC</time>', row)
    assert '<td data-label="Last used">never</td>' in row

    # It is a working API token, with the role of whoever made it.
    bearer = {"Authorization": f"Bearer {secret}"}
    me = await app_client.get("/api/me", headers=bearer)
    assert me.status_code == 200 and me.json()["subject_id"] == tenant.actor.subject_id
    assert (await app_client.get("/api/products", headers=bearer)).status_code == 200
    tokens = (await app_client.get("/api/tokens", headers=tenant.headers)).json()
    mine = next(t for t in tokens if t["name"] == "warehouse sync")
    assert mine["last_used_at"] is not None and "token" not in mine
    used = _row((await app_client.get("/console/tokens")).text, "warehouse sync")
    assert re.search(r'data-label="Last used"><time datetime="[^"]+">[-0-9: ]+ UTC</time>', used)

    revoked = await app_client.post(f"/console/tokens/{mine['id']}/revoke",
                                    data={"csrf_token": csrf})
    assert revoked.status_code == 303
    after = await app_client.get(revoked.headers["location"])
    assert "Token revoked." in after.text and "revoked <time" in after.text
    assert f'/console/tokens/{mine["id"]}/revoke' not in after.text
    resp = await app_client.get("/api/me", headers=bearer)
    assert resp.status_code == 401 and resp.json()["code"] == "bad_token"
    # The factory's own token still works: only the one revoked is gone.
    assert (await app_client.get("/api/me", headers=tenant.headers)).status_code == 200


async def test_changes_without_the_csrf_token_change_nothing(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    await sign_in(app_client, tenant.email)
    before = (await app_client.get("/api/tokens", headers=tenant.headers)).json()
    resp = await app_client.post("/console/tokens", data={"name": "forged"})
    assert resp.status_code == 403 and 'id="new-token"' not in resp.text
    resp = await app_client.post(f"/console/tokens/{before[0]['id']}/revoke",
                                 data={"csrf_token": "forged"})
    assert resp.status_code == 403
    assert (await app_client.get("/api/tokens", headers=tenant.headers)).json() == before


async def test_names_are_checked_and_escaped(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    await sign_in(app_client, tenant.email)
    csrf = await _csrf(app_client)
    empty = await app_client.post("/console/tokens", data={"csrf_token": csrf, "name": "   "})
    assert empty.status_code == 422 and "1 to 100 characters" in empty.text
    long = await app_client.post("/console/tokens", data={"csrf_token": csrf, "name": "x" * 101})
    assert long.status_code == 422 and 'id="new-token"' not in long.text
    hostile = await app_client.post("/console/tokens", data={
        "csrf_token": csrf, "name": "<script>alert(1)</script>"})
    assert hostile.status_code == 201
    assert "<script>alert(1)</script>" not in hostile.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile.text


async def test_a_staff_member_sees_and_revokes_only_their_own_tokens(app_client, stores,
                                                                      settings):
    tenant = await make_tenant(stores, settings)
    host = await add_staff(stores, settings, tenant, Role.HOST)
    other = await make_tenant(stores, settings)
    owners = (await app_client.get("/api/tokens", headers=tenant.headers)).json()
    strangers = (await app_client.get("/api/tokens", headers=other.headers)).json()
    await sign_in(app_client, host.email)
    page = await app_client.get("/console/tokens")
    assert page.status_code == 200
    assert owners[0]["id"] not in page.text and strangers[0]["id"] not in page.text
    csrf = _field(page.text, "csrf_token")
    for victim in (owners[0], strangers[0]):
        resp = await app_client.post(f"/console/tokens/{victim['id']}/revoke",
                                     data={"csrf_token": csrf})
        assert resp.status_code == 404
    assert (await app_client.get("/api/me", headers=tenant.headers)).status_code == 200
    assert (await app_client.get("/api/me", headers=other.headers)).status_code == 200


async def test_the_page_needs_a_signed_in_staff_member(app_client):
    resp = await app_client.get("/console/tokens")
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=/console/tokens"
    resp = await app_client.post("/console/tokens", data={"name": "x"})
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
