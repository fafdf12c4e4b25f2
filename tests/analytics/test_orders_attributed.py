"""Every order carries its last touch — the surface the buyer's path began on, passed by
the page with the cart add — and, with analytics consent, its touchpoints; the channels
report groups paid orders as interest, search or direct, per market and week, in the
org's reporting currency."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from chuhai.checkout.models import Order
from chuhai.core.db import Stores
from chuhai.shop.models import Cart
from tests.factories import ADDRESSES, buy_from_drop, make_buyer, make_shop, start_drop
from tests.shop.test_cart_api import slug_of


def key() -> str:
    return f"k-{uuid.uuid4().hex}"


async def add(client: httpx.AsyncClient, slug: str, buyer: Any, sku_id: str,
              touch: dict[str, Any] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"sku_id": sku_id, "quantity": 1, "idempotency_key": key()}
    if touch is not None:
        body["touch"] = touch
    return await client.post(f"/api/shop/{slug}/cart/items", headers=buyer.headers, json=body)


async def checkout_and_pay(client: httpx.AsyncClient, slug: str, buyer: Any,
                           country: str = "DE") -> dict[str, Any]:
    order = await client.post(f"/api/shop/{slug}/checkout", headers=buyer.headers,
                              json={"ship_to": ADDRESSES[country], "idempotency_key": key()})
    assert order.status_code == 201, order.text
    paid = await client.post(f"/api/orders/{order.json()['id']}/pay", headers=buyer.headers,
                             json={"card_number": "4242424242424242",
                                   "idempotency_key": key()})
    assert paid.status_code == 200, paid.text
    return dict(order.json())


async def stored(stores: Stores, region: str, order_id: str) -> Order:
    async with stores.session(region) as r:
        found = await r.get(Order, order_id)
    assert found is not None
    return found


async def test_an_order_from_the_feed_is_attributed_to_the_feed_and_the_cart_forgets_it(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    slug = await slug_of(stores, shop.tenant.org_id)
    lena = await make_buyer(stores, settings, "DE")
    assert (await add(app_client, slug, lena, shop.sku_id,
                      {"channel": "feed", "item_id": "vid_feedclip1"})).status_code == 200
    order = await checkout_and_pay(app_client, slug, lena)
    o = await stored(stores, lena.actor.region, order["id"])
    assert o.channel == "feed" and o.touch == {"channel": "feed", "item_id": "vid_feedclip1"}
    # DE is opt-in for analytics and Lena has not agreed: no touchpoints, the last touch only
    assert o.touchpoints is None
    async with stores.session() as s:
        cart = await s.scalar(select(Cart).where(Cart.buyer_id == lena.actor.subject_id))
    assert cart is not None and cart.touch is None  # the next order starts from nothing


async def test_the_last_add_wins_a_quantity_change_keeps_it_and_no_touch_is_direct(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    slug = await slug_of(stores, shop.tenant.org_id)
    ben = await make_buyer(stores, settings, "DE")
    await add(app_client, slug, ben, shop.sku_id, {"channel": "feed"})
    await add(app_client, slug, ben, shop.sku_id, {
        "channel": "external", "utm": {"utm_source": "newsletter", "utm_campaign": "w26"}})
    changed = await app_client.put(f"/api/shop/{slug}/cart/items/{shop.sku_id}",
                                   headers=ben.headers,
                                   json={"quantity": 1, "idempotency_key": key()})
    assert changed.status_code == 200, changed.text
    order = await checkout_and_pay(app_client, slug, ben)
    o = await stored(stores, ben.actor.region, order["id"])
    assert o.channel == "external"
    assert o.touch == {"channel": "external",
                       "utm": {"utm_source": "newsletter", "utm_campaign": "w26"}}

    api_only = await make_buyer(stores, settings, "DE")
    await add(app_client, slug, api_only, shop.sku_id)
    order = await checkout_and_pay(app_client, slug, api_only)
    assert (await stored(stores, api_only.actor.region, order["id"])).channel == "direct"


async def test_a_drop_bought_in_the_live_room_is_attributed_to_live(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    drop = await start_drop(app_client, shop)
    buyer = await make_buyer(stores, settings, "DE")
    order_id = await buy_from_drop(app_client, drop, buyer, ADDRESSES["DE"])
    assert (await stored(stores, buyer.actor.region, order_id)).channel == "live"


async def test_a_bad_touch_is_refused_with_a_code_and_the_cart_is_unchanged(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    slug = await slug_of(stores, shop.tenant.org_id)
    mia = await make_buyer(stores, settings, "DE")
    for touch, code in (
            ({"channel": "feed", "utm": {"utm_source": "x"}}, "bad_touch"),
            ({"channel": "tv"}, None), ({"channel": "feed", "item_id": "<script>"}, None),
            ({"channel": "external", "utm": {"utm_source": "x" * 101}}, None),
            ({"channel": "external", "utm": {"utm_source": "ann@example.com"}}, None),
            ({"channel": "feed", "extra": True}, None), ("feed", None)):
        resp = await add(app_client, slug, mia, shop.sku_id, touch)  # type: ignore[arg-type]
        assert resp.status_code == 422, (touch, resp.text)
        if code:
            assert resp.json()["code"] == code
    cart = (await app_client.get(f"/api/shop/{slug}/cart", headers=mia.headers)).json()
    assert cart["lines"] == []


async def test_with_analytics_consent_the_order_keeps_its_touchpoints(
        stores, settings, app_client):
    """A US customer (CCPA: analytics is opt-out) clicked a feed item and watched a video
    before searching and buying: the path is feed, video, search."""
    shop = await make_shop(stores, settings, app_client)
    slug = await slug_of(stores, shop.tenant.org_id)
    ann = await make_buyer(stores, settings, "US")
    sent = await app_client.post("/api/events", headers=ann.headers, json={
        "market": "US", "events": [{"type": "feed.click", "video_id": "vid_abcdefgh"},
                                   {"type": "video.view", "video_id": "vid_abcdefgh"},
                                   {"type": "product.view", "product_id": "prd_abcdefgh"}]})
    assert sent.json()["mode"] == "full", sent.text
    await add(app_client, slug, ann, shop.sku_id, {"channel": "search"})
    order = await checkout_and_pay(app_client, slug, ann, "US")
    o = await stored(stores, ann.actor.region, order["id"])
    assert o.channel == "search"
    assert o.touchpoints is not None
    assert [(t["channel"], t["kind"]) for t in o.touchpoints] == [
        ("feed", "click"), ("video", "view"), ("search", "click")]

    report = await app_client.get("/api/analytics/channels?market=US&model=linear",
                                  headers=shop.tenant.headers)
    assert report.status_code == 200, report.text
    r = report.json()
    assert r["orders"] == 1 and r["only_last_touch"] == 0 and r["currency"] == "CNY"
    shares = {row["channel"]: row["orders"] for row in r["rows"]}
    assert shares == {"feed": 0.333, "video": 0.333, "search": 0.333}
    groups = {g["group"]: g["orders"] for g in r["groups"]}
    assert groups == {"interest": 0.667, "search": 0.333, "direct": 0.0}


async def test_the_channels_report_groups_paid_orders_by_market_week_and_channel(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    slug = await slug_of(stores, shop.tenant.org_id)
    for touch in ({"channel": "feed"}, {"channel": "video"}, {"channel": "search"},
                  {"channel": "browse"}, None):
        buyer = await make_buyer(stores, settings, "DE")
        await add(app_client, slug, buyer, shop.sku_id, touch)
        await checkout_and_pay(app_client, slug, buyer)
    unpaid = await make_buyer(stores, settings, "DE")
    await add(app_client, slug, unpaid, shop.sku_id, {"channel": "feed"})
    placed = await app_client.post(f"/api/shop/{slug}/checkout", headers=unpaid.headers,
                                   json={"ship_to": ADDRESSES["DE"], "idempotency_key": key()})
    assert placed.status_code == 201  # placed, never paid: not in the report

    r = (await app_client.get("/api/analytics/channels?market=DE",
                              headers=shop.tenant.headers)).json()
    assert r["model"] == "last_touch" and r["orders"] == 5 and r["only_last_touch"] == 5
    groups = {g["group"]: g["orders"] for g in r["groups"]}
    assert groups == {"interest": 2.0, "search": 2.0, "direct": 1.0}
    assert {row["channel"] for row in r["rows"]} == {"feed", "video", "search", "browse",
                                                     "direct"}
    one = next(row for row in r["rows"] if row["channel"] == "feed")
    assert one["market"] == "DE" and one["group"] == "interest"
    assert float(one["gmv"]) > 0 and "ECB" in r["fx_note"]

    # another seller sees none of it; bad parameters are refused with codes
    other = await make_shop(stores, settings, app_client)
    theirs = (await app_client.get("/api/analytics/channels",
                                   headers=other.tenant.headers)).json()
    assert theirs["orders"] == 0
    for query, code in (("model=time_decay", None), ("from=2026-12-01&to=2026-01-01",
                                                     "bad_period"),
                        ("from=2020-01-01&to=2026-01-01", "bad_period"), ("market=DEU", None),
                        ("to=9999-12-31", "bad_period"), ("to=0001-01-05", "bad_period")):
        bad = await app_client.get(f"/api/analytics/channels?{query}",
                                   headers=shop.tenant.headers)
        assert bad.status_code == 422, (query, bad.text)
        if code:
            assert bad.json()["code"] == code
    buyer_asks = await app_client.get("/api/analytics/channels", headers=unpaid.headers)
    assert buyer_asks.status_code == 403


async def test_the_reporting_currency_and_windows_are_the_sellers_to_set(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    h = shop.tenant.headers
    assert (await app_client.get("/api/analytics/settings", headers=h)).json() == {
        "click_days": 7, "view_days": 1, "reporting_currency": "CNY"}  # a Chinese seller
    changed = await app_client.patch("/api/analytics/settings", headers=h, json={
        "click_days": 14, "view_days": 2, "reporting_currency": "USD"})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"click_days": 14, "view_days": 2, "reporting_currency": "USD"}
    for body, code in (({"view_days": 30}, "bad_window"),
                       ({"reporting_currency": "XTS"}, "currency_unsupported"),
                       ({"click_days": 0}, None), ({"click_days": 1.5}, None)):
        bad = await app_client.patch("/api/analytics/settings", headers=h, json=body)
        assert bad.status_code == 422, (body, bad.text)
        if code:
            assert bad.json()["code"] == code
