"""Residency: a customer's personal data is written only to the store of their home region.
Customers of several regions sign up, chat and buy through the real app; then every store
is scanned (SQLite files byte by byte, PostgreSQL tables row by row) and each customer's
name, e-mail and address are found in their own region's store and nowhere else."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from chuhai.accounts.models import Customer
from tests.checkout.test_flow_api import key
from tests.factories import ADDRESSES, make_buyer, make_shop
from tests.privacy.scan import where_stored


async def test_each_customers_data_lives_only_in_their_home_region(real, settings):
    stores, client = real
    shop = await make_shop(stores, settings, client)
    people = {}
    for country, region, market in (("DE", "eu", "DE"), ("US", "us", "US"),
                                    ("JP", "apac", "JP")):
        tag = uuid.uuid4().hex[:10]
        buyer = await make_buyer(stores, settings, country)
        name, email, street = f"Name{tag}", f"mail{tag}@example.org", f"Street{tag}"
        async with stores.session(region) as s:
            c = await s.scalar(select(Customer).where(Customer.id == buyer.actor.subject_id))
            assert c is not None, f"{country} customer not in {region}"
            c.display_name, c.email = name, email
            await s.commit()
        drop = (await client.post("/api/drops", headers=shop.tenant.headers, json={
            "title": f"Drop {tag}", "per_buyer_limit": 2,
            "lines": [{"sku_id": shop.sku_id, "market": market, "quantity": 2,
                       "price": "5480" if market == "JP" else "29.00"}]})).json()
        drop = (await client.post(f"/api/drops/{drop['id']}/start",
                                  headers=shop.tenant.headers, json={"countdown_s": 0})).json()
        res = await client.post(f"/api/drops/{drop['id']}/reserve", headers=buyer.headers,
                                json={"line_id": drop["lines"][0]["id"], "quantity": 1,
                                      "idempotency_key": key()})
        assert res.status_code == 201, res.text
        order = await client.post("/api/checkout", headers=buyer.headers, json={
            "reservation_id": res.json()["id"], "idempotency_key": key(),
            "ship_to": {**ADDRESSES[country], "name": name, "street": street}})
        assert order.status_code == 201, order.text
        people[region] = [name, email, street]
    for region, needles in people.items():
        found = await where_stored(stores, settings, needles)
        stores_holding = {store for store, _ in found}
        assert stores_holding == {region}, (region, found)
        assert {n for _, n in found} == set(needles)  # and all of it is there
