"""Checkout's rules: reservation → order awaiting payment.

What docs/selling.md ("Orders and payments") promises of checkout: only a signed-in customer
(whose data lives in their home region) checks out; an idempotency key is the buyer's own —
the same key with the same body answers with the same order, with another body it is
``idempotency_key_reused``, and another buyer's key is none of theirs; a reservation that is
no longer held cannot be checked out; the order keeps what it was bought as — the listing's
title in the buyer's market, the live room the drop ran in, an auction or a drop — and
announces itself to webhooks with ids and quantities only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from chuhai.checkout import service
from chuhai.checkout.models import Order
from chuhai.checkout.payments import SUCCEEDS, TestProvider
from chuhai.checkout.schemas import CheckoutIn, PayIn
from chuhai.core.actor import Actor, ActorKind
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.errors import Forbidden
from chuhai.core.idempotency import IdempotencyKeyReused
from chuhai.core.outbox import RegionalOutbox
from chuhai.inventory import auctions, sweeper
from chuhai.inventory.models import Reservation
from tests.factories import (
    ADDRESSES,
    Buyer,
    Shop,
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
async def ann(stores: Stores, settings: Settings) -> Buyer:
    return await make_buyer(stores, settings, "US")


async def reserve(client: httpx.AsyncClient, drop: dict[str, Any], buyer: Buyer,
                  market: str = "US") -> str:
    line = next(ln for ln in drop["lines"] if ln["market"] == market)
    resp = await client.post(f"/api/drops/{drop['id']}/reserve", headers=buyer.headers, json={
        "line_id": line["id"], "quantity": 1, "idempotency_key": idempotency_key()})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def order_in(reservation_id: str, key: str | None = None,
             ship_to: dict[str, str] | None = None) -> CheckoutIn:
    return CheckoutIn.model_validate({"reservation_id": reservation_id,
                                      "ship_to": ship_to or US,
                                      "idempotency_key": key or idempotency_key()})


async def post_checkout(client: httpx.AsyncClient, buyer: Buyer, body: CheckoutIn
                        ) -> httpx.Response:
    return await client.post("/api/checkout", headers=buyer.headers,
                             json=body.model_dump(mode="json"))


# --- who checks out, and whose key it is ------------------------------------------------------

async def test_another_buyer_sending_my_idempotency_key_gets_an_order_of_their_own(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings, shop: Shop,
        ann: Buyer) -> None:
    """Keys are chosen by clients: two buyers (both stored in us) may well send the same
    one. Each gets their own order; neither sees the other's."""
    bob = await make_buyer(stores, settings, "US")
    drop = await start_drop(app_client, shop, ("US",))
    key = idempotency_key()
    ann_order = await post_checkout(app_client, ann,
                                    order_in(await reserve(app_client, drop, ann), key))
    bob_res = await reserve(app_client, drop, bob)
    bob_order = await post_checkout(app_client, bob, order_in(bob_res, key, ELSEWHERE))

    assert (ann_order.status_code, bob_order.status_code) == (201, 201), bob_order.text
    assert bob_order.json()["id"] != ann_order.json()["id"]
    assert bob_order.json()["reservation_id"] == bob_res
    assert bob_order.json()["ship_to"]["street"] == ELSEWHERE["street"]
    mine = (await app_client.get("/api/me/orders", headers=ann.headers)).json()
    assert [o["id"] for o in mine] == [ann_order.json()["id"]]


@pytest.mark.parametrize("who", ["staff", "customer without a region"])
async def test_only_a_customer_with_a_home_region_checks_out_pays_or_reads_buyer_orders(
        stores: Stores, settings: Settings, shop: Shop, who: str) -> None:
    """A staff member is signed in, and has a home region, but is no buyer; a customer
    without a region has nowhere their order could be stored."""
    actor = shop.tenant.actor if who == "staff" else Actor(ActorKind.CUSTOMER, "cus_noregion")
    provider = TestProvider(settings.data_dir / "testpay.db")
    try:
        calls: list[Callable[[], Awaitable[object]]] = [
            lambda: service.checkout(stores, actor, order_in("res_x"), key=b"k"),
            lambda: service.pay(stores, provider, actor, "ord_x",
                                PayIn(card_number=SUCCEEDS, idempotency_key=idempotency_key()),
                                key=b"k"),
            lambda: service.my_orders(stores, actor),
            lambda: service.buyer_order(stores, actor, "ord_x"),
            lambda: service.buyer_payment(stores, actor, "pay_x"),
        ]
        for call in calls:
            with pytest.raises(Forbidden) as err:
                await call()
            assert err.value.code == "customer_required"
            assert "sign in as a customer" in err.value.message
    finally:
        provider.close()


