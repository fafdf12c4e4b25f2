"""A room survives restarts of its node: the sequence continues from what is stored, so new
events never collide with old ones and the hello after the next restart holds every pin.

Without Redis (the default) a restarted node's bus starts empty; with Redis the keys may
have been lost (an eviction, a fresh instance). Both must continue from the stores.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy.exc import IntegrityError

from chuhai.live import service
from tests.conftest import redis_url_or_skip
from tests.live.harness import Client, Seed, ThreadServer, seed, settings_for


async def _pin(server: ThreadServer, data: Seed, product_id: str) -> int:
    host = await Client.connect(server.base, data.room_id, token=data.host_token)
    await host.send(type="pin", product_id=product_id)
    await host.pump(lambda c: any(e["data"].get("product_id") == product_id
                                  for e in c.of("pin")) or c.errors)
    assert not host.errors, host.errors
    seq = next(e["seq"] for e in host.of("pin") if e["data"]["product_id"] == product_id)
    await host.close()
    await asyncio.sleep(0.2)  # the event and the room state are written after delivery
    return seq


async def _pinned_after_restart(settings, data: Seed) -> tuple[list[str], int]:
    with ThreadServer(settings) as server:
        guest = await Client.connect(server.base, data.room_id)
        pinned = [p["product_id"] for p in guest.hello["state"]["pinned"]]
        seq = guest.hello["seq"]
        await guest.close()
    return pinned, seq


async def _pin_restart_pin_restart(settings, data: Seed, forget=lambda: None) -> None:
    with ThreadServer(settings) as server:
        first = await _pin(server, data, data.products[0])
    forget()
    with ThreadServer(settings) as server:
        second = await _pin(server, data, data.products[1])
    assert second > first  # continued, not restarted at 1
    forget()
    pinned, seq = await _pinned_after_restart(settings, data)
    assert pinned == [data.products[0], data.products[1]]
    assert seq >= second


async def test_without_redis_the_sequence_continues_and_both_pins_survive(tmp_path: Path):
    settings = settings_for(tmp_path, live_tick_ms=50)
    data = await asyncio.to_thread(seed, settings)
    await _pin_restart_pin_restart(settings, data)


@pytest.mark.redis
async def test_with_a_redis_that_lost_its_data_both_pins_survive(tmp_path: Path):
    url = redis_url_or_skip()
    settings = settings_for(tmp_path, live_tick_ms=50, redis_url=url)
    data = await asyncio.to_thread(seed, settings)
    client = Redis.from_url(url)

    def forget() -> None:
        for key in client.scan_iter(match=f"chuhai:room:{data.room_id}:*"):
            client.delete(key)

    try:
        await _pin_restart_pin_restart(settings, data, forget)
    finally:
        forget()
        client.close()


async def test_an_event_row_that_cannot_be_written_does_not_take_the_state_down(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    settings = settings_for(tmp_path, live_tick_ms=50)
    data = await asyncio.to_thread(seed, settings)

    async def refused(uow, room_id, ev):
        raise IntegrityError("INSERT INTO room_events", {}, Exception("UNIQUE failed"))

    with ThreadServer(settings) as server:
        await _pin(server, data, data.products[0])
        monkeypatch.setattr(service, "record_event", refused)
        await _pin(server, data, data.products[1])
    monkeypatch.undo()
    pinned, _ = await _pinned_after_restart(settings, data)
    assert pinned == [data.products[0], data.products[1]]
