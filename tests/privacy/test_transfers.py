"""The transfer register (privacy/transfers.py over rules/privacy/transfers.toml).

Rules: every regime any market profile uses names a lawful mechanism for every destination
region other than its own (a row for that region, else the regime's "*" default); a row
with an unknown mechanism or without a source is refused.

Counting: when a seller's staff member, working in the org's home region, reads a buyer
stored in another region (the order list, one order), the buyer is counted once per year
and flow in ``transfer_people`` however often they are read; reads inside one region are
not transfers. ``register()`` and the office API show each flow with its people, market,
regimes and mechanisms, and a PIPL volume alert once a threshold is reached."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from chuhai.core.clock import utcnow
from chuhai.markets.profiles import default_profiles
from chuhai.privacy import access, transfers
from chuhai.privacy.models import TransferPerson
from chuhai.privacy.transfers import Threshold, TransferRulesError, mechanism, parse
from tests.factories import (
    Buyer,
    Shop,
    buy_from_drop,
    make_buyer,
    make_platform_staff,
    make_shop,
    make_tenant,
    start_drop,
)

REGIONS = ("us", "eu", "apac", "cn", "me")


# --- the rules -------------------------------------------------------------------------------

@pytest.mark.parametrize("market", sorted(default_profiles()))
def test_every_regime_of_a_market_has_a_mechanism_for_every_other_region(market):
    profile = default_profiles()[market]
    missing = [(r.id, region) for r in profile.privacy_regimes for region in REGIONS
               if region != profile.region_store and mechanism(r.id, region) is None]
    assert missing == []


def test_a_destination_row_wins_over_the_regimes_default():
    assert mechanism("GDPR", "us").id == "transfer.gdpr.us"
    assert mechanism("GDPR", "cn").id == "transfer.gdpr.any"
    assert mechanism("GDPR", "cn").to_region == "*"
    assert mechanism("NO_SUCH_REGIME", "eu") is None


FLOW = """
[[flow]]
id = "transfer.test.any"
regime = "TEST"
to_region = "*"
mechanism = "scc"
source = ["https://example.org/law"]
effective_from = 2021-01-01
confidence = "high"
"""


def test_a_well_formed_flow_parses():
    (flow,), thresholds = parse(FLOW)
    assert (flow.regime, flow.to_region, flow.mechanism) == ("TEST", "*", "scc")
    assert thresholds == []


@pytest.mark.parametrize(("text", "problem"), [
    (FLOW.replace('"scc"', '"handshake"'), "mechanism"),
    (FLOW.replace('source = ["https://example.org/law"]\n', ""), "source"),
    (FLOW.replace("https://example.org/law", "example.org/law"), "source"),
    (FLOW.replace('confidence = "high"', 'confidence = "certain"'), "confidence"),
    (FLOW + FLOW.replace("transfer.test.any", "transfer.test.again"), "a second row"),
    ("[[threshold]]\nid = 't'\nregime = 'PIPL'\npeople_per_year = 0\n"
     "source = ['https://example.org']\neffective_from = 2024-01-01\n", "people_per_year"),
], ids=["unknown-mechanism", "no-source", "non-http-source", "bad-confidence", "duplicate",
        "zero-threshold"])
def test_parse_refuses_a_malformed_row(text, problem):
    with pytest.raises(TransferRulesError, match=problem):
        parse(text)


# --- counting the people a flow carries ------------------------------------------------------

@pytest.fixture
async def de_order(stores, settings, app_client) -> tuple[Shop, Buyer, str]:
    """A DE buyer (stored in eu) with an order from a seller based in CN (staff in cn)."""
    shop = await make_shop(stores, settings, app_client)
    buyer = await make_buyer(stores, settings, "DE")
    drop = await start_drop(app_client, shop)
    order_id = await buy_from_drop(app_client, drop, buyer, {
        "name": "Lena", "street": "Unter den Linden 1", "city": "Berlin",
        "postal_code": "10117", "country": "DE"}, pay=False)
    assert shop.tenant.actor.region == "cn" and buyer.actor.region == "eu"
    return shop, buyer, order_id


async def _rows_of(stores, subject: str) -> list[tuple[Any, ...]]:
    async with stores.session() as s:
        rows = (await s.scalars(select(TransferPerson).where(
            TransferPerson.subject_id == subject))).all()
    return [(r.year, r.from_region, r.to_region, r.market) for r in rows]


async def _register_row(stores, src: str, dst: str, market: str
                        ) -> transfers.RegisterRow | None:
    async with stores.session() as s:
        rows = await transfers.register(s, year=utcnow().year)
    found = [r for r in rows if (r.from_region, r.to_region, r.market) == (src, dst, market)]
    assert len(found) <= 1
    return found[0] if found else None


async def _read_orders(client: httpx.AsyncClient, shop: Shop, order_id: str) -> None:
    for url in ("/api/orders", "/api/orders", f"/api/orders/{order_id}"):
        resp = await client.get(url, headers=shop.tenant.headers)
        assert resp.status_code == 200, resp.text


async def test_a_buyer_read_from_another_region_is_counted_once_per_year_and_flow(
        stores, app_client, de_order):
    shop, buyer, order_id = de_order
    me = buyer.actor.subject_id
    assert await _rows_of(stores, me) == []  # buying is no transfer
    await _read_orders(app_client, shop, order_id)
    assert await _rows_of(stores, me) == [(utcnow().year, "eu", "cn", "DE")]


async def test_the_register_shows_the_flow_with_its_people_regimes_and_mechanism(
        stores, app_client, de_order):
    shop, _buyer, order_id = de_order
    before = await _register_row(stores, "eu", "cn", "DE")
    await _read_orders(app_client, shop, order_id)
    row = await _register_row(stores, "eu", "cn", "DE")
    assert row is not None
    assert row.people == (before.people if before else 0) + 1
    assert row.regimes == ["GDPR"] and row.alerts == []
    assert [(f.id, f.regime, f.mechanism) for f in row.flows] == [
        ("transfer.gdpr.any", "GDPR", "scc")]


async def test_the_office_api_lists_the_flow_and_every_mechanism(
        stores, settings, app_client, de_order):
    shop, _buyer, order_id = de_order
    await _read_orders(app_client, shop, order_id)
    officer = await make_platform_staff(stores, settings)
    resp = await app_client.get("/api/privacy/office/transfers", headers=officer.headers,
                                params={"year": utcnow().year})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    (flow,) = [f for f in body["flows"]
               if (f["from_region"], f["to_region"], f["market"]) == ("eu", "cn", "DE")]
    assert flow["people"] >= 1 and flow["regimes"] == ["GDPR"]
    assert [m["rule"] for m in flow["mechanisms"]] == ["transfer.gdpr.any"]
    assert flow["mechanisms"][0]["sources"]
    assert len(body["mechanisms"]) == len(transfers.catalogue())
    other_year = await app_client.get("/api/privacy/office/transfers",
                                      headers=officer.headers, params={"year": 2001})
    assert other_year.json()["flows"] == []


async def test_reads_inside_one_region_are_not_transfers(stores, settings):
    staff = await make_tenant(stores, settings, country="DE")
    local = await make_buyer(stores, settings, "FR")
    remote = await make_buyer(stores, settings, "CN")
    people = [(b.actor.subject_id, b.actor.region) for b in (local, remote)]
    await access.record(stores, staff.actor, what="orders", subjects=people,
                        markets={local.actor.subject_id: "FR", remote.actor.subject_id: "CN"})
    assert await _rows_of(stores, local.actor.subject_id) == []
    assert await _rows_of(stores, remote.actor.subject_id) == [
        (utcnow().year, "cn", "eu", "CN")]


# --- PIPL volume thresholds ------------------------------------------------------------------

@pytest.fixture
async def cn_buyer_read_from_eu(stores, settings) -> str:
    staff = await make_tenant(stores, settings, country="DE")
    buyer = await make_buyer(stores, settings, "CN")
    me = buyer.actor.subject_id
    await access.record(stores, staff.actor, what="order", subjects=[(me, "cn")],
                        markets={me: "CN"})
    return me


async def test_a_pipl_alert_appears_once_the_threshold_is_reached(
        stores, monkeypatch, cn_buyer_read_from_eu):
    flows, thresholds = transfers.load()
    low = Threshold("transfer.pipl.threshold.test", "PIPL", 1, "pipl_standard_contract",
                    False, ("https://example.org/pipl",), dt.date(2024, 3, 22))
    monkeypatch.setattr(transfers, "load", lambda: (flows, [*thresholds, low]))
    row = await _register_row(stores, "cn", "eu", "CN")
    assert row is not None and row.regimes == ["PIPL"]
    assert [f.id for f in row.flows] == [mechanism("PIPL", "eu").id]
    (alert,) = row.alerts
    assert alert.startswith("PIPL: ") and alert.endswith("→ pipl_standard_contract")
    assert f" from CN in {utcnow().year} ≥ 1 " in alert


async def test_below_the_real_thresholds_a_pipl_flow_raises_no_alert(
        stores, cn_buyer_read_from_eu):
    # the sensitive-data thresholds (from 1 person) do not apply to ordinary order data
    assert any(t.sensitive and t.people_per_year == 1 for t in transfers.load()[1])
    row = await _register_row(stores, "cn", "eu", "CN")
    assert row is not None and row.people >= 1 and row.alerts == []

