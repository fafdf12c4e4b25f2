"""What a host console reads about its room every few seconds — sales so far, sell-out
risk — comes through here: the staff check of the room's org, then one read per room per
kind and store for a short while (``ShortCache``), whatever the number of open consoles
(the answer is the same for all the org's staff).

One helper, so every such read checks the org the same way and a new one cannot forget it.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from chuhai.core.actor import Actor, Perm
from chuhai.core.db import Stores
from chuhai.core.errors import NotFound
from chuhai.core.shortcache import ShortCache
from chuhai.live.models import Room


class StaffRoomReads:
    """One kind of read of a room for its org's staff, cached per store for
    ``room_sales_cache_s``."""

    def __init__(self) -> None:
        self._caches: weakref.WeakKeyDictionary[Stores, ShortCache[str, dict[str, Any]]] = \
            weakref.WeakKeyDictionary()

    async def get(self, stores: Stores, actor: Actor, room_id: str,
                  read: Callable[[Room], Awaitable[dict[str, Any]]]) -> tuple[Room, dict[str, Any]]:
        """The room (staff of its org only: another org's room is not found) and what
        ``read`` says of it, fresh or read at most a cache period ago."""
        actor.require(Perm.ORDERS_READ)
        async with stores.session() as s:
            room = await s.get(Room, room_id)
        if room is None or room.org_id != actor.org():
            raise NotFound("room", room_id, code="room_not_found")
        cache = self._caches.get(stores)
        if cache is None:
            cache = self._caches[stores] = ShortCache(stores.settings.room_sales_cache_s,
                                                      1_000)
        return room, await cache.get(room_id, time.monotonic(), lambda: read(room))
