"""The feed mixes a market's published videos, rooms and products, each saying why it is
there; the non-profiling feed is a choice a buyer can make at any time; a cursor reads on
and cannot be borrowed; a trained model makes a consenting buyer's feed follow their views,
and an untrained one says so rather than failing."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import httpx
import pytest

from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.feed import training
from chuhai.feed.api import make_cursor
from chuhai.video.models import Video, VideoMarket
from tests.factories import Buyer, create_product, make_buyer, make_shop, make_tenant
from tests.feed.test_api import consent, events

NOW = dt.datetime.now(dt.UTC)


async def _video(stores: Stores, org_id: str, vid: str, title: str, market: str = "DE"
                 ) -> str:
    async with stores.session() as s:
        s.add(Video(id=vid, org_id=org_id, status="ready", language="de",
                    texts={"de": {"title": title, "description": ""}}, source_key="x",
                    media_prefix=f"videos/{vid}/r1", duration_s=8.0, width=540, height=960,
                    renditions=[]))
        s.add(VideoMarket(video_id=vid, market=market, state="published", findings=[],
                          published_at=NOW))
        await s.commit()
    return vid


async def feed(client: httpx.AsyncClient, headers: dict[str, str] | None = None,
               **params: Any) -> dict[str, Any]:
    resp = await client.get("/api/feed", params={"market": "DE", **params},
                            headers=headers or {})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_a_market_feed_holds_videos_rooms_and_products_with_their_reasons(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> None:
    shop = await make_shop(stores, settings, app_client)
    vid = await _video(stores, shop.tenant.org_id, "vid_mixheadphones0001",
                       "Kopfhörer im Zug")
    room = await app_client.post("/api/rooms", headers=shop.tenant.headers, json={
        "titles": {"de": "Ohrhörer live"}, "markets": ["DE"],
        "scheduled_at": (NOW + dt.timedelta(hours=2)).isoformat(),
        "run_of_show": [{"product_id": shop.product_id, "planned_minutes": 10}]})
    assert room.status_code == 201, room.text
    body = await feed(app_client, size=100)
    kinds = {i["id"]: i for i in body["items"]}
    assert kinds[vid]["kind"] == "video" and kinds[vid]["title"] == "Kopfhörer im Zug"
    assert "new" in kinds[vid]["reasons"]
    assert kinds[vid]["video"]["master_url"].endswith("/master.m3u8")
    assert kinds[room.json()["id"]]["kind"] == "room"
    product = kinds[shop.product_id]
    assert product["kind"] == "product" and product["product"]["sku_id"] == shop.sku_id
    price = product["product"]["price"]
    assert "€" in price["total_display"] and price["label"]  # delivered, duties included
    assert body["mode"] == "for_you" and body["personalized"] is False


async def test_no_seller_appears_twice_in_a_row_when_another_can_come_between(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> None:
    a = await make_tenant(stores, settings)
    b = await make_tenant(stores, settings)
    for n in range(2):
        await _video(stores, a.org_id, f"vid_sellera{n:012d}", f"A {n}")
        await _video(stores, b.org_id, f"vid_sellerb{n:012d}", f"B {n}")
    sellers = [i["seller"] for i in (await feed(app_client, size=100))["items"]]
    assert sellers.count(a.org_id) == sellers.count(b.org_id) == 2
    assert all(x != y for x, y in itertools.pairwise(sellers))


async def test_the_cursor_reads_on_and_another_viewers_cursor_starts_again(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> None:
    tenant = await make_tenant(stores, settings)
    for n in range(5):
        await _video(stores, tenant.org_id, f"vid_page{n:016d}", f"Seite {n}")
    first = await feed(app_client, size=2)
    assert first["next"] and first["restarted"] is False
    second = await feed(app_client, size=2, cursor=first["next"])
    assert {i["id"] for i in first["items"]}.isdisjoint(i["id"] for i in second["items"])
    for bad in ("forged.0000", first["next"][:-1] + "x", "x" * 300,
                make_cursor(b"another key", "ip:127.0.0.1", "DE", "for_you", 2)):
        again = await feed(app_client, size=2, cursor=bad)
        assert again["restarted"] is True
        assert [i["id"] for i in again["items"]] == [i["id"] for i in first["items"]]
    buyer = await make_buyer(stores, settings, "DE")
    theirs = await feed(app_client, headers=buyer.headers, size=2, cursor=first["next"])
    assert theirs["restarted"] is True  # a cursor is its viewer's own


async def test_an_unknown_market_or_mode_is_a_clear_error_not_a_failure(
        app_client: httpx.AsyncClient) -> None:
    r = await app_client.get("/api/feed", params={"market": "ZZ"})
    assert r.status_code in (404, 422) and r.json()["code"]
    r = await app_client.get("/api/feed", params={"market": "DE", "mode": "mine"})
    assert r.status_code == 422


@pytest.fixture
async def fan(stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> Buyer:
    buyer = await make_buyer(stores, settings, "DE")
    await consent(app_client, buyer, analytics=True, personalization=True)
    return buyer


async def test_a_consenting_buyers_feed_follows_their_views_once_a_model_is_trained(
        stores: Stores, migrated_settings: Settings, app_client: httpx.AsyncClient,
        fan: Buyer) -> None:
    tenant = await make_tenant(stores, migrated_settings)
    audio = [await _video(stores, tenant.org_id, f"vid_audio{n:015d}",
                          f"Kabellose Kopfhörer mit Geräuschunterdrückung {n}")
             for n in range(4)]
    other = await make_tenant(stores, migrated_settings)
    beauty = [await _video(stores, other.org_id, f"vid_beauty{n:014d}",
                           f"Lippenstift matt rot, Make-up {n}") for n in range(4)]
    # strangers like the beauty clips: they lead the common order
    await events(app_client, [{"type": "video.like", "video_id": v} for v in beauty] * 2)
    untrained = await feed(app_client, headers=fan.headers, size=100)
    assert untrained["personalized"] is True and untrained["model"] is None
    assert all("no_model" in i["reasons"] for i in untrained["items"])
    # the fan watches two audio clips
    assert await events(app_client, [{"type": "video.view", "video_id": audio[0]},
                                      {"type": "video.complete", "video_id": audio[1]}],
                        market=None, headers=fan.headers) == "full"
    model = await training.train(stores)
    assert model.embeddings is not None and len(model.item_ids) >= 8
    mine = await feed(app_client, headers=fan.headers, size=100)
    assert mine["model"] == model.version and "content" in mine["sources"]
    ranked = [i["id"] for i in mine["items"] if i["id"] in audio + beauty]
    assert audio[1] not in ranked  # finished: not shown again
    # the same buyer choosing the common feed sees what everyone sees
    common = await feed(app_client, headers=fan.headers, size=100, mode="popular")
    anonymous = await feed(app_client, size=100)
    assert common["personalized"] is False and common["mode"] == "popular"
    assert [i["id"] for i in common["items"]] == [i["id"] for i in anonymous["items"]]
    everyone = {i["id"]: i for i in common["items"]}
    # theirs: the unseen audio clips gain, for being near what they watched
    for clip in (audio[2], audio[3]):
        got = next(i for i in mine["items"] if i["id"] == clip)
        assert "similar" in got["reasons"] and "similar" not in everyone[clip]["reasons"]
        assert got["score"] >= everyone[clip]["score"] + 0.5
    lift = {v: mine_score(mine, v) - everyone[v]["score"] for v in audio[2:] + beauty}
    assert min(lift[a] for a in audio[2:]) > max(lift[b] for b in beauty)
    assert [i["id"] for i in mine["items"]] != [i["id"] for i in common["items"]]


def mine_score(body: dict[str, Any], item: str) -> float:
    return float(next(i["score"] for i in body["items"] if i["id"] == item))


async def test_the_common_feed_choice_is_kept_in_a_cookie(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient, fan: Buyer
) -> None:
    chose = await app_client.post("/api/feed/choice", json={"mode": "popular"})
    assert chose.status_code == 200 and chose.json() == {"mode": "popular"}
    cookie = chose.headers["set-cookie"]
    assert cookie.startswith("chuhai_feed=popular") and "samesite=lax" in cookie.lower()
    body = await feed(app_client, headers={**fan.headers, "Cookie": "chuhai_feed=popular"})
    assert body["mode"] == "popular" and body["personalized"] is False
    assert (await feed(app_client, headers=fan.headers))["personalized"] is True
    bad = await app_client.post("/api/feed/choice", json={"mode": "everything"})
    assert bad.status_code == 422


async def test_a_deleted_item_leaves_the_feed(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> None:
    tenant = await make_tenant(stores, settings)
    product = await create_product(app_client, tenant, listings=[
        {"market": "DE", "title": "Ohrhörer", "price": "30.00"}])
    assert product["id"] in {i["id"] for i in (await feed(app_client, size=100))["items"]}
    gone = await app_client.delete(f"/api/products/{product['id']}", headers=tenant.headers)
    assert gone.status_code in (200, 204), gone.text
    assert product["id"] not in {i["id"] for i in (await feed(app_client, size=100))["items"]}


async def test_a_cursor_with_any_characters_starts_again_rather_than_failing(
        app_client: httpx.AsyncClient) -> None:
    for bad in ("abc.é", "é", ".", "a.b.c", "🙂." * 40):
        body = await feed(app_client, size=2, cursor=bad)
        assert body["restarted"] is True


async def test_only_people_who_allow_personalization_train_the_model(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient, fan: Buyer
) -> None:
    from chuhai.core.db import unit_of_work
    from chuhai.feed.service import training_data

    tenant = await make_tenant(stores, settings)
    clip = await _video(stores, tenant.org_id, "vid_consent0000000000001", "Kopfhörer")
    counted = await make_buyer(stores, settings, "DE")  # analytics yes, personalization no
    await consent(app_client, counted, analytics=True)
    for who in (fan, counted):
        assert await events(app_client, [{"type": "video.view", "video_id": clip}],
                            market=None, headers=who.headers) == "full"
    async with unit_of_work(stores) as uow:
        interactions, texts = await training_data(uow, list(settings.regions))
    people = {person for person, item, _ in interactions if item == clip}
    assert people == {fan.actor.subject_id}
    assert clip in texts


async def test_being_shown_an_item_is_not_interest_in_it(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient, fan: Buyer
) -> None:
    from chuhai.core.db import unit_of_work
    from chuhai.feed.service import _trail

    tenant = await make_tenant(stores, settings)
    clip = await _video(stores, tenant.org_id, "vid_shown00000000000001", "Kopfhörer")
    await events(app_client, [{"type": "feed.impression", "video_id": clip}] * 5,
                 market=None, headers=fan.headers)
    async with unit_of_work(stores) as uow:
        trail, signals = await _trail(uow, fan.actor.subject_id, str(fan.actor.region), NOW)
    assert clip not in trail.history and signals == 5
