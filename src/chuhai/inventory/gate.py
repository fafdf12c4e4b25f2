"""The optional Redis admission gate: turn sold-out traffic away before it reaches SQL.

One counter per drop line holds the units the gate still lets through. A Lua script checks
and decrements it atomically. The gate is an optimisation only: SQL stays the authority. If
the gate admits a buyer the database then refuses, the database wins; if the counter is
missing (Redis restarted) the buyer goes to SQL; and ``sync`` resets every counter from SQL
at start and on each sweep, so drift — units given back by expiry, a crash between admit
and give-back — lasts at most one sweep.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

# KEYS: remaining, in flight, standby[, the buyer's idempotency key]. A key that already
# reserved answers 2 (a retry: SQL gives the original back, nothing is counted). Otherwise:
# 1 admitted; -2 "units in flight may come back": the caller lets SQL decide — but only as
# many buyers stand by in SQL (per second) as units are in flight, since no more could ever
# get one; 0 sold out for everyone else, at once, without touching SQL.
_ADMIT = """
if KEYS[4] and redis.call('EXISTS', KEYS[4]) == 1 then return 2 end
local v = redis.call('GET', KEYS[1])
if not v then return -1 end
local n = tonumber(ARGV[1])
if tonumber(v) >= n then
  redis.call('DECRBY', KEYS[1], n)
  redis.call('INCRBY', KEYS[2], n)
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  return 1
end
local f = tonumber(redis.call('GET', KEYS[2]) or '0')
if f > 0 and tonumber(v) + f >= n then
  local s = redis.call('INCRBY', KEYS[3], n)
  if s == n then redis.call('EXPIRE', KEYS[3], 1) end
  if s <= tonumber(v) + f then return -2 end
end
return 0
"""

# ARGV: units, give back (1/0), ttl. Ends an admitted request's flight; with KEYS[3] (the
# buyer's idempotency key, after a success) also remembers the key, in the same round trip.
_SETTLE = """
local f = tonumber(redis.call('GET', KEYS[2]) or '0') - tonumber(ARGV[1])
if f < 0 then f = 0 end
redis.call('SET', KEYS[2], f, 'EX', ARGV[3])
if KEYS[3] then redis.call('SET', KEYS[3], 1, 'EX', ARGV[3]) end
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('INCRBY', KEYS[1], ARGV[1])
end
return f
"""

# Units back after an expiry or a cancel (no flight to end).
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return -1
"""

# The counter lives a day past its last write; an ended drop's counter then disappears.
TTL_S = 24 * 3600


class Gate(Protocol):
    async def admit(self, line_id: str, quantity: int, buyer_id: str | None = None,
                    key: str | None = None) -> int:
        """1 admitted, 0 sold out, -1 unknown (ask SQL), -2 units in flight may come back
        (ask SQL; at most as many buyers as such units), 2 this buyer's key already
        reserved (ask SQL for it)."""

    async def settle(self, line_id: str, quantity: int, *, give_back: bool,
                     remember: tuple[str, str] | None = None) -> None:
        """An admitted request finished; ``give_back`` if SQL did not take its units for a
        reason other than "sold out" (which means the units were never there);
        ``remember`` (buyer, key) after a success, so a retry is recognised."""

    async def give_back(self, line_id: str, quantity: int) -> None: ...


    async def sync(self, remaining: Mapping[str, int]) -> None: ...


class RedisGate:
    def __init__(self, redis: Redis, prefix: str = "chuhai:gate:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._src = {"admit": _ADMIT, "settle": _SETTLE, "give_back": _GIVE_BACK}
        self._sha = {name: hashlib.sha1(src.encode(), usedforsecurity=False).hexdigest()
                     for name, src in self._src.items()}

    async def _run(self, name: str, keys: list[str], *args: int) -> int:
        # EVALSHA, falling back to EVAL (which runs and caches the script) when Redis does
        # not know it yet — after a restart or SCRIPT FLUSH.
        try:
            return int(await self.redis.evalsha(self._sha[name], len(keys), *keys, *args))
        except NoScriptError:
            return int(await self.redis.eval(self._src[name], len(keys), *keys, *args))

    def key(self, line_id: str) -> str:
        return f"{self.prefix}{line_id}"

    def _keys(self, line_id: str) -> list[str]:
        return [self.key(line_id), f"{self.key(line_id)}:flight"]

    async def admit(self, line_id: str, quantity: int, buyer_id: str | None = None,
                    key: str | None = None) -> int:
        keys = [*self._keys(line_id), f"{self.key(line_id)}:standby"]
        if buyer_id is not None and key is not None:
            keys.append(self._idem(buyer_id, key))
        return await self._run("admit", keys, quantity, TTL_S)

    async def settle(self, line_id: str, quantity: int, *, give_back: bool,
                     remember: tuple[str, str] | None = None) -> None:
        keys = self._keys(line_id)
        if remember is not None:
            keys.append(self._idem(*remember))
        await self._run("settle", keys, quantity, int(give_back), TTL_S)

    async def give_back(self, line_id: str, quantity: int) -> None:
        # Only to a counter that exists (a missing one already means "ask SQL"), and in one
        # script: a WATCH/MULTI version lost give-backs whenever an admit touched the key in
        # between (measured: 3 concurrent give-backs added 1), turning buyers away from
        # units SQL still had.
        await self._run("give_back", [self.key(line_id)], quantity, TTL_S)

    def _idem(self, buyer_id: str, key: str) -> str:
        return f"{self.prefix}key:{buyer_id}:{key}"


    async def sync(self, remaining: Mapping[str, int]) -> None:
        if not remaining:
            return
        async with self.redis.pipeline(transaction=False) as p:
            for line_id, n in remaining.items():
                remaining_key, flight_key = self._keys(line_id)
                p.set(remaining_key, max(0, n), ex=TTL_S)
                p.delete(flight_key, f"{remaining_key}:standby")
            await p.execute()
