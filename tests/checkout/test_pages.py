"""Console order pages and the buyer's orders page render what happened."""

from __future__ import annotations

import httpx

from chuhai.checkout.payments import SUCCEEDS
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from tests.checkout.test_flow_api import ADDRESS, key, live_drop, reserve
from tests.factories import make_buyer, make_shop


async def test_orders_list_detail_and_buyer_page(app_client: httpx.AsyncClient, stores: Stores,
                                                 settings: Settings) -> None:
    shop = await make_shop(stores, settings, app_client)
    buyer = await make_buyer(stores, settings, "US")
    drop = await live_drop(app_client, shop)
    res = (await reserve(app_client, buyer, drop)).json()
    order = (await app_client.post("/api/checkout", headers=buyer.headers, json={
        "reservation_id": res["id"], "ship_to": ADDRESS, "idempotency_key": key()})).json()
    await app_client.post(f"/api/orders/{order['id']}/pay", headers=buyer.headers,
                          json={"card_number": SUCCEEDS, "idempotency_key": key()})
    page = await app_client.get("/console/orders", headers=shop.tenant.headers)
    assert page.status_code == 200 and order["id"] in page.text and ">paid<" in page.text
    page = await app_client.get(f"/console/orders/{order['id']}", headers=shop.tenant.headers)
    assert page.status_code == 200 and "Ann Buyer" in page.text and "allocated" in page.text
    page = await app_client.get("/orders", headers=buyer.headers)
    assert page.status_code == 200 and "paid" in page.text
    page = await app_client.get("/console/webhooks", headers=shop.tenant.headers)
    assert page.status_code == 200
