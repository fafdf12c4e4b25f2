"""A SKU's demand after the streams, over HTTP: units paid per day (zeros included), the
forecast with its interval, the seller's scheduled rooms as known events, and per overseas
warehouse serving the market a reorder suggestion for its restock lead time — the seller's
own, else the sourced sea lane from the seller's origin, named — or why not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import ADDRESSES, buy_from_drop, make_buyer, make_shop, start_drop


async def test_a_skus_forecast_and_what_to_reorder(stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    h = shop.tenant.headers
    drop = await start_drop(app_client, shop, ("DE",), quantity=5)
    for _ in range(2):
        buyer = await make_buyer(stores, settings, "DE")
        await buy_from_drop(app_client, drop, buyer, ADDRESSES["DE"])
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    room = await app_client.post("/api/rooms", headers=h, json={
        "titles": {"en": "Next"}, "markets": ["DE"], "scheduled_at": tomorrow.isoformat()})
    assert room.status_code == 201
    got = await app_client.get("/api/demand/forecast", headers=h,
                               params={"sku_id": shop.sku_id, "market": "de", "horizon": 28})
    assert got.status_code == 200, got.text
    out = got.json()
    assert out["market"] == "DE" and len(out["history"]) == 90 and len(out["forecast"]) == 28
    assert sum(d["y"] for d in out["history"]) == 0  # today's sales are not a whole day yet
    assert out["events"] == [tomorrow.date().isoformat()]
    assert all(p["lo80"] <= p["yhat"] <= p["hi80"] for p in out["forecast"])
    (de,) = [w for w in out["warehouses"] if w["warehouse_id"] == shop.de]
    # no lead time of its own: the sea lane from Shenzhen (CN) to Germany, its upper end
    assert (de["lead_from"], de["restock_lead_days"]) == ("lane", None)
    assert de["lane"]["from"] == "CN" and de["lane"]["basis"] == "door-to-door"
    assert de["reorder"]["lead_days"] == de["lane"]["days"][1] and de["lane"]["source"]
    set_lead = await app_client.patch(f"/api/warehouses/{shop.de}", headers=h,
                                      json={"restock_lead_days": 21})
    assert set_lead.status_code == 200 and set_lead.json()["restock_lead_days"] == 21
    out = (await app_client.get("/api/demand/forecast", headers=h, params={
        "sku_id": shop.sku_id, "market": "DE", "horizon": 60})).json()
    (de,) = [w for w in out["warehouses"] if w["warehouse_id"] == shop.de]
    assert (de["lead_from"], de["lane"]) == ("warehouse", None)  # the seller's own wins
    assert de["reorder"]["lead_days"] == 21 and de["reorder"]["covered_days"] == 28
    assert de["reorder"]["order"] >= 0 and de["available"] > 0


async def test_bad_questions_get_codes(stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    other = await make_shop(stores, settings, app_client)
    h = shop.tenant.headers
    theirs = await app_client.patch(f"/api/warehouses/{other.de}", headers=h,
                                    json={"restock_lead_days": 10})
    assert (theirs.status_code, theirs.json()["code"]) == (404, "warehouse_not_found")
    for bad in ({"restock_lead_days": 0}, {"restock_lead_days": 400}, {}, {"x": 1}):
        got = await app_client.patch(f"/api/warehouses/{shop.de}", headers=h, json=bad)
        assert got.status_code == 422, (bad, got.text)
    for params, status, code in (
            ({"sku_id": other.sku_id, "market": "DE"}, 404, "sku_not_found"),
            ({"sku_id": shop.sku_id, "market": "ZZ"}, 422, "unknown_market"),
            ({"sku_id": shop.sku_id, "market": "DE", "horizon": 366}, 422, None),
            ({"sku_id": shop.sku_id, "market": "DE", "service": 1.5}, 422, None),
            ({"market": "DE"}, 422, None)):
        got = await app_client.get("/api/demand/forecast", headers=h, params=params)
        assert got.status_code == status, (params, got.text)
        if code:
            assert got.json()["code"] == code


async def test_without_a_lead_time_or_a_sourced_lane_it_says_what_is_missing(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    h = shop.tenant.headers
    jp = await app_client.post("/api/warehouses", headers=h, json={
        "code": "JP-1", "name": "Osaka", "kind": "overseas", "country": "JP",
        "lanes": {"JP": {"min_days": 1, "max_days": 2, "cost": "500"}}})
    assert jp.status_code == 201, jp.text
    out = (await app_client.get("/api/demand/forecast", headers=h, params={
        "sku_id": shop.sku_id, "market": "JP"})).json()
    (row,) = [w for w in out["warehouses"] if w["warehouse"] == "JP-1"]
    assert row["reorder"] is None and row["lead_from"] is None
    assert "restock lead time" in row["reason"] and "CN to JP" in row["reason"]
