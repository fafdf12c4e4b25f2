"""The sell-out watch: with no console open, a live room's pinned SKU about to sell out
still sends its webhook, once; one node reads a room per period; a room's failure does not
stop the others."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from chuhai.background import Selling
from chuhai.core.outbox import GlobalOutbox
from chuhai.core.ratelimit import MemoryRateLimiter, RedisRateLimiter
from chuhai.demand import live, watch
from chuhai.live.models import Room, RoomEvent
from chuhai.realtime.bus import MemoryBus
from tests.conftest import redis_url_or_skip
from tests.demand.test_live import live_room_selling
from tests.factories import make_shop


async def sent(stores) -> int:
    async with stores.session() as s:
        return int(await s.scalar(select(func.count()).select_from(GlobalOutbox).where(
            GlobalOutbox.type == "room.sellout_risk")) or 0)


async def test_a_room_about_to_sell_out_sends_its_webhook_with_no_console_open(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    await live_room_selling(stores, app_client, shop, planned=40, per_minute=3, left=20)
    limiter = MemoryRateLimiter()
    assert await watch.watch_once(stores, MemoryBus(), limiter, 15) == 1
    assert await sent(stores) == 1
    # within the period the room is not read again (on this node or another sharing Redis)
    assert await watch.watch_once(stores, MemoryBus(), limiter, 15) == 0
    # a later period reads it again, and the store still refuses a second webhook
    assert await watch.watch_once(stores, MemoryBus(), MemoryRateLimiter(), 15) == 1
    assert await sent(stores) == 1


async def test_only_live_rooms_with_a_pin_are_read(stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    room = await live_room_selling(stores, app_client, shop, planned=40, per_minute=3,
                                   left=20)
    async with stores.session() as s:
        await s.execute(update(Room).where(Room.id == room).values(pinned=[]))
        await s.commit()
    assert await watch.live_rooms(stores) == []
    async with stores.session() as s:
        await s.execute(update(Room).where(Room.id == room).values(
            status="ended", pinned=[{"product_id": shop.product_id}]))
        await s.commit()
    assert await watch.watch_once(stores, None, MemoryRateLimiter(), 15) == 0
    assert await sent(stores) == 0


async def test_one_room_failing_does_not_stop_the_others(stores, settings, app_client,
                                                         monkeypatch):
    shop = await make_shop(stores, settings, app_client)
    selling = await live_room_selling(stores, app_client, shop, planned=40, per_minute=3,
                                      left=20)
    h = shop.tenant.headers
    other = (await app_client.post("/api/rooms", headers=h, json={
        "titles": {"en": "Second stage"}, "markets": ["DE"],
        "scheduled_at": "2031-03-01T18:00:00Z"})).json()["id"]
    assert (await app_client.post(f"/api/rooms/{other}/open", headers=h)).status_code == 200
    async with stores.session() as s:
        await s.execute(update(Room).where(Room.id == other).values(
            pinned=[{"product_id": shop.product_id}]))
        await s.commit()
    real = live.read

    async def failing_other(stores, room, threshold, bus=None):
        if room.id == other:
            raise RuntimeError("the database went away for a moment")
        return await real(stores, room, threshold, bus)

    monkeypatch.setattr(live, "read", failing_other)
    assert len(await watch.live_rooms(stores)) == 2
    assert await watch.watch_once(stores, None, MemoryRateLimiter(), 15) == 1
    async with stores.session() as s:
        payloads = (await s.scalars(select(GlobalOutbox.payload).where(
            GlobalOutbox.type == "room.sellout_risk"))).all()
    assert [p["data"]["room_id"] for p in payloads] == [selling]


async def test_every_node_runs_the_watch_in_its_background_work(stores, settings, app_client):
    selling = app_client._transport.app.state.selling
    assert selling.sellout_watch_s == settings.sellout_watch_s == 15
    assert selling.limiter is app_client._transport.app.state.limiter
    shop = await make_shop(stores, settings, app_client)
    await live_room_selling(stores, app_client, shop, planned=40, per_minute=3, left=20)
    await selling.watch_sellout()
    assert await sent(stores) == 1
    off = Selling(stores, publish=None, provider=None, gate=None,  # type: ignore[arg-type]
                  sellout_watch_s=15)
    assert off.sellout_watch_s == 0  # no limiter to share the rooms out: no watch


@pytest.mark.redis
async def test_on_redis_two_nodes_share_the_rooms_out(stores, settings, app_client):
    from redis.asyncio import Redis

    url = redis_url_or_skip()
    shop = await make_shop(stores, settings, app_client)
    await live_room_selling(stores, app_client, shop, planned=40, per_minute=3, left=20)
    a, b = Redis.from_url(url), Redis.from_url(url)
    try:
        prefix = f"t-{uuid.uuid4().hex}:"
        nodes = [RedisRateLimiter(r, prefix=prefix) for r in (a, b)]
        read = [await watch.watch_once(stores, None, n, 15) for n in nodes]
        assert read == [1, 0]  # the second node found the room read within the period
    finally:
        await a.aclose()
        await b.aclose()


async def test_a_product_pinned_again_can_warn_again(stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    room = await live_room_selling(stores, app_client, shop, planned=40, per_minute=3,
                                   left=20)
    assert await watch.watch_once(stores, None, MemoryRateLimiter(), 15) == 1
    async with stores.session() as s:  # paused, then pinned again a little later
        first = await s.scalar(select(RoomEvent.at).where(RoomEvent.room_id == room,
                                                          RoomEvent.type == "pin"))
        s.add(RoomEvent(room_id=room, seq=9_001, type="pin", at=first + timedelta(seconds=30),
                        data={"product_id": shop.product_id}))
        await s.commit()
    assert await watch.watch_once(stores, None, MemoryRateLimiter(), 15) == 1
    async with stores.session() as s:
        payloads = (await s.scalars(select(GlobalOutbox.payload).where(
            GlobalOutbox.type == "room.sellout_risk"))).all()
    assert len(payloads) == 2
    assert len({p["data"]["pinned_at"] for p in payloads}) == 2
