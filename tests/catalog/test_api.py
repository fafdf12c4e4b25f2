"""The catalog API: create, read, search, update, delete — and bad input answered with
problem+json and a stable code, never a 500."""

from __future__ import annotations

import pytest

from chuhai.core.actor import Role
from tests.factories import add_staff, create_product, make_tenant, product_body

PROBLEM = "application/problem+json"


@pytest.fixture
async def tenant(stores, settings):
    return await make_tenant(stores, settings)


async def test_create_returns_product_with_listings_in_market_currency(app_client, tenant):
    resp = await app_client.post("/api/products", json=product_body("SW-1"),
                                 headers=tenant.headers)
    assert resp.status_code == 201
    body = resp.json()
    assert resp.headers["location"] == f"/api/products/{body['id']}"
    assert body["hs_code"] == "85183020"
    assert body["hs_chapter"].startswith("Electrical machinery")
    by_market = {li["market"]: li for li in body["listings"]}
    assert by_market["US"]["currency"] == "USD" and by_market["US"]["price"] == "39.00"
    assert by_market["US"]["language"] == "en"
    assert by_market["JP"]["currency"] == "JPY" and by_market["JP"]["price"] == "5480"
    assert by_market["JP"]["price_display"] == "￥5,480"
    assert [s["code"] for s in body["skus"]] == ["SW-1-BLK"]


async def test_product_without_variants_gets_one_sku_named_like_it(app_client, tenant):
    body = await create_product(app_client, tenant, code="SOLO-1", skus=[])
    assert [s["code"] for s in body["skus"]] == ["SOLO-1"]


async def test_list_searches_and_pages(app_client, tenant):
    for i in range(5):
        await create_product(app_client, tenant, code=f"CAB-{i}", title=f"USB-C cable {i}")
    await create_product(app_client, tenant, code="LAMP-1", title="Desk lamp")
    resp = await app_client.get("/api/products", params={"q": "cable", "per_page": 2,
                                                         "page": 2}, headers=tenant.headers)
    page = resp.json()
    assert page["total"] == 5 and page["pages"] == 3 and len(page["items"]) == 2
    resp = await app_client.get("/api/products", params={"q": "lamp"}, headers=tenant.headers)
    assert [p["code"] for p in resp.json()["items"]] == ["LAMP-1"]


async def test_search_treats_percent_and_underscore_literally(app_client, tenant):
    await create_product(app_client, tenant, code="PCT-1", title="100% cotton pouch")
    await create_product(app_client, tenant, code="PCT-2", title="Plain pouch")
    resp = await app_client.get("/api/products", params={"q": "100%"}, headers=tenant.headers)
    assert [p["code"] for p in resp.json()["items"]] == ["PCT-1"]
    resp = await app_client.get("/api/products", params={"q": "_"}, headers=tenant.headers)
    assert resp.json()["total"] == 0


