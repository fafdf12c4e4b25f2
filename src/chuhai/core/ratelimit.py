"""Fixed-window rate limits, in memory (one process) or in Redis (every node shares them).

Used where a flood does harm before any business rule can: password guessing at sign-in and
mass sign-ups. Live-room chat uses its own per-connection token buckets. ``claim`` is a
gate that lets one caller through per period (the growing sign-in delays of
``accounts/throttle.py``): atomic, so a burst of parallel attempts cannot all slip through.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from chuhai.core.errors import DomainError


class RateLimited(DomainError):
    status = 429
    title = "Too many requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(message=f"too many attempts; retry in {retry_after} s",
                         code="rate_limited", extra={"retry_after": retry_after})


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_s: int) -> Verdict: ...

    async def reset(self, key: str) -> None: ...

    async def count(self, key: str) -> int: ...

    async def claim(self, key: str, seconds: int) -> int: ...


class MemoryRateLimiter:
    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock or time.monotonic
        self._windows: dict[str, tuple[float, int]] = {}
        self._window_of: dict[str, int] = {}

    async def hit(self, key: str, limit: int, window_s: int) -> Verdict:
        now = self._clock()
        self._window_of[key] = window_s
        start, count = self._windows.get(key, (now, 0))
        if now - start >= window_s:
            start, count = now, 0
        count += 1
        self._windows[key] = (start, count)
        if len(self._windows) > 100_000:  # bound memory under a flood of distinct keys
            self._windows = {k: v for k, v in self._windows.items()
                             if now - v[0] < self._window_of.get(k, window_s)}
            self._window_of = {k: self._window_of[k] for k in self._windows}
        retry = max(1, int(window_s - (now - start) + 0.999))
        return Verdict(count <= limit, count, 0 if count <= limit else retry)

    async def reset(self, key: str) -> None:
        self._windows.pop(key, None)

    async def count(self, key: str) -> int:
        """Hits in the current window (0 once it has expired)."""
        start, count = self._windows.get(key, (0.0, 0))
        return count if self._clock() - start < self._window_of.get(key, 0) else 0

    async def claim(self, key: str, seconds: int) -> int:
        """Take the gate ``key`` for ``seconds``: 0 if this caller got it, else the whole
        seconds (rounded up) until it opens again. Nothing awaits in between: atomic on
        the event loop."""
        now = self._clock()
        start, _count = self._windows.get(key, (0.0, 0))
        left = self._window_of.get(key, 0) - (now - start)
        if key in self._windows and left > 0:
            return math.ceil(left)
        self._windows[key] = (now, 1)
        self._window_of[key] = seconds
        return 0


class RedisRateLimiter:
    def __init__(self, redis: Redis, prefix: str = "chuhai:rl:") -> None:
        self.redis, self.prefix = redis, prefix

    async def hit(self, key: str, limit: int, window_s: int) -> Verdict:
        k = self.prefix + key
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(k)
            pipe.expire(k, window_s, nx=True)
            pipe.ttl(k)
            count, _, ttl = await pipe.execute()
        retry = int(ttl) if int(ttl) > 0 else window_s
        return Verdict(int(count) <= limit, int(count), 0 if int(count) <= limit else retry)

    async def reset(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)

    async def count(self, key: str) -> int:
        return int(await self.redis.get(self.prefix + key) or 0)

    async def claim(self, key: str, seconds: int) -> int:
        k = self.prefix + key
        if await self.redis.set(k, 1, ex=max(1, seconds), nx=True):  # one SET NX: atomic
            return 0
        ms = int(await self.redis.pttl(k))  # -2: gone meanwhile, -1: no expiry (never set)
        return math.ceil(ms / 1000) if ms > 0 else 1


async def enforce(limiter: RateLimiter, key: str, limit: int, window_s: int) -> None:
    verdict = await limiter.hit(key, limit, window_s)
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)
