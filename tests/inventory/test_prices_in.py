"""Prices of drops and auctions pass the one money parser at the field: an amount the
market's currency cannot hold exactly, or one too large to be money, is a 422 on that field
(never a 500), and an exact amount with trailing zeros is accepted."""

from __future__ import annotations

import pytest

from tests.factories import make_shop

BIG = "1234567890123456789"


@pytest.fixture
async def shop(stores, settings, app_client):
    return await make_shop(stores, settings, app_client)


def _drop(shop, market: str, price: str) -> dict:
    return {"title": "Blitz", "per_buyer_limit": 1,
            "lines": [{"sku_id": shop.sku_id, "market": market, "quantity": 1,
                       "price": price}]}


@pytest.mark.parametrize(("market", "price"), [("JP", "3.7"), ("US", "1.001"), ("US", BIG)])
async def test_a_drop_price_the_currency_cannot_hold_is_422_on_the_field(
        app_client, shop, market, price):
    resp = await app_client.post("/api/drops", headers=shop.tenant.headers,
                                 json=_drop(shop, market, price))
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "invalid_input"
    assert [e["field"] for e in resp.json()["errors"]] == ["lines.0.price"]


async def test_trailing_zeros_in_yen_are_an_exact_price(app_client, shop):
    resp = await app_client.post("/api/drops", headers=shop.tenant.headers,
                                 json=_drop(shop, "JP", "2980.00"))
    assert resp.status_code == 201, resp.text
    assert resp.json()["lines"][0]["price"] == "2980"


@pytest.mark.parametrize("field", ["start_price", "reserve_price"])
@pytest.mark.parametrize("price", ["3.7", BIG])
async def test_an_auction_price_the_currency_cannot_hold_is_422_on_the_field(
        app_client, shop, field, price):
    body = {"title": "Auktion", "sku_id": shop.sku_id, "warehouse_id": shop.origin,
            "market": "JP", "start_price": "1000", field: price}
    resp = await app_client.post("/api/auctions", headers=shop.tenant.headers, json=body)
    assert resp.status_code == 422, resp.text
    assert [e["field"] for e in resp.json()["errors"]] == [field]


async def test_auction_increments_are_checked_too(app_client, shop):
    body = {"title": "Auktion", "sku_id": shop.sku_id, "warehouse_id": shop.origin,
            "market": "JP", "start_price": "1000", "increments": [["0", "10.5"]]}
    resp = await app_client.post("/api/auctions", headers=shop.tenant.headers, json=body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["field"].startswith("increments")
