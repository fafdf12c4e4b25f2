"""A live room's sales for the host console: paid orders, units and GMV per SKU, gross and
net of what was undone, in the seller's reporting currency, with the stock left per
warehouse — counts and sums only, for the room's own org."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from chuhai.analytics.room_sales import Sold, tally
from chuhai.crossborder.fx import RateTable
from tests.analytics.test_orders_attributed import add, checkout_and_pay
from tests.factories import ADDRESSES, buy_from_drop, make_buyer, make_shop
from tests.shop.test_cart_api import slug_of

WHEN = "2031-03-01T18:00:00Z"


def test_the_tally_counts_gross_and_net_per_sku_in_one_currency():
    fx = RateTable()
    fx.add("USD", date(2026, 12, 1), Decimal("1.25"))
    at = datetime(2026, 12, 2, tzinfo=UTC)
    orders = [
        Sold("paid", "EUR", at, [{"sku_id": "sku_a", "quantity": 2,
                                  "unit_price_minor": 1000}], 2490),
        Sold("refunded", "USD", at, [{"sku_id": "sku_a", "quantity": 1,
                                      "unit_price_minor": 2500}], 2500),
        Sold("delivered", "KWD", at, [{"sku_id": "sku_b", "quantity": 1,
                                       "unit_price_minor": 5000}], 5000),
    ]
    out = tally(orders, fx, "EUR")
    assert (out["orders"], out["net_orders"], out["units"]) == (3, 2, 4)
    assert out["gmv_gross"] == "44.90" and out["gmv_net"] == "24.90"  # 24.90 + 25 USD/1.25
    assert out["aov_net"] == "12.45"  # 24.90 over the two orders not undone
    assert out["skus"]["sku_a"] == {"orders": 2, "units": 3, "gmv_gross": "40.00",
                                    "gmv_net": "20.00"}
    assert out["unconverted_currencies"] == ["KWD"]  # counted, not converted
    assert out["by_currency"] == {"EUR": "24.90", "KWD": "5.000", "USD": "25.00"}


async def test_the_host_sees_the_rooms_sales_and_the_stock_left(stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    h = shop.tenant.headers
    room = await app_client.post("/api/rooms", headers=h, json={
        "titles": {"en": "Launch"}, "markets": ["DE"], "scheduled_at": WHEN,
        "run_of_show": [{"product_id": shop.product_id, "planned_minutes": 10}]})
    assert room.status_code == 201, room.text
    room_id = room.json()["id"]
    before = (await app_client.get(f"/api/rooms/{room_id}/sales", headers=h)).json()
    assert before["orders"] == 0 and before["gmv_net"] == "0.00"
    assert [k["sku_id"] for k in before["skus"]] == [shop.sku_id]  # on the run of show
    available = {w["warehouse"]: w["available"] for w in before["skus"][0]["stock"]}

    drop = await app_client.post("/api/drops", headers=h, json={
        "title": "Launch drop", "room_id": room_id, "per_buyer_limit": 2,
        "lines": [{"sku_id": shop.sku_id, "market": "DE", "quantity": 3, "price": "29.00"}]})
    assert drop.status_code == 201, drop.text
    started = await app_client.post(f"/api/drops/{drop.json()['id']}/start", headers=h,
                                    json={"countdown_s": 0})
    for _ in range(2):
        buyer = await make_buyer(stores, settings, "DE")
        await buy_from_drop(app_client, started.json(), buyer, ADDRESSES["DE"])
    # a buyer who had bought from the shop before comes back in the room
    regular = await make_buyer(stores, settings, "DE")
    slug = await slug_of(stores, shop.tenant.org_id)
    await add(app_client, slug, regular, shop.sku_id, {"channel": "browse"})
    await checkout_and_pay(app_client, slug, regular)
    await buy_from_drop(app_client, started.json(), regular, ADDRESSES["DE"])
    after = (await app_client.get(f"/api/rooms/{room_id}/sales", headers=h)).json()
    assert (after["orders"], after["net_orders"], after["units"]) == (3, 3, 3)
    assert after["buyers"] == {"new": 2, "returning": 1}
    assert after["currency"] == "CNY" and Decimal(after["gmv_net"]) > 0
    assert Decimal(after["aov_net"]) == (Decimal(after["gmv_net"]) / 3).quantize(
        Decimal("0.01"))
    sku = after["skus"][0]
    assert (sku["orders"], sku["units"]) == (3, 3)
    # the drop's three units were set aside when it was made; the cart order took one more
    left = {w["warehouse"]: w["available"] for w in sku["stock"]}
    assert sum(left.values()) == sum(available.values()) - 4

    other = await make_shop(stores, settings, app_client)
    hidden = await app_client.get(f"/api/rooms/{room_id}/sales", headers=other.tenant.headers)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "room_not_found")
    unknown = await app_client.get("/api/rooms/room_nosuchroom/sales", headers=h)
    assert unknown.status_code == 404
    buyer = await make_buyer(stores, settings, "DE")
    assert (await app_client.get(f"/api/rooms/{room_id}/sales",
                                 headers=buyer.headers)).status_code == 403
