"""A product or SKU that stock, drops or auctions point at is never deleted from under them:
409 ``product_in_use`` naming what holds it (archive instead), never an IntegrityError."""

from __future__ import annotations

from tests.factories import create_product, make_shop, make_tenant, start_drop

PROBLEM = "application/problem+json"


async def test_a_product_with_stock_is_not_deleted(app_client, stores, settings):
    shop = await make_shop(stores, settings, app_client)
    resp = await app_client.delete(f"/api/products/{shop.product_id}",
                                   headers=shop.tenant.headers)
    assert resp.status_code == 409, resp.text
    assert resp.headers["content-type"] == PROBLEM
    body = resp.json()
    assert body["code"] == "product_in_use"
    assert body["held_by"] == {"stock_entries": 3}
    assert "archive" in body["detail"]
    still = await app_client.get(f"/api/products/{shop.product_id}",
                                 headers=shop.tenant.headers)
    assert still.status_code == 200
    assert [s["id"] for s in still.json()["skus"]] == [shop.sku_id]


async def test_a_product_in_a_drop_is_not_deleted(app_client, stores, settings):
    shop = await make_shop(stores, settings, app_client)
    await start_drop(app_client, shop)
    resp = await app_client.delete(f"/api/products/{shop.product_id}",
                                   headers=shop.tenant.headers)
    assert resp.status_code == 409
    assert resp.json()["held_by"]["drop_lines"] == 1


async def test_renaming_a_sku_that_holds_stock_is_refused_and_changes_nothing(
        app_client, stores, settings):
    shop = await make_shop(stores, settings, app_client)
    before = (await app_client.get(f"/api/products/{shop.product_id}",
                                   headers=shop.tenant.headers)).json()
    old_code = before["skus"][0]["code"]
    resp = await app_client.patch(f"/api/products/{shop.product_id}",
                                  headers=shop.tenant.headers,
                                  json={"title": "Renamed", "skus": [{"code": "NEW-CODE"}]})
    assert resp.status_code == 409, resp.text
    assert resp.json()["code"] == "product_in_use"
    assert old_code in resp.json()["detail"]
    after = (await app_client.get(f"/api/products/{shop.product_id}",
                                  headers=shop.tenant.headers)).json()
    assert after["skus"] == before["skus"] and after["title"] == before["title"]


async def test_archiving_is_the_way_out_and_an_unused_product_still_deletes(
        app_client, stores, settings):
    shop = await make_shop(stores, settings, app_client)
    archived = await app_client.patch(f"/api/products/{shop.product_id}",
                                      headers=shop.tenant.headers, json={"status": "archived"})
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    tenant = await make_tenant(stores, settings)
    free = await create_product(app_client, tenant)
    renamed = await app_client.patch(f"/api/products/{free['id']}", headers=tenant.headers,
                                     json={"skus": [{"code": "OTHER"}]})
    assert renamed.status_code == 200
    gone = await app_client.delete(f"/api/products/{free['id']}", headers=tenant.headers)
    assert gone.status_code == 204