async def test_a_checkout_without_a_key_given_fingerprints_with_the_apps_signing_key(
        app_client: httpx.AsyncClient, stores: Stores, shop: Shop, ann: Buyer) -> None:
    """A caller in the process (a job, the CLI) need not pass the key: the one read from the
    settings is the app's, so a replay through the API recognises the same request."""
    drop = await start_drop(app_client, shop, ("US",))
    body = order_in(await reserve(app_client, drop, ann))

    order = await service.checkout(stores, ann.actor, body)

    again = await post_checkout(app_client, ann, body)
    assert again.status_code == 201 and again.json()["id"] == order.id
    other = await post_checkout(app_client, ann, body.model_copy(
        update={"ship_to": body.ship_to.model_copy(update={"street": "99 Other Rd"})}))
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


# --- the reservation -----------------------------------------------------------------------------

async def test_a_reservation_no_longer_held_cannot_be_checked_out(
        app_client: httpx.AsyncClient, stores: Stores, shop: Shop, ann: Buyer) -> None:
    drop = await start_drop(app_client, shop, ("US",))
    res_id = await reserve(app_client, drop, ann)
    await sweeper.sweep(stores, now=utcnow() + timedelta(hours=2))  # the hold lapsed

    resp = await post_checkout(app_client, ann, order_in(res_id))

    assert resp.status_code == 409, resp.text
    assert (resp.json()["code"], resp.json()["detail"]) == (
        "reservation_not_held", "the reservation is expired")
    assert (await app_client.get("/api/me/orders", headers=ann.headers)).json() == []


class Rival:
    """Another checkout request that commits while this one is pricing its order (the
    moment between looking the key up and inserting the order)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch,
                 request: Callable[[], Awaitable[Order]]) -> None:
        self.request: Callable[[], Awaitable[Order]] | None = request
        self.order: Order | None = None
        real = service._quote

        async def quote_after_rival(*args: Any, **kw: Any) -> service.Quote:
            if self.request is not None:
                request, self.request = self.request, None
                self.order = await request()
            return await real(*args, **kw)

        monkeypatch.setattr(service, "_quote", quote_after_rival)


@pytest.mark.parametrize("rival_key", ["same key", "another key"])
async def test_of_two_racing_checkouts_of_one_reservation_both_answer_with_one_order(
        app_client: httpx.AsyncClient, stores: Stores, shop: Shop, ann: Buyer,
        monkeypatch: pytest.MonkeyPatch, rival_key: str) -> None:
    """A double click sends the same request twice (or, from a client that makes a key per
    click, with two keys): the one that loses the race answers with the winner's order."""
    drop = await start_drop(app_client, shop, ("US",))
    body = order_in(await reserve(app_client, drop, ann))
    rival_body = body if rival_key == "same key" else body.model_copy(
        update={"idempotency_key": idempotency_key()})
    rival = Rival(monkeypatch, lambda: service.checkout(stores, ann.actor, rival_body))

    order = await service.checkout(stores, ann.actor, body)

    assert rival.order is not None and order.id == rival.order.id
    mine = (await app_client.get("/api/me/orders", headers=ann.headers)).json()
    assert [o["id"] for o in mine] == [order.id]


