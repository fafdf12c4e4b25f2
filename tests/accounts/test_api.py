"""Accounts over HTTP."""

from __future__ import annotations

from chuhai.core.actor import Role
from tests.factories import add_staff, make_tenant


async def test_me_tells_who_is_calling(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    me = (await app_client.get("/api/me", headers=tenant.headers)).json()
    assert me["org_id"] == tenant.org_id and me["role"] == "owner" and me["kind"] == "staff"


async def test_owner_creates_staff_and_bad_roles_are_refused(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    resp = await app_client.post("/api/staff", json={
        "email": "mod@x.example", "display_name": "Mod", "password": "long-enough-pw",
        "role": "moderator"}, headers=tenant.headers)
    assert resp.status_code == 201 and resp.json()["role"] == "moderator"
    for body in ({"email": "x@x.example", "display_name": "X", "password": "long-enough-pw",
                  "role": "emperor"},
                 {"email": "not-an-email", "display_name": "X", "password": "long-enough-pw",
                  "role": "host"},
                 {"email": "y@x.example", "display_name": "Y", "password": "short",
                  "role": "host"}):
        resp = await app_client.post("/api/staff", json=body, headers=tenant.headers)
        assert resp.status_code == 422 and resp.json()["code"] == "invalid_input"


async def test_analyst_cannot_create_staff(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    analyst = await add_staff(stores, settings, tenant, Role.ANALYST)
    resp = await app_client.post("/api/staff", json={
        "email": "z@x.example", "display_name": "Z", "password": "long-enough-pw",
        "role": "owner"}, headers=analyst.headers)
    assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"


async def test_token_lifecycle_over_http(app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    created = (await app_client.post("/api/tokens", json={"name": "laptop"},
                                     headers=tenant.headers)).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert (await app_client.get("/api/me", headers=headers)).status_code == 200
    listed = (await app_client.get("/api/tokens", headers=tenant.headers)).json()
    assert "token" not in listed[0] and {t["name"] for t in listed} == {"tests", "laptop"}
    revoked = await app_client.delete(f"/api/tokens/{created['id']}", headers=tenant.headers)
    assert revoked.json()["revoked_at"] is not None
    assert (await app_client.get("/api/me", headers=headers)).status_code == 401


async def test_customer_sign_up_lands_in_the_home_region(app_client):
    resp = await app_client.post("/api/customers", json={
        "email": "kim@example.kr", "display_name": "Kim", "home_country": "kr"})
    assert resp.status_code == 201
    assert resp.json()["region"] == "apac" and resp.json()["preferred_language"] == "ko"
    again = await app_client.post("/api/customers", json={
        "email": "KIM@example.kr", "display_name": "Kim", "home_country": "KR"})
    assert again.status_code == 409 and again.json()["code"] == "email_taken"
    bad = await app_client.post("/api/customers", json={
        "email": "x@example.kr", "display_name": "X", "home_country": "Q1"})
    assert bad.status_code == 422


async def test_sign_up_floods_are_rate_limited(app_client):
    codes = []
    for i in range(22):
        resp = await app_client.post("/api/customers", json={
            "email": f"flood{i}@example.com", "display_name": "F", "home_country": "US"})
        codes.append(resp.status_code)
    assert codes[:20] == [201] * 20 and codes[-1] == 429
    assert resp.json()["code"] == "rate_limited" and int(resp.headers["retry-after"]) > 0


async def test_markets_are_public_and_unknown_market_is_404(app_client):
    markets = (await app_client.get("/api/markets")).json()
    assert len(markets) >= 22
    de = (await app_client.get("/api/markets/DE")).json()
    assert de["currency"]["code"] == "EUR" and de["region_store"] == "eu"
    resp = await app_client.get("/api/markets/XX")
    assert resp.status_code == 404 and resp.json()["code"] == "market_not_found"


async def test_anonymous_viewers_get_a_stable_signed_guest_id(app_client):
    first = await app_client.post("/api/guest")
    gid = first.json()["guest_id"]
    assert gid.startswith("gst_") and "chuhai_guest" in first.headers["set-cookie"]
    again = await app_client.post("/api/guest")
    assert again.json()["guest_id"] == gid and "set-cookie" not in again.headers
    app_client.cookies.set("chuhai_guest", "forged.value")
    assert (await app_client.post("/api/guest")).json()["guest_id"] != gid
