"""Both buses: sequence numbers, the resume log, counters, once-only keys."""

from __future__ import annotations

import uuid

import pytest

from chuhai.realtime.bus import LOG_SIZE, MemoryBus, RedisBus
from tests.conftest import redis_url_or_skip


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def bus(request):
    if request.param == "memory":
        b = MemoryBus()
    else:
        b = RedisBus(redis_url_or_skip(), prefix=f"test-{uuid.uuid4().hex[:8]}:")
    yield b
    await b.close()


async def test_events_are_numbered_logged_and_delivered_in_order(bus):
    got = []
    bus.attach(lambda room, ev: got.append((room, ev["seq"])), lambda _r, _a: None)
    await bus.subscribe("r1")
    for i in range(5):
        ev = await bus.publish("r1", "chat", {"text": str(i)})
        assert ev["seq"] == i + 1
    await bus.publish("r2", "chat", {"text": "elsewhere"})
    import asyncio

    for _ in range(100):
        if len(got) >= 5:
            break
        await asyncio.sleep(0.01)
    assert got == [("r1", n) for n in range(1, 6)]
    events, current = await bus.since("r1", 2)
    assert [e["seq"] for e in events] == [3, 4, 5] and current == 5
    assert await bus.since("r1", 5) == ([], 5)
    assert [e["data"]["text"] for e in await bus.recent("r1", 2)] == ["3", "4"]


async def test_a_resume_older_than_the_log_asks_for_a_full_snapshot(bus):
    await bus.ensure_seq_at_least("old", 10)
    await bus.publish("old", "chat", {})
    events, current = await bus.since("old", 3)
    assert events is None and current == 11


async def test_the_log_is_bounded(bus):
    for _ in range(LOG_SIZE + 10):
        await bus.publish("big", "chat", {})
    assert len(await bus.recent("big", LOG_SIZE * 2)) == LOG_SIZE


async def test_counters_and_once_only_keys(bus):
    assert await bus.add_counter("c", "likes", 5) == 5
    assert await bus.add_counter("c", "likes", 2) == 7
    assert await bus.get_counters("c") == {"likes": 7}
    assert await bus.first_time("c", "vote:p:u1") is True
    assert await bus.first_time("c", "vote:p:u1") is False


async def test_a_peak_is_raised_never_lowered(bus):
    assert await bus.max_counter("p", "peak_viewers", 5) == 5
    assert await bus.max_counter("p", "peak_viewers", 3) == 5
    assert await bus.max_counter("p", "peak_viewers", 8) == 8
    assert (await bus.get_counters("p"))["peak_viewers"] == 8
