"""The stock list with more than one SKU: each level under its own SKU and warehouse.

The rule (docs/selling.md, "Stock"): stock is kept per SKU and warehouse, in the buckets
on hand, allocated and reserved, with available their difference. ``GET /api/stock`` (and
the console) list every level of the organisation, ordered by SKU code, then warehouse code.
"""

from __future__ import annotations

import httpx

from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork
from chuhai.inventory import stock
from chuhai.inventory.ledger import EntryKind
from tests.factories import create_product, make_shop


async def test_each_level_is_listed_under_its_own_sku_ordered_by_sku_then_warehouse(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> None:
    shop = await make_shop(stores, settings, app_client, stock=10)
    # A second product whose two SKUs sort before and after the first one's code.
    other = await create_product(app_client, shop.tenant, code="MIX", skus=[
        {"code": "AAA-RED", "attributes": {"color": "red"}},
        {"code": "ZZZ-BLU", "attributes": {"color": "blue"}}])
    red, blue = (s["id"] for s in other["skus"])
    uow = UnitOfWork(stores)
    try:
        for sku_id, warehouse_id, qty in ((red, shop.de, 3), (blue, shop.us_west, 7),
                                          (red, shop.us_west, 4)):
            await stock.manual_entry(uow, shop.tenant.actor, sku_id=sku_id,
                                     warehouse_id=warehouse_id, kind=EntryKind.RECEIVE,
                                     quantity=qty)
        await uow.commit()
    finally:
        await uow.close()

    resp = await app_client.get("/api/stock", headers=shop.tenant.headers)

    assert resp.status_code == 200, resp.text
    first_code = next(s["code"] for s in (await app_client.get(
        f"/api/products/{shop.product_id}", headers=shop.tenant.headers)).json()["skus"])
    assert [(r["sku_id"], r["sku_code"], r["warehouse_code"], r["on_hand"], r["available"])
            for r in resp.json()] == [
        (red, "AAA-RED", "DE-1", 3, 3), (red, "AAA-RED", "US-W", 4, 4),
        (shop.sku_id, first_code, "DE-1", 10, 10), (shop.sku_id, first_code, "SZ", 10, 10),
        (shop.sku_id, first_code, "US-W", 10, 10),
        (blue, "ZZZ-BLU", "US-W", 7, 7)]
