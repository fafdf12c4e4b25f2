"""The bus between app nodes: sequenced room events, a bounded log for resume, counters and
unsequenced aggregates. In-process by default; Redis so several nodes serve one room.

Sequence numbers are assigned by the bus, atomically with appending to the log and
publishing (one Lua script in Redis), so every node sees a room's events in seq order and a
reconnecting viewer can resume from the log on whichever node it lands.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any, Protocol

import orjson
from redis.asyncio import Redis

log = logging.getLogger("chuhai.bus")
LOG_SIZE = 2000  # events kept per room for resume
LOG_TTL_S = 3 * 24 * 3600

EventHandler = Callable[[str, dict[str, Any]], None]
AggHandler = Callable[[str, dict[str, Any]], None]


class Bus(Protocol):
    node_id: str

    def attach(self, on_event: EventHandler, on_agg: AggHandler) -> None: ...
    async def subscribe(self, room: str) -> None: ...
    async def unsubscribe(self, room: str) -> None: ...
    async def publish(self, room: str, type_: str, data: dict[str, Any]) -> dict[str, Any]: ...
    async def since(self, room: str, seq: int) -> tuple[list[dict[str, Any]] | None, int]: ...
    async def recent(self, room: str, n: int) -> list[dict[str, Any]]: ...
    async def current_seq(self, room: str) -> int: ...
    async def ensure_seq_at_least(self, room: str, seq: int) -> None: ...
    async def add_counter(self, room: str, key: str, delta: int) -> int: ...
    async def get_counters(self, room: str) -> dict[str, int]: ...
    async def max_counter(self, room: str, key: str, value: int) -> int: ...
    async def publish_agg(self, room: str, agg: dict[str, Any]) -> None: ...
    async def first_time(self, room: str, key: str) -> bool: ...
    async def close(self) -> None: ...


def _event(seq: int, type_: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"seq": seq, "type": type_, "ts": round(time.time(), 3), "data": data}


class MemoryBus:
    """One process: the default for a single node and for tests."""

    def __init__(self) -> None:
        self.node_id = "mem-" + secrets.token_hex(3)
        self._seq: dict[str, int] = defaultdict(int)
        self._log: dict[str, deque[dict[str, Any]]] = defaultdict(lambda: deque(maxlen=LOG_SIZE))
        self._counters: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._rooms: set[str] = set()
        self._seen: dict[str, set[str]] = defaultdict(set)
        self._on_event: EventHandler = lambda _r, _e: None
        self._on_agg: AggHandler = lambda _r, _a: None

    def attach(self, on_event: EventHandler, on_agg: AggHandler) -> None:
        self._on_event, self._on_agg = on_event, on_agg

    async def subscribe(self, room: str) -> None:
        self._rooms.add(room)

    async def unsubscribe(self, room: str) -> None:
        self._rooms.discard(room)

    async def publish(self, room: str, type_: str, data: dict[str, Any]) -> dict[str, Any]:
        self._seq[room] += 1
        ev = _event(self._seq[room], type_, data)
        self._log[room].append(ev)
        if room in self._rooms:
            self._on_event(room, ev)
        return ev

    async def since(self, room: str, seq: int) -> tuple[list[dict[str, Any]] | None, int]:
        return _slice(list(self._log[room]), seq, self._seq[room])

    async def recent(self, room: str, n: int) -> list[dict[str, Any]]:
        return list(self._log[room])[-n:]

    async def current_seq(self, room: str) -> int:
        return self._seq[room]

    async def ensure_seq_at_least(self, room: str, seq: int) -> None:
        self._seq[room] = max(self._seq[room], seq)

    async def add_counter(self, room: str, key: str, delta: int) -> int:
        self._counters[room][key] += delta
        return self._counters[room][key]

    async def get_counters(self, room: str) -> dict[str, int]:
        return dict(self._counters[room])

    async def max_counter(self, room: str, key: str, value: int) -> int:
        self._counters[room][key] = max(self._counters[room][key], value)
        return self._counters[room][key]

    async def publish_agg(self, room: str, agg: dict[str, Any]) -> None:
        if room in self._rooms:
            self._on_agg(room, agg)

    async def first_time(self, room: str, key: str) -> bool:
        """True once per (room, key): one vote per person per poll, on every node."""
        seen = self._seen[room]
        if key in seen:
            return False
        seen.add(key)
        return True

    async def close(self) -> None:
        self._rooms.clear()


def _slice(events: list[dict[str, Any]], seq: int, current: int
           ) -> tuple[list[dict[str, Any]] | None, int]:
    """Events after ``seq``; None when the log no longer reaches back that far."""
    if seq >= current:
        return [], current
    if not events or events[0]["seq"] > seq + 1:
        return None, current
    return [e for e in events if e["seq"] > seq], current


_PUBLISH = """
local seq = redis.call('INCR', KEYS[1])
local ev = '{"seq":' .. seq .. ',' .. ARGV[1]
redis.call('RPUSH', KEYS[2], ev)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('PUBLISH', KEYS[3], 'e' .. ev)
return ev
"""
# A counter raised to a value, never lowered (a room's peak viewers): one atomic step, so
# two nodes seeing different totals at once keep the larger.
_MAX_FIELD = """
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local v = tonumber(ARGV[2])
if cur < v then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]); cur = v end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return cur
"""
_AT_LEAST = """
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""


