"""The translation cache: a line is translated once per (text, source, target, glossary
version) — in this process (an LRU dict) and, when Redis is configured, across every node,
so the same "link is up!" from a host is machine-translated once per language per week."""

from __future__ import annotations

import contextlib
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

REDIS_TTL_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Cached:
    text: str
    provider: str
    machine: bool


def cache_key(text: str, source: str, target: str, glossary_version: str) -> str:
    raw = "\x1f".join((source, target, glossary_version, text)).encode()
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


class TranslationCache:
    def __init__(self, max_entries: int = 50_000, redis: Any = None,
                 prefix: str = "chuhai:tr:") -> None:
        self.max_entries = max_entries
        self.redis = redis
        self.prefix = prefix
        self._lru: OrderedDict[str, Cached] = OrderedDict()

    def get_local(self, key: str) -> Cached | None:
        hit = self._lru.get(key)
        if hit is not None:
            self._lru.move_to_end(key)
        return hit

    async def get(self, key: str) -> Cached | None:
        hit = self.get_local(key)
        if hit is not None or self.redis is None:
            return hit
        try:
            raw = await self.redis.get(self.prefix + key)
        except Exception:  # a cache outage costs a translation, never the line
            return None
        if raw is None:
            return None
        data = orjson.loads(raw)
        hit = Cached(data["text"], data["provider"], data["machine"])
        self._remember(key, hit)
        return hit

    async def put(self, key: str, value: Cached) -> None:
        self._remember(key, value)
        if self.redis is not None:
            # a Redis outage costs other nodes a translation; this node keeps its copy
            with contextlib.suppress(Exception):
                await self.redis.set(self.prefix + key, orjson.dumps(value.__dict__),
                                     ex=REDIS_TTL_S)

    def _remember(self, key: str, value: Cached) -> None:
        self._lru[key] = value
        self._lru.move_to_end(key)
        while len(self._lru) > self.max_entries:
            self._lru.popitem(last=False)

    def __len__(self) -> int:
        return len(self._lru)
