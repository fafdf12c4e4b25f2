"""An idempotency key names one request: on every purchase call — reserve, checkout, pay,
bid — the same key with the same body answers as the first call did, and the same key with
a different body is 422 ``idempotency_key_reused`` and changes nothing (core/idempotency.py).
Before, checkout with another address answered 201 and kept the first address, and pay with
another card answered with the earlier payment."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from chuhai.checkout.models import Order
from chuhai.checkout.payments import DECLINED, SUCCEEDS
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from tests.factories import (
    ADDRESSES,
    Buyer,
    Shop,
    charge_at_test_bank,
    idempotency_key,
    make_buyer,
    make_shop,
    start_drop,
)

US = ADDRESSES["US"]
ELSEWHERE = {**US, "street": "99 Other Rd", "name": "Someone Else"}


@pytest.fixture
async def shop(stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> Shop:
    return await make_shop(stores, settings, app_client)


@pytest.fixture
async def buyer(stores: Stores, settings: Settings) -> Buyer:
    return await make_buyer(stores, settings, "US")


async def reservation(client: httpx.AsyncClient, shop: Shop, buyer: Buyer) -> dict[str, Any]:
    drop = await start_drop(client, shop, ("US",))
    resp = await client.post(f"/api/drops/{drop['id']}/reserve", headers=buyer.headers, json={
        "line_id": drop["lines"][0]["id"], "quantity": 1, "idempotency_key": idempotency_key()})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def order_for(client: httpx.AsyncClient, shop: Shop, buyer: Buyer) -> dict[str, Any]:
    res = await reservation(client, shop, buyer)
    resp = await client.post("/api/checkout", headers=buyer.headers, json={
        "reservation_id": res["id"], "ship_to": US, "idempotency_key": idempotency_key()})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def reused(resp: httpx.Response) -> bool:
    return resp.status_code == 422 and resp.json()["code"] == "idempotency_key_reused"


async def test_checkout_with_the_same_key_and_another_address_is_refused(
        app_client: httpx.AsyncClient, shop: Shop, buyer: Buyer) -> None:
    res = await reservation(app_client, shop, buyer)
    body = {"reservation_id": res["id"], "ship_to": US, "idempotency_key": idempotency_key()}
    first = await app_client.post("/api/checkout", headers=buyer.headers, json=body)
    same = await app_client.post("/api/checkout", headers=buyer.headers, json=body)
    assert first.status_code == same.status_code == 201
    assert same.json()["id"] == first.json()["id"]
    other = await app_client.post("/api/checkout", headers=buyer.headers,
                                  json={**body, "ship_to": ELSEWHERE})
    assert reused(other), other.text
    kept = await app_client.get(f"/api/me/orders/{first.json()['id']}", headers=buyer.headers)
    assert kept.json()["ship_to"]["street"] == US["street"]
    # Keys compare the body, not its spelling: the same address in another key order is it.
    reordered = {"ship_to": dict(reversed(list(US.items()))), **body}
    again = await app_client.post("/api/checkout", headers=buyer.headers, json=reordered)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]


async def test_pay_with_the_same_key_and_another_card_is_refused_and_charges_nothing(
        app_client: httpx.AsyncClient, shop: Shop, buyer: Buyer, settings: Settings) -> None:
    order = await order_for(app_client, shop, buyer)
    pay = {"card_number": DECLINED, "idempotency_key": idempotency_key()}
    declined = await app_client.post(f"/api/orders/{order['id']}/pay", headers=buyer.headers,
                                     json=pay)
    assert declined.status_code == 200 and declined.json()["status"] == "pending_payment"
    replay = await app_client.post(f"/api/orders/{order['id']}/pay", headers=buyer.headers,
                                   json=pay)
    assert replay.status_code == 200 and len(replay.json()["payments"]) == 1
    other = await app_client.post(f"/api/orders/{order['id']}/pay", headers=buyer.headers,
                                  json={**pay, "card_number": SUCCEEDS})
    assert reused(other), other.text
    after = (await app_client.get(f"/api/me/orders/{order['id']}",
                                  headers=buyer.headers)).json()
    assert after["status"] == "pending_payment" and len(after["payments"]) == 1
    payment = after["payments"][0]
    assert charge_at_test_bank(settings.data_dir, payment["id"]) == (
        order_total_minor(after), "USD", "failed")


def order_total_minor(order: dict[str, Any]) -> int:
    return int(order["total"].replace(".", ""))


async def test_a_bid_with_the_same_key_and_another_amount_is_refused(
        app_client: httpx.AsyncClient, shop: Shop, buyer: Buyer) -> None:
    made = await app_client.post("/api/auctions", headers=shop.tenant.headers, json={
        "title": "Auction", "sku_id": shop.sku_id, "warehouse_id": shop.us_west,
        "market": "US", "start_price": "10.00", "duration_s": 600})
    assert made.status_code == 201, made.text
    auction = made.json()
    started = await app_client.post(f"/api/auctions/{auction['id']}/start",
                                    headers=shop.tenant.headers)
    assert started.status_code == 200, started.text
    bid = {"amount": "20.00", "idempotency_key": idempotency_key()}
    url = f"/api/auctions/{auction['id']}/bids"
    first = await app_client.post(url, headers=buyer.headers, json=bid)
    assert first.status_code == 201, first.text
    same = await app_client.post(url, headers=buyer.headers, json=bid)
    assert same.status_code == 201 and same.json()["auction"]["bids"] == 1
    other = await app_client.post(url, headers=buyer.headers, json={**bid, "amount": "50.00"})
    assert reused(other), other.text
    now = (await app_client.get("/api/auctions", headers=shop.tenant.headers)).json()
    assert [(a["bids"], a["price"]) for a in now if a["id"] == auction["id"]] == [
        (1, "10.00")]


@pytest.mark.parametrize("change", [{"quantity": 2}, {"waitlist": True}])
async def test_a_reservation_with_the_same_key_and_another_body_is_refused(
        app_client: httpx.AsyncClient, shop: Shop, buyer: Buyer, change: dict[str, Any]
        ) -> None:
    drop = await start_drop(app_client, shop, ("US",))
    url = f"/api/drops/{drop['id']}/reserve"
    body = {"line_id": drop["lines"][0]["id"], "quantity": 1, "waitlist": False,
            "idempotency_key": idempotency_key()}
    first = await app_client.post(url, headers=buyer.headers, json=body)
    same = await app_client.post(url, headers=buyer.headers, json=body)
    assert first.status_code == same.status_code == 201
    assert same.json()["id"] == first.json()["id"]
    other = await app_client.post(url, headers=buyer.headers, json={**body, **change})
    assert reused(other), other.text
    remaining = (await app_client.get(f"/api/drops/{drop['id']}",
                                      headers=shop.tenant.headers)).json()["lines"][0]
    assert remaining["remaining"] == drop["lines"][0]["remaining"] - 1


async def test_an_order_made_before_fingerprints_replays_as_before(
        app_client: httpx.AsyncClient, shop: Shop, buyer: Buyer, stores: Stores) -> None:
    res = await reservation(app_client, shop, buyer)
    body = {"reservation_id": res["id"], "ship_to": US, "idempotency_key": idempotency_key()}
    first = (await app_client.post("/api/checkout", headers=buyer.headers, json=body)).json()
    assert buyer.actor.region is not None
    async with stores.session(buyer.actor.region) as r:
        await r.execute(update(Order).where(Order.id == first["id"]).values(request_hash=None))
        await r.commit()
    old = await app_client.post("/api/checkout", headers=buyer.headers,
                                json={**body, "ship_to": ELSEWHERE})
    assert old.status_code == 201 and old.json()["id"] == first["id"]
    assert old.json()["ship_to"]["street"] == US["street"]
