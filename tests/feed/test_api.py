"""``GET /api/feed``: a market's rooms, personalized only with personalization consent.

Two upcoming DE rooms sell products of different HS chapters: earbuds (85) and T-shirts
(61); the T-shirt room has more anonymous views, so it leads the market's common order. A
DE customer (GDPR: personalization is opt-in) who viewed earbuds with analytics consent
sees that common order — exactly what an anonymous visitor sees — until they grant
personalization; then the feed says ``personalized``, counts the signals it used and puts
the earbuds room first, with the reason ``interest``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from chuhai.core.config import Settings
from chuhai.core.db import Stores
from tests.factories import Buyer, create_product, make_buyer, make_tenant

WHEN = "2031-03-01T18:00:00Z"


@dataclass
class Scene:
    earbuds: str       # product, HS chapter 85
    shirt: str         # product, HS chapter 61
    earbuds_room: str
    shirt_room: str

    @property
    def rooms(self) -> set[str]:
        return {self.earbuds_room, self.shirt_room}


async def _room(client: httpx.AsyncClient, headers: dict[str, str], title: str,
                product_id: str, markets: list[str]) -> str:
    resp = await client.post("/api/rooms", headers=headers, json={
        "titles": {"de": title, "en": title}, "markets": markets, "scheduled_at": WHEN,
        "run_of_show": [{"product_id": product_id, "planned_minutes": 15}]})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


async def events(client: httpx.AsyncClient, batch: list[dict[str, Any]], *,
                 market: str | None = "DE", headers: dict[str, str] | None = None) -> str:
    body: dict[str, Any] = {"events": batch, **({"market": market} if market else {})}
    resp = await client.post("/api/events", json=body, headers=headers or {})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["mode"])


async def consent(client: httpx.AsyncClient, buyer: Buyer, **choices: bool) -> None:
    resp = await client.post("/api/privacy/consent", headers=buyer.headers,
                             json={"choices": choices, "source": "settings"})
    assert resp.status_code == 200, resp.text


async def feed(client: httpx.AsyncClient, market: str = "DE",
               headers: dict[str, str] | None = None) -> dict[str, Any]:
    resp = await client.get("/api/feed", params={"market": market}, headers=headers or {})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def ours(body: dict[str, Any], scene: Scene) -> list[str]:
    """Our two rooms in the feed's order (other tests' rooms may share the market)."""
    return [i["room_id"] for i in body["items"] if i["room_id"] in scene.rooms]


@pytest.fixture
async def scene(stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> Scene:
    tenant = await make_tenant(stores, settings)
    earbuds = await create_product(app_client, tenant)  # hs 8518.30.20
    shirt = await create_product(app_client, tenant, title="Cotton T-shirt",
                                 hs_code="6109.10.00", certifications=[])
    found = Scene(earbuds["id"], shirt["id"],
                  await _room(app_client, tenant.headers, "Ohrhörer live", earbuds["id"],
                              ["DE", "US"]),
                  await _room(app_client, tenant.headers, "T-Shirts live", shirt["id"],
                              ["DE", "US"]))
    # anonymous visitors (no cookie) look at the T-shirt room: it leads the common order
    assert not app_client.cookies
    assert await events(app_client, [{"type": "room.view", "room_id": found.shirt_room}] * 2
                        ) == "anonymous"
    return found


@pytest.fixture
async def de_fan(stores: Stores, settings: Settings, app_client: httpx.AsyncClient,
                 scene: Scene) -> Buyer:
    """A DE customer who let analytics keep their views of the earbuds (three of them)."""
    buyer = await make_buyer(stores, settings, "DE")
    await consent(app_client, buyer, analytics=True)
    mode = await events(app_client, [{"type": "product.view", "product_id": scene.earbuds}] * 3,
                        market=None, headers=buyer.headers)
    assert mode == "full"
    return buyer


async def test_the_anonymous_order_is_the_markets_common_one(
        app_client: httpx.AsyncClient, scene: Scene) -> None:
    body = await feed(app_client)
    assert body["market"] == "DE" and body["personalized"] is False and body["signals"] == 0
    assert ours(body, scene) == [scene.shirt_room, scene.earbuds_room]
    items = {i["room_id"]: i for i in body["items"]}
    assert items[scene.shirt_room]["reasons"] == ["popular"]
    assert items[scene.earbuds_room]["title"] == "Ohrhörer live"  # the market's language
    assert all("interest" not in i["reasons"] for i in body["items"])


@pytest.mark.parametrize("choice", [None, False], ids=["not_given", "refused"])
async def test_without_personalization_consent_a_customer_sees_the_anonymous_order(
        app_client: httpx.AsyncClient, scene: Scene, de_fan: Buyer, choice: bool | None
) -> None:
    if choice is not None:
        await consent(app_client, de_fan, personalization=choice)
    mine = await feed(app_client, headers=de_fan.headers)
    anonymous = await feed(app_client)
    assert mine["personalized"] is False and mine["signals"] == 0
    assert [(i["room_id"], i["score"], i["reasons"]) for i in mine["items"]] == [
        (i["room_id"], i["score"], i["reasons"]) for i in anonymous["items"]]
    assert ours(mine, scene) == [scene.shirt_room, scene.earbuds_room]


async def test_with_personalization_the_room_of_the_viewed_chapter_ranks_first(
        app_client: httpx.AsyncClient, scene: Scene, de_fan: Buyer) -> None:
    await consent(app_client, de_fan, personalization=True)
    mine = await feed(app_client, headers=de_fan.headers)
    assert mine["personalized"] is True and mine["signals"] > 0
    assert ours(mine, scene) == [scene.earbuds_room, scene.shirt_room]
    items = {i["room_id"]: i for i in mine["items"]}
    assert "interest" in items[scene.earbuds_room]["reasons"]
    assert "interest" not in items[scene.shirt_room]["reasons"]
    # …and only for them: the anonymous order has not moved
    assert ours(await feed(app_client), scene) == [scene.shirt_room, scene.earbuds_room]


async def test_withdrawing_personalization_restores_the_common_order(
        app_client: httpx.AsyncClient, scene: Scene, de_fan: Buyer) -> None:
    await consent(app_client, de_fan, personalization=True)
    assert (await feed(app_client, headers=de_fan.headers))["personalized"] is True
    await consent(app_client, de_fan, personalization=False)
    mine = await feed(app_client, headers=de_fan.headers)
    assert mine["personalized"] is False and mine["signals"] == 0
    assert ours(mine, scene) == [scene.shirt_room, scene.earbuds_room]


async def test_personalization_without_a_kept_trail_changes_nothing(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient, scene: Scene
) -> None:
    """Views sent without analytics consent were only counted, so there is nothing to
    personalize from even once personalization is granted."""
    buyer = await make_buyer(stores, settings, "DE")
    assert await events(app_client, [{"type": "product.view", "product_id": scene.earbuds}],
                        market=None, headers=buyer.headers) == "anonymous"
    await consent(app_client, buyer, personalization=True)
    mine = await feed(app_client, headers=buyer.headers)
    assert mine["personalized"] is True and mine["signals"] == 0
    assert ours(mine, scene) == [scene.shirt_room, scene.earbuds_room]


async def test_a_us_anonymous_visitor_gets_the_common_order(
        app_client: httpx.AsyncClient, scene: Scene) -> None:
    body = await feed(app_client, market="US")
    assert body["market"] == "US" and body["personalized"] is False and body["signals"] == 0
    # the DE views do not count in the US: equal rooms, ordered by id
    assert ours(body, scene) == sorted(scene.rooms)


async def test_a_us_guest_is_personalized_by_default_under_the_opt_out_regime(
        app_client: httpx.AsyncClient, scene: Scene) -> None:
    assert (await app_client.post("/api/guest")).status_code == 200
    body = await feed(app_client, market="US")
    assert body["personalized"] is True
    refused = await app_client.post("/api/privacy/consent", json={
        "market": "US", "choices": {"personalization": False}})
    assert refused.status_code == 200, refused.text
    assert (await feed(app_client, market="US"))["personalized"] is False


async def test_a_visitor_must_name_the_market(app_client: httpx.AsyncClient) -> None:
    resp = await app_client.get("/api/feed")
    assert resp.status_code == 422 and resp.json()["code"] == "market_required"


async def test_a_customer_browsing_abroad_sees_that_markets_rooms_under_their_own_law(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings,
        scene: Scene) -> None:
    tenant = await make_tenant(stores, settings)
    product = await create_product(app_client, tenant)
    us_only = await _room(app_client, tenant.headers, "US only", product["id"], ["US"])
    buyer = await make_buyer(stores, settings, "DE")
    body = await feed(app_client, "US", headers=buyer.headers)
    assert body["market"] == "US" and us_only in {i["room_id"] for i in body["items"]}
    # US defaults would personalize; the German buyer's own (GDPR, opt-in) law does not
    assert body["personalized"] is False
    home = await feed(app_client, "DE", headers=buyer.headers)
    assert us_only not in {i["room_id"] for i in home["items"]}
