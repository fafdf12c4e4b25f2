"""Recording engagement, gated by consent where the data is written.

With analytics consent, each event is kept in the person's region with their pseudonymous
id (it feeds their own interest profile and reports). Without it, the event is stripped to
the anonymous minimum: a per-day count for the room or product, with no id, no time of day
and no link between one event and the next — not personal data, so nothing to consent to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table

from chuhai.analytics.events import Event
from chuhai.analytics.models import AnalyticsCount, AnalyticsEvent, EventHour, ItemCount
from chuhai.analytics.rollup import EVENT_STEP
from chuhai.core.clock import utcnow
from chuhai.core.db import UnitOfWork
from chuhai.core.sql import insert_for
from chuhai.privacy import consent


@dataclass(frozen=True)
class Recorded:
    accepted: int
    mode: str  # "full": kept with the person's id | "anonymous": counted only


async def record(uow: UnitOfWork, events: list[Event], *, market: str,
                 subject_id: str | None, region: str | None, gpc: bool = False,
                 country: str | None = None) -> Recorded:
    """``market``: where the events happened; ``country``: whose law decides (a
    customer's home country; defaults to the market for guests)."""
    market = market.upper()
    keep = subject_id is not None and region is not None and await consent.allowed(
        uow, subject_id=subject_id, region=region, country=(country or market).upper(),
        purpose="analytics", gpc=gpc)
    now = utcnow()
    if keep:
        assert subject_id is not None and region is not None
        uow.region(region).add_all([
            AnalyticsEvent(subject_id=subject_id, market=market, type=e.type,
                           room_id=e.room_id, product_id=e.product_id,
                           video_id=e.video_id, at=now,
                           query=e.query[:200] if e.query else None)
            for e in events])
    await _count(uow, market, now.date(), Counter(
        (e.type, e.room_id or "", e.product_id or "") for e in events if not e.video_id))
    await _count_items(uow, market, now.date(), Counter(
        (e.type, e.item_id or "") for e in events if e.item_id))
    await _count_hours(uow, market, now.replace(minute=0, second=0, microsecond=0), Counter(
        (e.type, e.item_id) for e in events if e.type in FUNNEL_TYPES and e.item_id))
    return Recorded(len(events), "full" if keep else "anonymous")


# What the seller's funnel counts per hour (analytics/rollup.py), once per event, for the
# surface it happened on: its video, else its room, else its product (a product clicked in
# a live room counts for the room).
FUNNEL_TYPES = frozenset(EVENT_STEP)


async def _count_hours(uow: UnitOfWork, market: str, hour: object,
                       groups: Counter[tuple[str, str]]) -> None:
    """The funnel's anonymous per-hour counts, one upsert per (type, item)."""
    table = cast(Table, EventHour.__table__)
    for (kind, item), n in sorted(groups.items()):
        stmt = insert_for(uow.global_, table).values(
            hour=hour, market=market, item_id=item, type=kind, count=n)
        await uow.global_.execute(stmt.on_conflict_do_update(
            index_elements=["hour", "market", "item_id", "type"],
            set_={"count": table.c.count + stmt.excluded.count}))


async def _count_items(uow: UnitOfWork, market: str, day: object,
                       groups: Counter[tuple[str, str]]) -> None:
    """The feed's per-item counts, one upsert per (type, item)."""
    table = cast(Table, ItemCount.__table__)
    for (kind, item), n in sorted(groups.items()):
        stmt = insert_for(uow.global_, table).values(
            day=day, market=market, item_id=item, type=kind, count=n)
        await uow.global_.execute(stmt.on_conflict_do_update(
            index_elements=["day", "market", "item_id", "type"],
            set_={"count": table.c.count + stmt.excluded.count}))


async def _count(uow: UnitOfWork, market: str, day: object,
                 groups: Counter[tuple[str, str, str]]) -> None:
    """One upsert per (type, room, product): concurrent requests add, never overwrite."""
    table = cast(Table, AnalyticsCount.__table__)
    for (kind, room, product), n in sorted(groups.items()):
        stmt = insert_for(uow.global_, table).values(
            day=day, market=market, type=kind, room_id=room, product_id=product, count=n)
        await uow.global_.execute(stmt.on_conflict_do_update(
            index_elements=["day", "market", "type", "room_id", "product_id"],
            set_={"count": table.c.count + stmt.excluded.count}))
