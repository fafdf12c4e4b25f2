"""Rate limits, in memory and in Redis (the Redis path runs for real in CI)."""

from __future__ import annotations

import uuid

import pytest

from chuhai.core.ratelimit import MemoryRateLimiter, RateLimited, RedisRateLimiter, enforce
from tests.conftest import redis_url_or_skip


async def _exercise(limiter) -> None:
    key = f"k-{uuid.uuid4().hex}"
    verdicts = [await limiter.hit(key, 3, 60) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert 0 < verdicts[-1].retry_after <= 60
    with pytest.raises(RateLimited) as err:
        await enforce(limiter, key, 3, 60)
    assert err.value.status == 429 and err.value.extra["retry_after"] > 0
    await limiter.reset(key)
    assert (await limiter.hit(key, 3, 60)).allowed


async def test_memory_limiter_counts_per_window():
    now = [0.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0])
    await _exercise(limiter)
    for _ in range(3):
        await limiter.hit("w", 3, 10)
    assert not (await limiter.hit("w", 3, 10)).allowed
    now[0] = 11.0
    assert (await limiter.hit("w", 3, 10)).allowed


async def _exercise_claim(limiter) -> None:
    gate = f"g-{uuid.uuid4().hex}"
    assert await limiter.claim(gate, 30) == 0  # taken
    assert 0 < await limiter.claim(gate, 30) <= 30  # closed: the seconds until it opens
    await limiter.reset(gate)
    assert await limiter.claim(gate, 30) == 0


async def test_a_gate_lets_one_caller_through_per_period():
    now = [0.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0])
    await _exercise_claim(limiter)
    assert await limiter.claim("g", 10) == 0
    now[0] = 9.2
    assert await limiter.claim("g", 10) == 1  # rounded up, never 0 while closed
    now[0] = 10.0
    assert await limiter.claim("g", 20) == 0
    assert await limiter.claim("g", 20) == 20


@pytest.mark.redis
async def test_redis_limiter_counts_across_clients():
    from redis.asyncio import Redis

    url = redis_url_or_skip()
    a, b = Redis.from_url(url), Redis.from_url(url)
    try:
        await _exercise(RedisRateLimiter(a))
        await _exercise_claim(RedisRateLimiter(a))
        key = f"shared-{uuid.uuid4().hex}"
        await RedisRateLimiter(a).hit(key, 1, 30)
        assert not (await RedisRateLimiter(b).hit(key, 1, 30)).allowed  # another "node"
        assert 0 < await a.ttl("chuhai:rl:" + key) <= 30
    finally:
        await a.aclose()
        await b.aclose()
