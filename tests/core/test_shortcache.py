"""The short per-node cache: one read in flight per key, kept for its time to live, a
failure never cached, and forgotten on demand."""

from __future__ import annotations

import asyncio

import pytest

from chuhai.core.shortcache import ShortCache


class Reader:
    def __init__(self) -> None:
        self.reads = 0

    async def __call__(self) -> int:
        self.reads += 1
        await asyncio.sleep(0.01)
        return self.reads


async def test_callers_arriving_together_share_one_read() -> None:
    cache: ShortCache[str, int] = ShortCache(ttl_s=1.0)
    read = Reader()
    got = await asyncio.gather(*[cache.get("k", 100.0, read) for _ in range(50)])
    assert got == [1] * 50 and read.reads == 1


async def test_a_value_is_kept_for_its_time_to_live_then_read_again() -> None:
    cache: ShortCache[str, int] = ShortCache(ttl_s=1.0)
    read = Reader()
    assert await cache.get("k", 100.0, read) == 1
    assert await cache.get("k", 100.9, read) == 1
    assert await cache.get("k", 101.0, read) == 2
    assert await cache.get("k", 99.0, read) == 3  # a clock behind the entry reads again


async def test_a_failed_read_reaches_every_waiting_caller_and_is_not_kept() -> None:
    cache: ShortCache[str, int] = ShortCache()
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise LookupError("gone")

    results = await asyncio.gather(*[cache.get("k", 1.0, failing) for _ in range(3)],
                                   return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results) and calls == 1
    with pytest.raises(LookupError):
        await cache.get("k", 1.0, failing)
    assert calls == 2


async def test_forget_drops_the_matching_keys_only() -> None:
    cache: ShortCache[tuple[str, str], int] = ShortCache()
    read = Reader()
    await cache.get(("d1", "a"), 1.0, read)
    await cache.get(("d2", "a"), 1.0, read)
    cache.forget(lambda key: key[0] == "d1")
    assert await cache.get(("d2", "a"), 1.0, read) == 2  # kept
    assert await cache.get(("d1", "a"), 1.0, read) == 3  # read again
    cache.forget()
    assert await cache.get(("d2", "a"), 1.0, read) == 4


async def test_a_full_cache_starts_over_rather_than_growing() -> None:
    cache: ShortCache[int, int] = ShortCache(max_items=3)
    read = Reader()
    for k in range(4):
        await cache.get(k, 1.0, read)
    assert await cache.get(3, 1.0, read) == 4  # the newest entry survives
    assert await cache.get(0, 1.0, read) == 5  # the oldest went with the clear-out
