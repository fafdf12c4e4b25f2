"""A per-node cache of things read on every request of a burst and changed rarely — a
drop's terms, a SKU's terms in a market — kept for about a second, with **one read in
flight per key**: every caller arriving while it runs awaits the same result instead of
starting its own (a burst of 5,000 buyers makes one read, not 5,000).

Never the authority for stock: what is cached only guides; the conditional UPDATE decides.
A failed read is not cached, and each waiting caller sees its exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ShortCache(Generic[K, V]):
    def __init__(self, ttl_s: float = 1.0, max_items: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._items: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K, clock: float, load: Callable[[], Awaitable[V]]) -> V:
        """The value of ``key`` read at most ``ttl_s`` before ``clock`` (seconds), or what
        ``load`` reads now — once, however many callers ask meanwhile."""
        hit = self._items.get(key)
        if hit is not None and 0 <= clock - hit[0] < self.ttl_s:
            return hit[1]
        pending = self._loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            value = await load()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so an unwaited failure is not logged
            raise
        finally:
            self._loading.pop(key, None)
        future.set_result(value)
        if len(self._items) >= self.max_items:
            self._items.clear()
        self._items[key] = (clock, value)
        return value

    def forget(self, match: Callable[[K], bool] | None = None) -> None:
        """Drop every entry (or those whose key ``match``es): the next read is fresh."""
        for key in [k for k in self._items if match is None or match(k)]:
            del self._items[key]
