"""From a drop to a delivered order over HTTP: reserve, quote, checkout, pay (success,
decline, 3-D Secure), staff transitions with their stock entries, and bad input."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from chuhai.checkout.payments import DECLINED, NEEDS_3DS, SUCCEEDS
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from tests.factories import Buyer, Shop, make_buyer, make_shop, make_tenant


@pytest.fixture
async def shop(stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> Shop:
    return await make_shop(stores, settings, app_client)


@pytest.fixture
async def us_buyer(stores: Stores, settings: Settings) -> Buyer:
    return await make_buyer(stores, settings, "US")


def key() -> str:
    return f"k-{uuid.uuid4().hex}"


ADDRESS = {"name": "Ann Buyer", "street": "1 Main St", "city": "Portland",
           "postal_code": "97201", "region": "OR",
           "country": "US"}


async def live_drop(client: httpx.AsyncClient, shop: Shop, quantity: int = 3,
                    limit: int = 2) -> dict[str, Any]:
    resp = await client.post("/api/drops", headers=shop.tenant.headers, json={
        "title": "Flash: earbuds", "per_buyer_limit": limit,
        "lines": [{"sku_id": shop.sku_id, "market": "US", "quantity": quantity,
                   "price": "29.00"}]})
    assert resp.status_code == 201, resp.text
    drop = resp.json()
    resp = await client.post(f"/api/drops/{drop['id']}/start", headers=shop.tenant.headers,
                             json={"countdown_s": 0})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def reserve(client: httpx.AsyncClient, buyer: Buyer, drop: dict[str, Any],
                  qty: int = 1, k: str | None = None) -> httpx.Response:
    return await client.post(f"/api/drops/{drop['id']}/reserve", headers=buyer.headers, json={
        "line_id": drop["lines"][0]["id"], "quantity": qty, "idempotency_key": k or key()})


async def test_routing_picks_the_fast_overseas_warehouse_for_a_drop_line(
        app_client: httpx.AsyncClient, shop: Shop) -> None:
    drop = await live_drop(app_client, shop)
    assert drop["lines"][0]["warehouse_id"] == shop.us_west
    assert drop["status"] == "live" and drop["lines"][0]["remaining"] == 3


async def test_buy_then_pay_in_two_steps_and_the_order_follows_staff_moves(
        app_client: httpx.AsyncClient, shop: Shop, us_buyer: Buyer) -> None:
    drop = await live_drop(app_client, shop)
    resp = await reserve(app_client, us_buyer, drop, qty=2)
    assert resp.status_code == 201, resp.text
    res = resp.json()
    quote = (await app_client.get(f"/api/reservations/{res['id']}/quote",
                                  headers=us_buyer.headers)).json()
    assert quote["subtotal"] == "58.00" and quote["shipping"] == "6.50"
    # Earbuds (HTSUS 8518.30.20) are free of the base duty; goods of Chinese origin carry
    # the 12.5 % Section 301 duty from 2026-07-24 on the FOB value: 12.5 % x 58.00 = 7.25.
    # No federal VAT. Landed: 58.00 + 6.50 + 7.25 = 71.75, all collected now (DDP).
    assert (quote["duty"], quote["tax"], quote["fees"]) == ("7.25", "0.00", "0.00")
    assert quote["total"] == "71.75" and quote["warehouse"] == "US-W"
    assert (quote["delivery_min_days"], quote["delivery_max_days"]) == (2, 4)
    assert quote["duties"] == "Duties and taxes included"
    assert "US.tariff.85183020.CN.additional@2026-07-24" in quote["landed"]["rules"]
    resp = await app_client.post("/api/checkout", headers=us_buyer.headers, json={
        "reservation_id": res["id"], "ship_to": ADDRESS, "idempotency_key": key()})
    assert resp.status_code == 201, resp.text
    order = resp.json()
    assert order["status"] == "pending_payment" and order["total"] == "71.75"
    assert order["duty"] == "7.25"
    resp = await app_client.post(f"/api/orders/{order['id']}/pay", headers=us_buyer.headers,
                                 json={"card_number": SUCCEEDS, "idempotency_key": key()})
    assert resp.status_code == 200, resp.text
    paid = resp.json()
    assert paid["status"] == "paid" and paid["payments"][0]["status"] == "succeeded"
    stock = {(r["warehouse_id"]): r for r in (await app_client.get(
        "/api/stock", headers=shop.tenant.headers)).json()}
    assert stock[shop.us_west]["allocated"] == 1 and stock[shop.us_west]["reserved"] == 2

    h = shop.tenant.headers
    for to, extra in (("allocated", {}), ("shipped", {"tracking": "1Z999"}),
                      ("delivered", {})):
        resp = await app_client.post(f"/api/orders/{order['id']}/transitions", headers=h,
                                     json={"to": to, **extra})
        assert resp.status_code == 200, resp.text
    detail = (await app_client.get(f"/api/orders/{order['id']}", headers=h)).json()
    assert [e["to_status"] for e in detail["events"]] == [
        "pending_payment", "paid", "allocated", "shipped", "delivered"]
    assert detail["ship_to"]["city"] == "Portland"
    stock = {(r["warehouse_id"]): r for r in (await app_client.get(
        "/api/stock", headers=h)).json()}
    assert stock[shop.us_west]["on_hand"] == 98 and stock[shop.us_west]["reserved"] == 0
    resp = await app_client.post(f"/api/orders/{order['id']}/transitions", headers=h,
                                 json={"to": "allocated"})
    assert resp.status_code == 409 and resp.json()["code"] == "invalid_transition"


async def test_a_declined_card_leaves_the_order_payable_with_another_card(
        app_client: httpx.AsyncClient, shop: Shop, us_buyer: Buyer) -> None:
    drop = await live_drop(app_client, shop)
    res = (await reserve(app_client, us_buyer, drop)).json()
    order = (await app_client.post("/api/checkout", headers=us_buyer.headers, json={
        "reservation_id": res["id"], "ship_to": ADDRESS, "idempotency_key": key()})).json()
    failed = (await app_client.post(f"/api/orders/{order['id']}/pay", headers=us_buyer.headers,
                                    json={"card_number": DECLINED,
                                          "idempotency_key": key()})).json()
    assert failed["status"] == "pending_payment"
    assert failed["payments"][0]["decline_code"] == "card_declined"
    ok = (await app_client.post(f"/api/orders/{order['id']}/pay", headers=us_buyer.headers,
                                json={"card_number": SUCCEEDS, "idempotency_key": key()})).json()
    assert ok["status"] == "paid"


async def test_three_d_secure_sends_the_buyer_to_the_bank_then_completes(
        app_client: httpx.AsyncClient, shop: Shop, us_buyer: Buyer) -> None:
    drop = await live_drop(app_client, shop)
    res = (await reserve(app_client, us_buyer, drop)).json()
    order = (await app_client.post("/api/checkout", headers=us_buyer.headers, json={
        "reservation_id": res["id"], "ship_to": ADDRESS, "idempotency_key": key()})).json()
    pending = (await app_client.post(f"/api/orders/{order['id']}/pay",
                                     headers=us_buyer.headers,
                                     json={"card_number": NEEDS_3DS,
                                           "idempotency_key": key()})).json()
    pay = pending["payments"][0]
    assert pay["status"] == "requires_action" and pay["action_url"].startswith("/pay/3ds/")
    page = await app_client.get(pay["action_url"], headers=us_buyer.headers)
    assert page.status_code == 200 and "Approve" in page.text
    resp = await app_client.post(f"/pay/3ds/{pay['id']}", headers=us_buyer.headers, data={
        "answer": "approve", "csrf_token": us_buyer.headers["x-csrf-token"]})
    assert resp.status_code == 303
    detail = (await app_client.get(f"/api/me/orders/{order['id']}",
                                   headers=us_buyer.headers)).json()
    assert detail["status"] == "paid"


async def test_checkout_and_pay_are_idempotent_per_key(
        app_client: httpx.AsyncClient, shop: Shop, us_buyer: Buyer) -> None:
    drop = await live_drop(app_client, shop)
    res = (await reserve(app_client, us_buyer, drop)).json()
    body = {"reservation_id": res["id"], "ship_to": ADDRESS, "idempotency_key": key()}
    a = (await app_client.post("/api/checkout", headers=us_buyer.headers, json=body)).json()
    b = (await app_client.post("/api/checkout", headers=us_buyer.headers, json=body)).json()
    assert a["id"] == b["id"]
    pay = {"card_number": SUCCEEDS, "idempotency_key": key()}
    first = (await app_client.post(f"/api/orders/{a['id']}/pay", headers=us_buyer.headers,
                                   json=pay)).json()
    second = await app_client.post(f"/api/orders/{a['id']}/pay", headers=us_buyer.headers,
                                   json=pay)
    assert second.status_code == 200 and len(second.json()["payments"]) == 1
    assert first["status"] == second.json()["status"] == "paid"


async def test_bad_purchase_input_gets_stable_codes_never_a_500(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings, shop: Shop,
        us_buyer: Buyer) -> None:
    drop = await live_drop(app_client, shop, quantity=1)
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (f"/api/drops/{drop['id']}/reserve", {"line_id": drop["lines"][0]["id"],
                                              "quantity": 1}, 422, "invalid_input"),
        (f"/api/drops/{drop['id']}/reserve", {"line_id": drop["lines"][0]["id"], "quantity": -1,
                                              "idempotency_key": key()}, 422, "invalid_input"),
        (f"/api/drops/{drop['id']}/reserve", {"line_id": "nope", "quantity": 1,
                                              "idempotency_key": key()}, 404,
         "drop_line_not_found"),
        ("/api/drops/nope/reserve", {"line_id": "x", "quantity": 1, "idempotency_key": key()},
         404, "drop_line_not_found"),
        (f"/api/drops/{drop['id']}/reserve", {"line_id": drop["lines"][0]["id"], "quantity": 3,
                                              "idempotency_key": key()}, 409,
         "buyer_limit_reached"),
        (f"/api/drops/{drop['id']}/reserve", {"line_id": "x\x00", "quantity": 1,
                                              "idempotency_key": key()}, 422, "invalid_input"),
        ("/api/checkout", {"reservation_id": "res_nope", "ship_to": ADDRESS,
                           "idempotency_key": key()}, 404, "reservation_not_found"),
        ("/api/orders/ord_nope/pay", {"card_number": SUCCEEDS, "idempotency_key": key()}, 404,
         "order_not_found"),
        ("/api/orders/ord_nope/pay", {"card_number": "<script>", "idempotency_key": key()},
         422, "invalid_input"),
    ]
    for url, body, status, code in cases:
        resp = await app_client.post(url, headers=us_buyer.headers, json=body)
        assert (resp.status_code, resp.json()["code"]) == (status, code), (url, body, resp.text)
    # A staff token cannot buy, a buyer cannot create drops or move orders.
    resp = await reserve(app_client, type(us_buyer)(us_buyer.actor, shop.tenant.headers), drop)
    assert resp.json()["code"] == "customer_required"
    resp = await app_client.post("/api/drops", headers=us_buyer.headers, json={
        "title": "x", "lines": [{"sku_id": shop.sku_id, "market": "US", "quantity": 1,
                                 "price": "1"}]})
    assert resp.status_code == 403
    # Shipping outside the line's market is refused.
    ok = (await reserve(app_client, us_buyer, drop)).json()
    resp = await app_client.post("/api/checkout", headers=us_buyer.headers, json={
        "reservation_id": ok["id"], "ship_to": {**ADDRESS, "country": "DE"},
        "idempotency_key": key()})
    assert resp.json()["code"] == "ship_to_outside_market"
    # Sold out, with a waitlist place on request.
    other = await make_buyer(stores, settings, "US")
    resp = await app_client.post(f"/api/drops/{drop['id']}/reserve", headers=other.headers,
                                 json={"line_id": drop["lines"][0]["id"], "quantity": 1,
                                       "idempotency_key": key(), "waitlist": True})
    assert resp.status_code == 409 and resp.json()["code"] == "sold_out"
    assert resp.json()["waitlist_position"] == 1


async def test_another_org_cannot_see_or_move_my_orders_drops_or_stock(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings, shop: Shop,
        us_buyer: Buyer) -> None:
    drop = await live_drop(app_client, shop)
    res = (await reserve(app_client, us_buyer, drop)).json()
    order = (await app_client.post("/api/checkout", headers=us_buyer.headers, json={
        "reservation_id": res["id"], "ship_to": ADDRESS, "idempotency_key": key()})).json()
    other = await make_tenant(stores, settings)
    h = other.headers
    assert (await app_client.get(f"/api/orders/{order['id']}", headers=h)).status_code == 404
    assert (await app_client.get("/api/orders", headers=h)).json() == []
    assert (await app_client.get(f"/api/drops/{drop['id']}", headers=h)).status_code == 404
    assert (await app_client.post(f"/api/drops/{drop['id']}/end", headers=h)).status_code == 404
    assert (await app_client.get("/api/stock", headers=h)).json() == []
    resp = await app_client.post(f"/api/orders/{order['id']}/transitions", headers=h,
                                 json={"to": "cancelled"})
    assert resp.status_code == 404


async def test_a_drop_checkout_asks_for_the_address_the_destination_needs(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient, shop: Shop) -> None:
    """A Japanese address has a prefecture and no city line; one without it is refused
    field by field, and the reservation stays held for the corrected one."""
    from tests.factories import start_drop

    drop = await start_drop(app_client, shop, ("JP",), prices={"JP": "5480"})
    yui = await make_buyer(stores, settings, "JP")
    res = (await app_client.post(f"/api/drops/{drop['id']}/reserve", headers=yui.headers,
                                 json={"line_id": drop["lines"][0]["id"], "quantity": 1,
                                       "idempotency_key": key()})).json()
    bad = await app_client.post("/api/checkout", headers=yui.headers, json={
        "reservation_id": res["id"], "idempotency_key": key(),
        "ship_to": {"name": "田中ゆい", "street": "丸の内1-1", "city": "千代田区",
                    "postal_code": "100-0001", "country": "JP"}})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_address")
    assert [e["field"] for e in bad.json()["errors"]] == ["ship_to.region"]
    good = await app_client.post("/api/checkout", headers=yui.headers, json={
        "reservation_id": res["id"], "idempotency_key": key(),
        "ship_to": {"name": "田中ゆい", "street": "丸の内1-1", "city": "千代田区",
                    "region": "東京都", "postal_code": "100-0001", "country": "JP"}})
    assert good.status_code == 201, good.text
    assert good.json()["ship_to"]["street"] == "千代田区 丸の内1-1"  # the ward leads the line
    assert good.json()["ship_to"]["region"] == "東京都"
