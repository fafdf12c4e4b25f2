"""The sell-out watch: every live room with a pinned product is estimated in the background,
so the ``room.sellout_risk`` webhook (and the operators who follow it) hear of a SKU about
to run out even when no host console is open to ask.

Each node runs the watch; a room is read by one node per period — the first to claim it in
the app's rate limiter (memory on one node, Redis across nodes) — so adding nodes adds no
reads: each live room with a pin costs one read a period across the cluster (a handful of
queries and an estimate of 2,000 draws per SKU and warehouse, in a worker thread). The
webhook itself goes out once per room, SKU and warehouse whoever sends it
(``demand.live``).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from chuhai.core.db import Stores
from chuhai.core.ratelimit import RateLimiter
from chuhai.demand import live
from chuhai.live.models import Room
from chuhai.realtime.bus import Bus

log = logging.getLogger("chuhai.demand")


async def live_rooms(stores: Stores) -> list[Room]:
    """The rooms live now with at least one pinned product."""
    async with stores.session() as s:
        rooms = (await s.scalars(select(Room).where(Room.status == "live"))).all()
    return [r for r in rooms if r.pinned]


async def watch_once(stores: Stores, bus: Bus | None, limiter: RateLimiter,
                     every_s: float) -> int:
    """Read each live room with a pin that no node has read within ``every_s``; the rooms
    read. One room's failure is logged and does not stop the others."""
    done = 0
    for room in await live_rooms(stores):
        try:
            if await limiter.claim(f"sellout-watch:{room.id}", max(1, round(every_s))):
                continue  # another node (or this one, a moment ago) read it this period
            await live.read(stores, room, stores.settings.sellout_alert_p, bus)
        except Exception:
            log.exception("sell-out watch failed for room %s", room.id)
            continue
        done += 1
    return done
