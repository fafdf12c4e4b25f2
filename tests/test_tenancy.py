"""One org can neither read nor change another org's rows through the API: list, get,
update and delete all behave as if the other org's rows did not exist."""

from __future__ import annotations

from tests.factories import create_product, make_tenant, product_body


async def test_an_org_cannot_see_or_touch_another_orgs_products(app_client, stores, settings):
    alpha = await make_tenant(stores, settings)
    beta = await make_tenant(stores, settings)
    mine = await create_product(app_client, alpha, code="ALPHA-1", title="Alpha speaker")
    await create_product(app_client, beta, code="BETA-1", title="Beta lamp")

    listed = (await app_client.get("/api/products", headers=beta.headers)).json()
    assert [p["code"] for p in listed["items"]] == ["BETA-1"]
    searched = await app_client.get("/api/products", params={"q": "Alpha"},
                                    headers=beta.headers)
    assert searched.json()["total"] == 0

    url = f"/api/products/{mine['id']}"
    assert (await app_client.get(url, headers=beta.headers)).status_code == 404
    patch = await app_client.patch(url, json={"title": "pwned"}, headers=beta.headers)
    assert patch.status_code == 404 and patch.json()["code"] == "product_not_found"
    delete = await app_client.delete(url, headers=beta.headers)
    assert delete.status_code == 404

    untouched = (await app_client.get(url, headers=alpha.headers)).json()
    assert untouched["title"] == "Alpha speaker"


async def test_an_org_may_reuse_codes_another_org_uses(app_client, stores, settings):
    alpha = await make_tenant(stores, settings)
    beta = await make_tenant(stores, settings)
    a = await create_product(app_client, alpha, code="SAME-1", title="Alpha speaker")
    b = await create_product(app_client, beta, code="SAME-1", title="Beta lamp")
    assert a["id"] != b["id"]
    for tenant, title in ((alpha, "Alpha speaker"), (beta, "Beta lamp")):
        listed = (await app_client.get("/api/products", headers=tenant.headers)).json()
        assert [(p["code"], p["title"]) for p in listed["items"]] == [("SAME-1", title)]
    # Within one org the code stays unique.
    again = await app_client.post("/api/products", headers=alpha.headers,
                                  json=product_body(code="SAME-1"))
    assert (again.status_code, again.json()["code"]) == (409, "product_code_taken")


async def test_tokens_of_another_org_cannot_be_revoked(app_client, stores, settings):
    alpha = await make_tenant(stores, settings)
    beta = await make_tenant(stores, settings)
    tokens = (await app_client.get("/api/tokens", headers=alpha.headers)).json()
    resp = await app_client.delete(f"/api/tokens/{tokens[0]['id']}", headers=beta.headers)
    assert resp.status_code == 404
    assert (await app_client.get("/api/me", headers=alpha.headers)).status_code == 200


async def test_staff_lists_are_per_org(app_client, stores, settings):
    alpha = await make_tenant(stores, settings)
    beta = await make_tenant(stores, settings)
    emails = [s["email"] for s in (await app_client.get("/api/staff",
                                                        headers=beta.headers)).json()]
    assert emails == [beta.email] and alpha.email not in emails


async def test_an_org_cannot_see_or_run_another_orgs_rooms(app_client, stores, settings):
    alpha = await make_tenant(stores, settings)
    beta = await make_tenant(stores, settings)
    created = await app_client.post("/api/rooms", headers=alpha.headers, json={
        "titles": {"en": "Alpha live"}, "markets": ["US"],
        "scheduled_at": "2030-01-01T12:00:00Z"})
    assert created.status_code == 201, created.text
    room = created.json()["id"]
    assert (await app_client.get("/api/rooms", headers=beta.headers)).json() == []
    for method, url in (("GET", f"/api/rooms/{room}"), ("PATCH", f"/api/rooms/{room}"),
                        ("POST", f"/api/rooms/{room}/open"), ("POST", f"/api/rooms/{room}/end")):
        resp = await app_client.request(method, url, headers=beta.headers,
                                        json={"titles": {"en": "x"}} if method == "PATCH"
                                        else None)
        assert resp.status_code == 404 and resp.json()["code"] == "room_not_found", url
    assert (await app_client.get(f"/api/rooms/{room}",
                                 headers=alpha.headers)).json()["status"] == "scheduled"
