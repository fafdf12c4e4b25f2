"""``POST /api/marketing/campaigns``: a seller writes to its past buyers, and only those
whose marketing consent allows it get a queued message.

One shop, four buyers who each ordered through the API: DE buyer A granted marketing, DE
buyer B made no choice (GDPR: opt-in, so no), US buyer C made no choice (CCPA: opt-out, so
yes), US buyer D refused. A campaign for DE and US queues two messages — A's in the ``eu``
store, C's in the ``us`` store — and counts the two left out by reason; nothing at all is
written for B or D. The send is audited; only staff who may sell can send, and an empty
text or an unknown market is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from chuhai.core.actor import Role
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.marketing.models import MarketingMessage
from chuhai.privacy.models import AuditEntry
from tests.factories import (
    Buyer,
    Shop,
    add_staff,
    buy_from_drop,
    make_buyer,
    make_shop,
    start_drop,
)

ADDRESSES = {
    "DE": {"name": "Lena K", "street": "Unter den Linden 1", "city": "Berlin",
           "postal_code": "10117", "country": "DE"},
    "US": {"name": "Ann B", "street": "1 Main St", "city": "Portland", "region": "OR",
           "postal_code": "97201", "country": "US"},
}


@dataclass
class Audience:
    shop: Shop
    a: Buyer  # DE, granted
    b: Buyer  # DE, no choice
    c: Buyer  # US, no choice
    d: Buyer  # US, refused

    def id(self, who: str) -> str:
        return str(getattr(self, who).actor.subject_id)


async def choose(client: httpx.AsyncClient, buyer: Buyer, **choices: Any) -> None:
    resp = await client.post("/api/privacy/consent", headers=buyer.headers, json=choices)
    assert resp.status_code == 200, resp.text


@pytest.fixture
async def audience(stores: Stores, settings: Settings, app_client: httpx.AsyncClient
                   ) -> Audience:
    shop = await make_shop(stores, settings, app_client)
    drop = await start_drop(app_client, shop, ("DE", "US"), quantity=5, per_buyer_limit=1)
    people = [await make_buyer(stores, settings, c) for c in ("DE", "DE", "US", "US")]
    for buyer, market in zip(people, ("DE", "DE", "US", "US"), strict=True):
        await buy_from_drop(app_client, drop, buyer, ADDRESSES[market])
    a, b, c, d = people
    await choose(app_client, a, choices={"marketing": True})
    await choose(app_client, d, choices={"marketing": False})
    return Audience(shop, a, b, c, d)


async def campaign(client: httpx.AsyncClient, headers: dict[str, str], **over: Any
                   ) -> httpx.Response:
    body = {"markets": ["DE", "US"], "title": "Neue Kollektion",
            "body": "Ab Freitag live im Raum.", **over}
    return await client.post("/api/marketing/campaigns", headers=headers, json=body)


async def messages(stores: Stores, campaign_id: str) -> dict[str, list[str]]:
    """Subject ids with a queued message for the campaign, per region store."""
    out: dict[str, list[str]] = {}
    for region in stores.regions:
        async with stores.session(region) as s:
            rows = (await s.scalars(select(MarketingMessage).where(
                MarketingMessage.campaign_id == campaign_id))).all()
        assert all(m.status == "queued" for m in rows)
        if rows:
            out[region] = sorted(m.subject_id for m in rows)
    return out


async def test_only_buyers_whose_consent_allows_it_get_a_message(
        app_client: httpx.AsyncClient, stores: Stores, audience: Audience) -> None:
    resp = await campaign(app_client, audience.shop.tenant.headers)
    assert resp.status_code == 201, resp.text
    sent = resp.json()
    assert sent["markets"] == ["DE", "US"]
    assert sent["counts"] == {"queued": 2,
                              "blocked": {"default_opt_in": 1, "refused": 1}}
    assert await messages(stores, sent["id"]) == {"eu": [audience.id("a")],
                                                  "us": [audience.id("c")]}


async def test_nothing_is_written_for_the_people_left_out(
        app_client: httpx.AsyncClient, stores: Stores, audience: Audience) -> None:
    await campaign(app_client, audience.shop.tenant.headers)
    for region in stores.regions:
        async with stores.session(region) as s:
            left_out = (await s.scalars(select(MarketingMessage).where(
                MarketingMessage.subject_id.in_([audience.id("b"), audience.id("d")])))).all()
        assert left_out == [], region


async def test_the_send_is_audited_with_its_counts(
        app_client: httpx.AsyncClient, stores: Stores, audience: Audience) -> None:
    sent = (await campaign(app_client, audience.shop.tenant.headers)).json()
    async with stores.session() as s:
        entries = (await s.scalars(select(AuditEntry).where(
            AuditEntry.action == "marketing.send"))).all()
    mine = [e for e in entries if e.details.get("campaign") == sent["id"]]
    assert len(mine) == 1
    entry = mine[0]
    assert entry.org_id == audience.shop.tenant.org_id
    assert entry.actor == audience.shop.tenant.actor.subject_id
    assert entry.details["queued"] == 2
    assert entry.details["blocked"] == {"default_opt_in": 1, "refused": 1}


async def test_a_campaign_reaches_only_the_markets_it_names(
        app_client: httpx.AsyncClient, stores: Stores, audience: Audience) -> None:
    resp = await campaign(app_client, audience.shop.tenant.headers, markets=["de"])
    assert resp.status_code == 201, resp.text
    assert resp.json()["counts"] == {"queued": 1, "blocked": {"default_opt_in": 1}}
    assert await messages(stores, resp.json()["id"]) == {"eu": [audience.id("a")]}


async def test_a_change_of_mind_is_honoured_at_the_next_send(
        app_client: httpx.AsyncClient, stores: Stores, audience: Audience) -> None:
    await choose(app_client, audience.a, choices={"marketing": False})
    await choose(app_client, audience.b, choices={"marketing": True})
    sent = (await campaign(app_client, audience.shop.tenant.headers)).json()
    assert sent["counts"]["blocked"] == {"refused": 2}
    assert await messages(stores, sent["id"]) == {"eu": [audience.id("b")],
                                                  "us": [audience.id("c")]}


async def test_a_buyer_below_the_age_of_consent_is_left_out(
        app_client: httpx.AsyncClient, stores: Stores, audience: Audience) -> None:
    await choose(app_client, audience.c, choices={}, age=12)  # under 13: COPPA
    sent = (await campaign(app_client, audience.shop.tenant.headers)).json()
    assert sent["counts"] == {"queued": 1, "blocked": {"default_opt_in": 1, "refused": 1,
                                                       "age_gate": 1}}
    assert await messages(stores, sent["id"]) == {"eu": [audience.id("a")]}


async def test_another_sellers_campaign_does_not_reach_these_buyers(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings,
        audience: Audience) -> None:
    other = await make_shop(stores, settings, app_client)
    sent = (await campaign(app_client, other.tenant.headers)).json()
    assert sent["counts"] == {"queued": 0, "blocked": {}}
    assert await messages(stores, sent["id"]) == {}


async def test_a_host_cannot_send_a_campaign(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings,
        audience: Audience) -> None:
    host = await add_staff(stores, settings, audience.shop.tenant, Role.HOST)
    resp = await campaign(app_client, host.headers)
    assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"
    assert (await app_client.get("/api/marketing/campaigns", headers=host.headers)
            ).status_code == 403
    listed = (await app_client.get("/api/marketing/campaigns",
                                   headers=audience.shop.tenant.headers)).json()
    assert listed == []


async def test_a_buyer_cannot_send_a_campaign(
        app_client: httpx.AsyncClient, audience: Audience) -> None:
    resp = await campaign(app_client, audience.a.headers)
    assert resp.status_code in (401, 403), resp.text


@pytest.mark.parametrize("over", [
    {"title": ""}, {"title": "   "}, {"body": ""}, {"body": "\n\t "}, {"title": "x" * 201},
    {"markets": []}, {"markets": ["DEU"]},
], ids=["no-title", "blank-title", "no-body", "blank-body", "long-title", "no-market",
        "three-letters"])
async def test_an_empty_or_malformed_campaign_is_refused(
        app_client: httpx.AsyncClient, audience: Audience, over: dict[str, Any]) -> None:
    resp = await campaign(app_client, audience.shop.tenant.headers, **over)
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "invalid_input"


async def test_an_unknown_market_is_refused_and_nothing_is_queued(
        app_client: httpx.AsyncClient, stores: Stores, audience: Audience) -> None:
    resp = await campaign(app_client, audience.shop.tenant.headers, markets=["DE", "ZZ"])
    assert resp.status_code == 422 and resp.json()["code"] == "unknown_country"
    listed = (await app_client.get("/api/marketing/campaigns",
                                   headers=audience.shop.tenant.headers)).json()
    assert listed == []
