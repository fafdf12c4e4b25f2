"""Recording engagement, gated by consent where the data is written.

With analytics consent, each event is kept in the person's region with their pseudonymous
id (it feeds their own interest profile and reports). Without it, the event is stripped to
the anonymous minimum: a per-day count for the room or product, with no id, no time of day
and no link between one event and the next — not personal data, so nothing to consent to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from chuhai.analytics.events import Event
from chuhai.analytics.models import AnalyticsCount, AnalyticsEvent
from chuhai.core.clock import utcnow
from chuhai.core.db import UnitOfWork
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
                           room_id=e.room_id, product_id=e.product_id, at=now)
            for e in events])
    await _count(uow, market, now.date(), Counter(
        (e.type, e.room_id or "", e.product_id or "") for e in events))
    return Recorded(len(events), "full" if keep else "anonymous")


async def _count(uow: UnitOfWork, market: str, day: object,
                 groups: Counter[tuple[str, str, str]]) -> None:
    session = uow.global_
    for (kind, room, product), n in sorted(groups.items()):
        where = (AnalyticsCount.day == day, AnalyticsCount.market == market,
                 AnalyticsCount.type == kind, AnalyticsCount.room_id == room,
                 AnalyticsCount.product_id == product)
        bumped = await session.execute(update(AnalyticsCount).where(*where)
                                       .values(count=AnalyticsCount.count + n))
        if getattr(bumped, "rowcount", 0):
            continue
        try:
            async with session.begin_nested():
                session.add(AnalyticsCount(day=day, market=market, type=kind, room_id=room,
                                           product_id=product, count=n))
        except IntegrityError:  # another request inserted the row first: add to it
            await session.execute(update(AnalyticsCount).where(*where)
                                  .values(count=AnalyticsCount.count + n))
