"""``POST /api/events``: engagement is kept with a person's id only with analytics consent.

A DE guest (GDPR: analytics is opt-in) who has not chosen gets ``mode: anonymous``: no row
in any region's ``analytics_events`` names them, and only the global, id-free
``analytics_counts`` grow — by exactly the number of events of each kind. Once they grant
analytics, their events are kept (``mode: full``) in the ``eu`` store under their guest id.
A US customer (CCPA: opt-out) is kept by default until they refuse. Malformed bodies are
refused with a problem code, never a 500; a guest must name the market they browse.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from chuhai.analytics.models import AnalyticsCount, AnalyticsEvent
from chuhai.core.db import Stores
from chuhai.core.ids import new_id
from tests.factories import make_buyer


async def guest(client: httpx.AsyncClient) -> str:
    resp = await client.post("/api/guest")
    assert resp.status_code == 200, resp.text
    return str(resp.json()["guest_id"])


async def consent(client: httpx.AsyncClient, choices: dict[str, bool], market: str = "DE",
                  headers: dict[str, str] | None = None) -> dict[str, Any]:
    resp = await client.post("/api/privacy/consent", headers=headers or {},
                             json={"market": market, "choices": choices, "source": "banner"})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def send(client: httpx.AsyncClient, events: list[dict[str, Any]], market: str | None = "DE",
               headers: dict[str, str] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"events": events}
    if market is not None:
        body["market"] = market
    return await client.post("/api/events", json=body, headers=headers or {})


async def kept_rows(stores: Stores, subject_id: str) -> dict[str, list[AnalyticsEvent]]:
    """The person's analytics_events rows, per region store that holds any."""
    out = {}
    for region in stores.regions:
        async with stores.session(region) as s:
            rows = list((await s.scalars(select(AnalyticsEvent).where(
                AnalyticsEvent.subject_id == subject_id).order_by(AnalyticsEvent.id))).all())
        if rows:
            out[region] = rows
    return out


async def counted(stores: Stores, market: str, kind: str, room_id: str = "",
                  product_id: str = "") -> int:
    async with stores.session() as s:
        n = await s.scalar(select(func.sum(AnalyticsCount.count)).where(
            AnalyticsCount.market == market, AnalyticsCount.type == kind,
            AnalyticsCount.room_id == room_id, AnalyticsCount.product_id == product_id))
    return int(n or 0)


async def test_a_de_guest_without_consent_is_only_counted_anonymously(
        app_client: httpx.AsyncClient, stores: Stores) -> None:
    gid = await guest(app_client)
    room, product = new_id("room"), new_id("prd")
    resp = await send(app_client, [{"type": "room.view", "room_id": room},
                                   {"type": "room.view", "room_id": room},
                                   {"type": "product.view", "product_id": product}])
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"accepted": 3, "mode": "anonymous"}
    assert await kept_rows(stores, gid) == {}
    assert await counted(stores, "DE", "room.view", room_id=room) == 2
    assert await counted(stores, "DE", "product.view", product_id=product) == 1
    assert await counted(stores, "US", "room.view", room_id=room) == 0

    again = await send(app_client, [{"type": "room.view", "room_id": room}])
    assert again.json()["mode"] == "anonymous"
    assert await counted(stores, "DE", "room.view", room_id=room) == 3  # added to, not reset
    async with stores.session() as s:  # one row per day/market/type/room/product
        rows = (await s.scalars(select(AnalyticsCount).where(
            AnalyticsCount.room_id == room))).all()
    assert [(r.type, r.count) for r in rows] == [("room.view", 3)]


async def test_a_de_guest_who_grants_analytics_is_kept_in_the_eu_store_under_their_id(
        app_client: httpx.AsyncClient, stores: Stores) -> None:
    gid = await guest(app_client)
    room, product = new_id("room"), new_id("prd")
    assert (await send(app_client, [{"type": "room.view", "room_id": room}])
            ).json()["mode"] == "anonymous"
    state = await consent(app_client, {"analytics": True})
    assert state["subject"] == gid and state["purposes"]["analytics"]["allowed"] is True
    resp = await send(app_client, [{"type": "product.click", "room_id": room,
                                    "product_id": product}])
    assert resp.json() == {"accepted": 1, "mode": "full"}
    kept = await kept_rows(stores, gid)
    assert list(kept) == ["eu"]  # the market's region, nowhere else
    assert [(e.market, e.type, e.room_id, e.product_id) for e in kept["eu"]] == [
        ("DE", "product.click", room, product)]  # the earlier, anonymous view is not there
    # the anonymous count is kept for everyone, consent or not
    assert await counted(stores, "DE", "product.click", room, product) == 1
    assert await counted(stores, "DE", "room.view", room_id=room) == 1


