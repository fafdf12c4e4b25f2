"""The seller's funnel from the hourly rollup: impressions → views → clicks → cart adds →
checkouts → paid per org and market, per room and per product, with conversions, GMV gross
and net, and the average order value; an hour rolled up again replaces itself (nothing
counted twice), a second run at once is refused, and bad questions get codes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from chuhai.analytics import rollup
from chuhai.analytics.funnel import HourRow, summarize
from chuhai.analytics.models import RollupLock
from chuhai.core.clock import utcnow
from chuhai.core.errors import Conflict, InvalidInput
from chuhai.crossborder.fx import RateTable
from tests.analytics.test_orders_attributed import add, checkout_and_pay
from tests.factories import ADDRESSES, buy_from_drop, make_buyer, make_shop
from tests.shop.test_cart_api import slug_of

WHEN = "2031-03-01T18:00:00Z"


def test_the_summary_gives_each_steps_conversion_and_money_in_one_currency():
    fx = RateTable()
    fx.add("USD", date(2026, 12, 1), Decimal("1.25"))
    hour = datetime(2026, 12, 1, 10, tzinfo=UTC)
    rows = [HourRow(hour, {"impressions": 100, "views": 40, "clicks": 10, "cart_adds": 5,
                           "checkouts": 4, "paid": 2, "kept": 1},
                    {"EUR": [5000, 2500], "USD": [2500, 0]})]
    out = summarize(rows, fx, "EUR")
    assert [(s["step"], s["count"], s["conversion"]) for s in out["steps"]] == [
        ("impressions", 100, None), ("views", 40, 0.4), ("clicks", 10, 0.25),
        ("cart_adds", 5, 0.5), ("checkouts", 4, 0.8), ("paid", 2, 0.5)]
    assert out["gmv_gross"] == "70.00" and out["gmv_net"] == "25.00"
    assert out["aov"] == "25.00"  # one order kept
    assert all(s["definition"] for s in out["steps"])


async def funnel(client: httpx.AsyncClient, headers: dict[str, str], **params: Any
                 ) -> httpx.Response:
    return await client.get("/api/analytics/funnel", params=params, headers=headers)


async def test_a_shops_funnel_per_market_room_and_product(stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    h = shop.tenant.headers
    slug = await slug_of(stores, shop.tenant.org_id)
    room = (await app_client.post("/api/rooms", headers=h, json={
        "titles": {"en": "Launch"}, "markets": ["DE"], "scheduled_at": WHEN,
        "run_of_show": [{"product_id": shop.product_id, "planned_minutes": 10}]})).json()
    # engagement, counted anonymously per hour: four impressions, two views, one click
    sent = await app_client.post("/api/events", json={"market": "DE", "events": [
        *[{"type": "feed.impression", "product_id": shop.product_id}] * 4,
        {"type": "product.view", "product_id": shop.product_id},
        {"type": "room.view", "room_id": room["id"]},
        {"type": "feed.click", "product_id": shop.product_id}]})
    assert sent.status_code == 200, sent.text
    # one cart order and one drop order in the room, both paid
    ann = await make_buyer(stores, settings, "DE")
    await add(app_client, slug, ann, shop.sku_id, {"channel": "feed"})
    await checkout_and_pay(app_client, slug, ann)
    drop = await app_client.post("/api/drops", headers=h, json={
        "title": "Launch drop", "room_id": room["id"], "per_buyer_limit": 1,
        "lines": [{"sku_id": shop.sku_id, "market": "DE", "quantity": 3, "price": "29.00"}]})
    started = await app_client.post(f"/api/drops/{drop.json()['id']}/start", headers=h,
                                    json={"countdown_s": 0})
    ben = await make_buyer(stores, settings, "DE")
    await buy_from_drop(app_client, started.json(), ben, ADDRESSES["DE"])

    done = await rollup.rollup(stores, utcnow() - timedelta(hours=1))
    assert done["hours"] == 2 and done["rows"] >= 3
    whole = (await funnel(app_client, h, market="DE")).json()
    counts = {s["step"]: s["count"] for s in whole["steps"]}
    assert counts == {"impressions": 4, "views": 2, "clicks": 1, "cart_adds": 2,
                      "checkouts": 2, "paid": 2}
    assert whole["currency"] == "CNY" and Decimal(whole["gmv_net"]) > 0
    assert abs(Decimal(whole["aov"]) - Decimal(whole["gmv_net"]) / 2) <= Decimal("0.01")
    in_room = (await funnel(app_client, h, scope="room", id=room["id"])).json()
    assert {s["step"]: s["count"] for s in in_room["steps"]}["paid"] == 1
    assert {s["step"]: s["count"] for s in in_room["steps"]}["views"] == 1
    product = (await funnel(app_client, h, scope="product", id=shop.product_id)).json()
    assert {s["step"]: s["count"] for s in product["steps"]}["paid"] == 2

    # rolled up again: the same hours replaced, nothing counted twice
    await rollup.rollup(stores, utcnow() - timedelta(hours=1))
    assert (await funnel(app_client, h, market="DE")).json()["steps"] == whole["steps"]

    # another seller's room is not found; bad questions have codes
    other = await make_shop(stores, settings, app_client)
    theirs = await funnel(app_client, other.tenant.headers, scope="room", id=room["id"])
    assert (theirs.status_code, theirs.json()["code"]) == (404, "scope_not_found")
    for params, code in (({"scope": "room"}, "bad_scope"), ({"id": room["id"]}, "bad_scope"),
                         ({"market": "ZZ"}, "unknown_market"),
                         ({"from": "2026-12-05", "to": "2026-12-01"}, "bad_period"),
                         ({"scope": "planet", "id": "x"}, None)):
        bad = await funnel(app_client, h, **params)
        assert bad.status_code == 422, (params, bad.text)
        if code:
            assert bad.json()["code"] == code


async def test_a_second_rollup_at_once_is_refused_and_a_dead_ones_lock_lapses(stores):
    async with stores.session() as s:
        s.add(RollupLock(name="funnel", holder="other", until=utcnow() + timedelta(minutes=5)))
        await s.commit()
    with pytest.raises(Conflict) as err:
        await rollup.rollup(stores, utcnow() - timedelta(hours=1))
    assert err.value.code == "rollup_running"
    # the holder died: its lock lapses and the next run takes it
    later = utcnow() + timedelta(minutes=20)
    done = await rollup.rollup(stores, later - timedelta(hours=1), now=later)
    assert done["hours"] == 2
    with pytest.raises(InvalidInput) as bad:
        await rollup.rollup(stores, utcnow(), utcnow() - timedelta(days=1))
    assert bad.value.code == "bad_period"
    with pytest.raises(InvalidInput):
        await rollup.rollup(stores, utcnow() - timedelta(days=200))
