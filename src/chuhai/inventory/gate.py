"""The optional Redis admission gate: turn sold-out traffic away before it reaches SQL.

One counter per drop line holds the units the gate still lets through. A Lua script checks
and decrements it atomically. The gate is an optimisation only: SQL stays the authority. If
the gate admits a buyer the database then refuses, the database wins; if the counter is
missing (Redis restarted) the buyer goes to SQL; and ``sync`` resets every counter from SQL
at start and on each sweep, so drift — units given back by expiry, a crash between admit
and give-back — lasts at most one sweep.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from redis.asyncio import Redis

_ADMIT = """
local v = redis.call('GET', KEYS[1])
if not v then return -1 end
local n = tonumber(ARGV[1])
if tonumber(v) >= n then
  redis.call('DECRBY', KEYS[1], n)
  return 1
end
return 0
"""

# The counter lives a day past its last write; an ended drop's counter then disappears.
TTL_S = 24 * 3600


class Gate(Protocol):
    async def admit(self, line_id: str, quantity: int) -> int:
        """1 admitted, 0 sold out, -1 unknown (ask SQL)."""

    async def give_back(self, line_id: str, quantity: int) -> None: ...

    async def sync(self, remaining: Mapping[str, int]) -> None: ...


class RedisGate:
    def __init__(self, redis: Redis, prefix: str = "chuhai:gate:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._admit = redis.register_script(_ADMIT)

    def key(self, line_id: str) -> str:
        return f"{self.prefix}{line_id}"

    async def admit(self, line_id: str, quantity: int) -> int:
        return int(await self._admit(keys=[self.key(line_id)], args=[quantity]))

    async def give_back(self, line_id: str, quantity: int) -> None:
        key = self.key(line_id)
        async with self.redis.pipeline(transaction=True) as p:
            # Only give back to a counter that exists; a missing one already means "ask SQL".
            await p.watch(key)
            if await p.exists(key):
                p.multi()
                p.incrby(key, quantity)
                p.expire(key, TTL_S)
                try:
                    await p.execute()
                except Exception:  # noqa: BLE001 - a concurrent change; the next sync fixes it
                    return

    async def sync(self, remaining: Mapping[str, int]) -> None:
        if not remaining:
            return
        async with self.redis.pipeline(transaction=False) as p:
            for line_id, n in remaining.items():
                p.set(self.key(line_id), max(0, n), ex=TTL_S)
            await p.execute()