async def test_a_racing_checkout_with_the_same_key_and_another_address_is_refused(
        app_client: httpx.AsyncClient, stores: Stores, shop: Shop, ann: Buyer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    drop = await start_drop(app_client, shop, ("US",))
    body = order_in(await reserve(app_client, drop, ann))
    rival = Rival(monkeypatch, lambda: service.checkout(stores, ann.actor, body))

    with pytest.raises(IdempotencyKeyReused):
        await service.checkout(stores, ann.actor, order_in(
            body.reservation_id, body.idempotency_key, ELSEWHERE))

    assert rival.order is not None
    kept = (await app_client.get(f"/api/me/orders/{rival.order.id}", headers=ann.headers))
    assert kept.json()["ship_to"]["street"] == US["street"]


# --- what the order keeps ---------------------------------------------------------------------

@pytest.mark.parametrize(("market", "title"), [("DE", "Kabellose Ohrhörer"),
                                               ("JP", "ワイヤレスイヤホン")])
async def test_the_item_is_named_as_it_is_listed_in_the_buyers_market(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings, shop: Shop,
        market: str, title: str) -> None:
    """make_shop lists the product in US, DE and JP, each under its own title."""
    buyer = await make_buyer(stores, settings, market)
    drop = await start_drop(app_client, shop, (market,), prices={"JP": "5480"})
    resp = await post_checkout(app_client, buyer, order_in(
        await reserve(app_client, drop, buyer, market), ship_to=ADDRESSES[market]))
    assert resp.status_code == 201, resp.text
    assert [i["title"] for i in resp.json()["items"]] == [title]


async def test_an_order_from_a_drop_in_a_live_room_remembers_the_room(
        app_client: httpx.AsyncClient, stores: Stores, shop: Shop, ann: Buyer) -> None:
    room = await app_client.post("/api/rooms", headers=shop.tenant.headers, json={
        "titles": {"en": "Earbuds live"}, "markets": ["US"],
        "scheduled_at": "2030-01-01T12:00:00Z"})
    assert room.status_code == 201, room.text
    room_id = room.json()["id"]
    made = await app_client.post("/api/drops", headers=shop.tenant.headers, json={
        "title": "On air", "room_id": room_id,
        "lines": [{"sku_id": shop.sku_id, "market": "US", "quantity": 3, "price": "29.00"}]})
    assert made.status_code == 201, made.text
    drop = await app_client.post(f"/api/drops/{made.json()['id']}/start",
                                 headers=shop.tenant.headers, json={"countdown_s": 0})
    assert drop.status_code == 200, drop.text

    resp = await post_checkout(app_client, ann, order_in(
        await reserve(app_client, drop.json(), ann)))

    assert resp.status_code == 201, resp.text
    assert resp.json()["room_id"] == room_id
    [created] = await outbox_events(stores, resp.json()["id"])
    assert created["room_id"] == room_id


async def test_an_auction_winners_order_is_an_auction_order_and_a_drops_a_drop_order(
        app_client: httpx.AsyncClient, stores: Stores, shop: Shop, ann: Buyer) -> None:
    made = await app_client.post("/api/auctions", headers=shop.tenant.headers, json={
        "title": "Auction", "sku_id": shop.sku_id, "warehouse_id": shop.us_west,
        "market": "US", "start_price": "10.00", "duration_s": 60})
    assert made.status_code == 201, made.text
    auction_id = made.json()["id"]
    started = await app_client.post(f"/api/auctions/{auction_id}/start",
                                    headers=shop.tenant.headers)
    assert started.status_code == 200, started.text
    bid = await app_client.post(f"/api/auctions/{auction_id}/bids", headers=ann.headers,
                                json={"amount": "20.00", "idempotency_key": idempotency_key()})
    assert bid.status_code == 201, bid.text
    async with stores.session() as s:
        auction = await auctions.get_auction(s, None, auction_id)
    assert auction.ends_at is not None
    await auctions.close_due(stores, auction.ends_at + timedelta(seconds=1))
    async with stores.session() as s:
        won = await s.scalar(select(Reservation).where(Reservation.auction_id == auction_id))
    assert won is not None

    resp = await post_checkout(app_client, ann, order_in(won.id))

    assert resp.status_code == 201, resp.text
    assert (resp.json()["source"], resp.json()["subtotal"]) == ("auction", "10.00")
    drop = await start_drop(app_client, shop, ("US",))
    from_drop = await post_checkout(app_client, ann, order_in(
        await reserve(app_client, drop, ann)))
    assert from_drop.json()["source"] == "drop"


async def outbox_events(stores: Stores, order_id: str, region: str = "us"
                        ) -> list[dict[str, Any]]:
    """The data of the webhook events announced for an order, in order."""
    async with stores.session(region) as r:
        rows = (await r.scalars(select(RegionalOutbox).order_by(RegionalOutbox.id))).all()
    return [row.payload["data"] for row in rows if row.payload["data"].get("order_id") == order_id]


async def test_the_order_created_event_names_the_units_bought_and_no_person(
        app_client: httpx.AsyncClient, stores: Stores, shop: Shop, ann: Buyer) -> None:
    drop = await start_drop(app_client, shop, ("US",))
    res_id = await reserve(app_client, drop, ann)
    resp = await post_checkout(app_client, ann, order_in(res_id))
    assert resp.status_code == 201, resp.text

    [created] = await outbox_events(stores, resp.json()["id"])

    assert created == {
        "order_id": resp.json()["id"], "status": "pending_payment", "market": "US",
        "currency": "USD", "total": resp.json()["total"], "reservation_id": res_id,
        "room_id": None, "items": [{"sku_id": shop.sku_id, "quantity": 1}]}


async def test_a_buyer_with_two_orders_reads_and_pays_each_by_its_id(
        app_client: httpx.AsyncClient, stores: Stores, shop: Shop, ann: Buyer) -> None:
    drop = await start_drop(app_client, shop, ("US",), per_buyer_limit=2)
    first, second = [
        (await post_checkout(app_client, ann, order_in(
            await reserve(app_client, drop, ann)))).json()["id"] for _ in range(2)]

    for order_id in (first, second):
        got = await app_client.get(f"/api/me/orders/{order_id}", headers=ann.headers)
        assert got.json()["id"] == order_id
    paid = await app_client.post(f"/api/orders/{second}/pay", headers=ann.headers, json={
        "card_number": SUCCEEDS, "idempotency_key": idempotency_key()})

    assert paid.status_code == 200, paid.text
    assert (paid.json()["id"], paid.json()["status"]) == (second, "paid")
    statuses = {o["id"]: o["status"] for o in
                (await app_client.get("/api/me/orders", headers=ann.headers)).json()}
    assert statuses == {first: "pending_payment", second: "paid"}