async def test_withdrawing_analytics_stops_keeping_events(
        app_client: httpx.AsyncClient, stores: Stores) -> None:
    gid = await guest(app_client)
    room = new_id("room")
    await consent(app_client, {"analytics": True})
    assert (await send(app_client, [{"type": "room.view", "room_id": room}])
            ).json()["mode"] == "full"
    await consent(app_client, {"analytics": False})
    assert (await send(app_client, [{"type": "room.view", "room_id": room}])
            ).json()["mode"] == "anonymous"
    assert len((await kept_rows(stores, gid))["eu"]) == 1


async def test_an_anonymous_visitor_without_a_guest_cookie_is_counted_only(
        app_client: httpx.AsyncClient, stores: Stores) -> None:
    room = new_id("room")
    resp = await send(app_client, [{"type": "room.view", "room_id": room}], market="US")
    assert resp.json() == {"accepted": 1, "mode": "anonymous"}
    assert await counted(stores, "US", "room.view", room_id=room) == 1


async def test_a_us_customer_is_kept_by_default_and_counted_only_after_refusing(
        app_client: httpx.AsyncClient, stores: Stores, settings) -> None:
    buyer = await make_buyer(stores, settings, "US")
    me = buyer.actor.subject_id
    room = new_id("room")
    first = await send(app_client, [{"type": "room.view", "room_id": room}], market=None,
                       headers=buyer.headers)
    assert first.json() == {"accepted": 1, "mode": "full"}
    assert [(e.market, e.room_id) for e in (await kept_rows(stores, me))[buyer.actor.region]
            ] == [("US", room)]
    state = await consent(app_client, {"analytics": False}, market="US",
                          headers=buyer.headers)
    assert state["purposes"]["analytics"]["basis"] == "refused"
    after = await send(app_client, [{"type": "room.view", "room_id": room}], market=None,
                       headers=buyer.headers)
    assert after.json()["mode"] == "anonymous"
    assert sum(len(v) for v in (await kept_rows(stores, me)).values()) == 1
    assert await counted(stores, "US", "room.view", room_id=room) == 2


async def test_a_customer_is_identified_by_their_session_not_by_the_market_sent(
        app_client: httpx.AsyncClient, stores: Stores, settings) -> None:
    buyer = await make_buyer(stores, settings, "US")
    resp = await send(app_client, [{"type": "room.view", "room_id": new_id("room")}],
                      market="DE", headers=buyer.headers)
    assert resp.json()["mode"] == "full"  # their home regime (CCPA), not DE's opt-in
    assert list(await kept_rows(stores, buyer.actor.subject_id)) == [buyer.actor.region]


@pytest.mark.parametrize("content", [b"{not json", b"", b"\xff\xfe", b"[1, 2]", b"\"events\"",
                                     b"null"])
async def test_a_body_that_is_not_a_json_object_is_refused_with_a_code(
        app_client: httpx.AsyncClient, content: bytes) -> None:
    resp = await app_client.post("/api/events", content=content,
                                 headers={"content-type": "application/json"})
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "bad_json"


@pytest.mark.parametrize(("events", "code"), [
    (None, "bad_events"),
    ([{"type": "scroll", "room_id": "room_abcd"}], "bad_event_type"),
    ([{"type": "room.view", "room_id": "room_abcd", "email": "x@y.example"}], "bad_events"),
    ([{"type": "room.view", "room_id": "room_abcd"}] * 51, "too_many_events"),
])
async def test_a_bad_batch_is_refused_whole_and_nothing_is_counted(
        app_client: httpx.AsyncClient, stores: Stores, events: Any, code: str) -> None:
    resp = await send(app_client, events)
    assert resp.status_code == 422 and resp.json()["code"] == code
    async with stores.session() as s:
        assert await s.scalar(select(func.count()).select_from(AnalyticsCount).where(
            AnalyticsCount.room_id == "room_abcd")) == 0


@pytest.mark.parametrize("market", [None, "", "ZZ", "DEU", 49])
async def test_a_guest_must_name_a_known_market(app_client: httpx.AsyncClient,
                                                market: Any) -> None:
    await guest(app_client)
    body: dict[str, Any] = {"events": [{"type": "room.view", "room_id": new_id("room")}]}
    if market is not None:
        body["market"] = market
    resp = await app_client.post("/api/events", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "market_required"