class RedisBus:
    """Redis pub/sub per room + INCR sequence + a capped list as the resume log."""

    def __init__(self, url: str, prefix: str = "chuhai:") -> None:
        self.node_id = "node-" + secrets.token_hex(4)
        self.redis = Redis.from_url(url)
        self.prefix = prefix
        self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self._reader: asyncio.Task[None] | None = None
        self._publish = self.redis.register_script(_PUBLISH)
        self._at_least = self.redis.register_script(_AT_LEAST)
        self._max_field = self.redis.register_script(_MAX_FIELD)
        self._on_event: EventHandler = lambda _r, _e: None
        self._on_agg: AggHandler = lambda _r, _a: None
        self._rooms: set[str] = set()

    def _k(self, room: str, what: str) -> str:
        return f"{self.prefix}room:{room}:{what}"

    def attach(self, on_event: EventHandler, on_agg: AggHandler) -> None:
        self._on_event, self._on_agg = on_event, on_agg

    async def subscribe(self, room: str) -> None:
        if room in self._rooms:
            return
        self._rooms.add(room)
        await self._pubsub.subscribe(self._k(room, "ch"))
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="redis-bus-reader")

    async def unsubscribe(self, room: str) -> None:
        if room in self._rooms:
            self._rooms.discard(room)
            await self._pubsub.unsubscribe(self._k(room, "ch"))

    async def _read(self) -> None:
        while self._rooms:
            try:
                msg = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # a dropped connection: redis-py reconnects on the next call
                log.exception("redis bus read failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if msg is None:
                continue
            channel = msg["channel"].decode()
            room = channel[len(self.prefix) + 5:-3]
            payload: bytes = msg["data"]
            try:
                body = orjson.loads(payload[1:])
            except orjson.JSONDecodeError:
                log.warning("undecodable bus message on %s", channel)
                continue
            if payload[:1] == b"e":
                self._on_event(room, body)
            else:
                self._on_agg(room, body)

    async def publish(self, room: str, type_: str, data: dict[str, Any]) -> dict[str, Any]:
        rest = orjson.dumps({"type": type_, "ts": round(time.time(), 3), "data": data})[1:]
        raw = await self._publish(keys=[self._k(room, "seq"), self._k(room, "log"),
                                        self._k(room, "ch")],
                                  args=[rest, LOG_SIZE, LOG_TTL_S])
        return dict(orjson.loads(raw))

    async def since(self, room: str, seq: int) -> tuple[list[dict[str, Any]] | None, int]:
        current = await self.current_seq(room)
        if seq >= current:
            return [], current
        first_raw = await self.redis.lindex(self._k(room, "log"), 0)
        if first_raw is None:
            return None, current
        first = int(orjson.loads(first_raw)["seq"])
        if first > seq + 1:
            return None, current
        raws = await self.redis.lrange(self._k(room, "log"), seq + 1 - first, -1)
        return [orjson.loads(r) for r in raws], current

    async def recent(self, room: str, n: int) -> list[dict[str, Any]]:
        return [orjson.loads(r) for r in await self.redis.lrange(self._k(room, "log"), -n, -1)]

    async def current_seq(self, room: str) -> int:
        return int(await self.redis.get(self._k(room, "seq")) or 0)

    async def ensure_seq_at_least(self, room: str, seq: int) -> None:
        await self._at_least(keys=[self._k(room, "seq")], args=[seq])

    async def add_counter(self, room: str, key: str, delta: int) -> int:
        k = self._k(room, "counters")
        async with self.redis.pipeline(transaction=False) as pipe:  # one round trip
            pipe.hincrby(k, key, delta)
            pipe.expire(k, LOG_TTL_S)
            total, _ = await pipe.execute()
        return int(total)

    async def get_counters(self, room: str) -> dict[str, int]:
        raw = await self.redis.hgetall(self._k(room, "counters"))
        return {k.decode(): int(v) for k, v in raw.items()}

    async def max_counter(self, room: str, key: str, value: int) -> int:
        return int(await self._max_field(keys=[self._k(room, "counters")],
                                         args=[key, int(value), LOG_TTL_S]))

    async def publish_agg(self, room: str, agg: dict[str, Any]) -> None:
        await self.redis.publish(self._k(room, "ch"), b"a" + orjson.dumps(agg))

    async def first_time(self, room: str, key: str) -> bool:
        k = self._k(room, "seen")
        added = await self.redis.sadd(k, key)
        await self.redis.expire(k, LOG_TTL_S)
        return bool(added)

    async def close(self) -> None:
        self._rooms.clear()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        await self.redis.aclose()