async def test_update_changes_only_sent_fields_and_keeps_surviving_sku_ids(app_client, tenant):
    created = await create_product(app_client, tenant, code="UPD-1")
    sku_id = created["skus"][0]["id"]
    resp = await app_client.patch(
        f"/api/products/{created['id']}",
        json={"title": "Earbuds v2",
              "skus": [{"code": "UPD-1-BLK", "attributes": {"color": "black"}},
                       {"code": "UPD-1-WHT", "attributes": {"color": "white"}}]},
        headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["title"] == "Earbuds v2" and body["brand"] == "SonicWave"
    assert {s["code"]: s["id"] for s in body["skus"]}["UPD-1-BLK"] == sku_id
    assert len(body["listings"]) == 2


async def test_delete_then_get_is_404(app_client, tenant):
    created = await create_product(app_client, tenant)
    resp = await app_client.delete(f"/api/products/{created['id']}", headers=tenant.headers)
    assert resp.status_code == 204
    resp = await app_client.get(f"/api/products/{created['id']}", headers=tenant.headers)
    assert resp.status_code == 404 and resp.json()["code"] == "product_not_found"


@pytest.mark.parametrize(("_case", "over", "field"), [
    ("hs too short", {"hs_code": "8518"}, "hs_code"),
    ("hs chapter 77 reserved", {"hs_code": "770000"}, "hs_code"),
    ("hs letters", {"hs_code": "85AB30"}, "hs_code"),
    ("origin not iso", {"origin_country": "XX"}, "origin_country"),
    ("weight zero", {"weight_g": 0}, "weight_g"),
    ("weight wrong type", {"weight_g": "heavy"}, "weight_g"),
    ("float money", {"customs_value": 14.5}, "customs_value"),
    ("jpy with decimals", {"listings": [{"market": "JP", "title": "x", "price": "5480.5"}]},
     "listings.0"),
    ("wrong currency for market",
     {"listings": [{"market": "DE", "title": "x", "price": "9.99", "currency": "USD"}]},
     "listings.0"),
    ("unknown market", {"listings": [{"market": "ZZ", "title": "x", "price": "1"}]},
     "listings.0.market"),
    ("title too long", {"title": "x" * 201}, "title"),
    ("unknown field", {"colour": "red"}, "colour"),
    ("bad certification", {"certifications": ["<script>"]}, "certifications"),
    ("duplicate sku codes", {"skus": [{"code": "A"}, {"code": "A"}]}, ""),
    ("negative price", {"listings": [{"market": "US", "title": "x", "price": "-1"}]},
     "listings.0"),
])
async def test_create_refuses_bad_input_with_problem_json(app_client, tenant, _case, over,
                                                          field):
    resp = await app_client.post("/api/products", json=product_body(**over),
                                 headers=tenant.headers)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    problem = resp.json()
    assert problem["code"] == "invalid_input" and problem["status"] == 422
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem
    listing = await app_client.get("/api/products", headers=tenant.headers)
    assert listing.json()["total"] == 0  # nothing half-created


async def test_create_refuses_non_json_and_wrong_shapes(app_client, tenant):
    for content in (b"not json", b"[]", b'{"code": null}', b"\xff\xfe"):
        resp = await app_client.post("/api/products", content=content,
                                     headers={**tenant.headers,
                                              "content-type": "application/json"})
        assert resp.status_code == 422, content
        assert resp.json()["code"] == "invalid_input"


async def test_duplicate_product_or_sku_code_is_409(app_client, tenant):
    await create_product(app_client, tenant, code="DUP-1")
    resp = await app_client.post("/api/products", json=product_body("DUP-1"),
                                 headers=tenant.headers)
    assert resp.status_code == 409 and resp.json()["code"] == "product_code_taken"
    resp = await app_client.post(
        "/api/products", json=product_body("DUP-2", skus=[{"code": "DUP-1-BLK"}]),
        headers=tenant.headers)
    assert resp.status_code == 409 and resp.json()["code"] == "sku_code_taken"


@pytest.mark.parametrize(("_case", "patch", "code"), [
    ("null required", {"title": None}, "invalid_input"),
    ("bad hs", {"hs_code": "12"}, "invalid_input"),
    ("bad status", {"status": "deleted"}, "invalid_input"),
    ("jpy decimals in customs value", {"customs_value": "1.5", "customs_currency": "JPY"},
     "invalid_input"),
    ("unknown field", {"price": "1"}, "invalid_input"),
])
async def test_update_refuses_bad_input_and_changes_nothing(app_client, tenant, _case, patch,
                                                            code):
    created = await create_product(app_client, tenant)
    resp = await app_client.patch(f"/api/products/{created['id']}", json=patch,
                                  headers=tenant.headers)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert resp.json()["code"] == code
    after = await app_client.get(f"/api/products/{created['id']}", headers=tenant.headers)
    assert after.json()["title"] == created["title"]
    assert after.json()["customs_value"] == created["customs_value"]


async def test_unknown_product_id_is_404_for_every_verb(app_client, tenant):
    for method in ("GET", "PATCH", "DELETE"):
        resp = await app_client.request(method, "/api/products/prd_nope",
                                        json={"title": "x"} if method == "PATCH" else None,
                                        headers=tenant.headers)
        assert resp.status_code == 404 and resp.json()["code"] == "product_not_found"


async def test_without_credentials_is_401_and_bad_token_is_401(app_client):
    resp = await app_client.get("/api/products")
    assert resp.status_code == 401 and resp.json()["code"] == "unauthenticated"
    resp = await app_client.get("/api/products", headers={"Authorization": "Bearer chh_x"})
    assert resp.status_code == 401 and resp.json()["code"] == "bad_token"
    resp = await app_client.get("/api/products", headers={"Authorization": "Basic abc"})
    assert resp.status_code == 401


async def test_host_can_read_but_not_write_the_catalog(app_client, tenant, stores, settings):
    host = await add_staff(stores, settings, tenant, Role.HOST)
    await create_product(app_client, tenant, code="RO-1")
    assert (await app_client.get("/api/products", headers=host.headers)).json()["total"] == 1
    resp = await app_client.post("/api/products", json=product_body(), headers=host.headers)
    assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"


async def test_oversized_body_is_413(app_client, tenant):
    resp = await app_client.post("/api/products", content=b"x" * (6 * 1024 * 1024),
                                 headers={**tenant.headers, "content-type": "application/json"})
    assert resp.status_code == 413 and resp.json()["code"] == "payload_too_large"


async def test_query_parameters_are_validated(app_client, tenant):
    resp = await app_client.get("/api/products", params={"per_page": 1000},
                                headers=tenant.headers)
    assert resp.status_code == 422 and resp.json()["code"] == "invalid_input"
    resp = await app_client.get("/api/products", params={"page": "x"}, headers=tenant.headers)
    assert resp.status_code == 422


def test_openapi_documents_the_catalog(migrated_settings):
    from chuhai.app import create_app

    spec = create_app(migrated_settings).openapi()
    assert "/api/products" in spec["paths"] and "/api/products/import" in spec["paths"]


@pytest.mark.parametrize("body", [
    {"brand": "bad\u0000brand"}, {"title": "\u0000"}, {"title": "   "},
    {"skus": [{"code": "A", "attributes": {"k\u0000": "v"}}]},
])
async def test_nul_and_empty_text_are_422_not_500(app_client, tenant, body):
    resp = await app_client.post("/api/products", json=product_body(**body),
                                 headers=tenant.headers)
    assert resp.status_code == 422, resp.text


async def test_nul_in_query_or_path_is_400(app_client, tenant):
    for url in ("/api/products?q=%00", "/api/products/prd%00x"):
        resp = await app_client.get(url, headers=tenant.headers)
        assert resp.status_code == 400 and resp.json()["code"] == "invalid_characters"


@pytest.mark.parametrize("patch", [{"certifications": None}, {"description": None},
                                   {"brand": None}, {"images": None}])
async def test_patch_refuses_null_for_non_nullable_fields(app_client, tenant, patch):
    created = await create_product(app_client, tenant)
    resp = await app_client.patch(f"/api/products/{created['id']}", json=patch,
                                  headers=tenant.headers)
    assert resp.status_code == 422 and "cannot be null" in resp.text


async def test_patch_refuses_duplicate_markets_and_skus(app_client, tenant):
    created = await create_product(app_client, tenant)
    url = f"/api/products/{created['id']}"
    dup_markets = {"listings": [{"market": "US", "title": "a", "price": "1"},
                                {"market": "US", "title": "b", "price": "2"}]}
    dup_skus = {"skus": [{"code": "Z"}, {"code": "Z"}]}
    for body in (dup_markets, dup_skus):
        resp = await app_client.patch(url, json=body, headers=tenant.headers)
        assert resp.status_code == 422, resp.text


async def test_patching_skus_keeps_fields_not_sent(app_client, tenant):
    created = await create_product(app_client, tenant, code="KEEP",
                                   skus=[{"code": "KEEP-1", "weight_g": 290,
                                          "barcode": "6901234567892"}],
                                   listings=[{"market": "CA", "title": "Casque",
                                              "price": "10.00", "language": "fr"}])
    resp = await app_client.patch(f"/api/products/{created['id']}", json={
        "skus": [{"code": "KEEP-1", "attributes": {"color": "red"}}],
        "listings": [{"market": "CA", "title": "Casque 2", "price": "11.00"}]},
        headers=tenant.headers)
    body = resp.json()
    assert body["skus"][0]["weight_g"] == 290 and body["skus"][0]["barcode"] == "6901234567892"
    assert body["listings"][0]["language"] == "fr" and body["listings"][0]["price"] == "11.00"


async def test_chunked_bodies_over_the_limit_are_413(app_client, tenant):
    async def chunks():
        for _ in range(7):
            yield b"x" * (1024 * 1024)

    resp = await app_client.post("/api/products", content=chunks(),
                                 headers={**tenant.headers, "content-type": "application/json"})
    assert resp.status_code == 413 and resp.json()["code"] == "payload_too_large"


async def test_listings_show_the_landed_price_with_duties_and_taxes(app_client, tenant):
    body = product_body(listings=[
        {"market": "DE", "title": "Ohrhörer", "price": "36.99"},
        {"market": "TH", "title": "หูฟัง", "price": "1290.00"}])
    resp = await app_client.post("/api/products", json=body, headers=tenant.headers)
    assert resp.status_code == 201, resp.text
    listings = {li["market"]: li for li in resp.json()["listings"]}
    # DE, under EUR 150: EUR 3 flat duty; VAT 19 % on 36.99 + 3 = 39.99 -> 7.60. 47.59.
    assert listings["DE"]["landed"] == "47.59"
    assert listings["DE"]["landed_note"] == "duties and taxes included"
    # Thailand from 2026 has no de minimis: the Thai tariff's 10 % on earphones (8518.30.20)
    # = 129.00; VAT 7 % on 1,419.00 = 99.33. 1,518.33.
    assert listings["TH"]["landed"] == "1518.33"
    assert listings["TH"]["landed_note"] == "duties and taxes included"
