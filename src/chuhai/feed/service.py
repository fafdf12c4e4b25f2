"""Building a market's feed, personalized only with the person's consent.

Personalization uses the person's own trail — their analytics events (kept only with
analytics consent) and their orders — so without personalization consent none of it is
read: the feed is then ranked by the anonymous counts every visitor contributes to."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from chuhai.analytics.models import AnalyticsCount, AnalyticsEvent
from chuhai.catalog.models import Product, Sku
from chuhai.checkout.models import Order
from chuhai.core.clock import utcnow
from chuhai.core.db import UnitOfWork
from chuhai.feed.ranking import Candidate, Ranked, interests, rank
from chuhai.live.models import Room, RoomSlot
from chuhai.privacy import consent

POPULARITY_DAYS = 7
INTEREST_DAYS = 90
PURCHASE_WEIGHT = 3.0


@dataclass(frozen=True)
class Feed:
    market: str
    personalized: bool
    signals: int  # how many of the person's own events and purchases shaped the order
    items: list[tuple[Room, Ranked]]


async def build(uow: UnitOfWork, *, market: str, subject_id: str | None, region: str | None,
                gpc: bool = False, limit: int = 30, now: dt.datetime | None = None,
                country: str | None = None) -> Feed:
    """``market``: whose rooms; ``country``: whose law decides on personalization (a
    customer's home country; the market for guests)."""
    market = market.upper()
    now = now or utcnow()
    rooms = [r for r in (await uow.global_.scalars(
        select(Room).where(Room.status.in_(("live", "scheduled")))
        .order_by(Room.scheduled_at).limit(500))).all() if market in (r.markets or [])]
    ids = [r.id for r in rooms]
    chapters = await _room_chapters(uow, ids)
    views = await _views(uow, market, ids, now)
    candidates = [Candidate(r.id, r.status, r.started_at or r.scheduled_at,
                            frozenset(chapters.get(r.id, ())), views.get(r.id, 0))
                  for r in rooms]
    personal = subject_id is not None and region is not None and await consent.allowed(
        uow, subject_id=subject_id, region=region, country=(country or market).upper(),
        purpose="personalization", gpc=gpc)
    profile: dict[str, float] | None = None
    signals = 0
    if personal:
        assert subject_id is not None and region is not None
        weights = await _trail(uow, subject_id, region, now)
        signals = len(weights)
        profile = interests(weights)
    by_id = {r.id: r for r in rooms}
    ranked = rank(candidates, now, profile)[:limit]
    return Feed(market, personal, signals, [(by_id[x.room_id], x) for x in ranked])


async def _room_chapters(uow: UnitOfWork, room_ids: list[str]) -> dict[str, set[str]]:
    if not room_ids:
        return {}
    rows = await uow.global_.execute(
        select(RoomSlot.room_id, Product.hs_code).join(Product, Product.id == RoomSlot.product_id)
        .where(RoomSlot.room_id.in_(room_ids)))
    out: dict[str, set[str]] = {}
    for room_id, hs in rows:
        out.setdefault(room_id, set()).add((hs or "")[:2])
    return out


async def _views(uow: UnitOfWork, market: str, room_ids: list[str],
                 now: dt.datetime) -> dict[str, int]:
    if not room_ids:
        return {}
    since = now.date() - dt.timedelta(days=POPULARITY_DAYS)
    rows = await uow.global_.execute(
        select(AnalyticsCount.room_id, func.sum(AnalyticsCount.count))
        .where(AnalyticsCount.market == market, AnalyticsCount.type == "room.view",
               AnalyticsCount.day >= since, AnalyticsCount.room_id.in_(room_ids))
        .group_by(AnalyticsCount.room_id))
    return {room: int(n or 0) for room, n in rows}


async def _trail(uow: UnitOfWork, subject_id: str, region: str,
                 now: dt.datetime) -> list[tuple[str, float]]:
    """(HS chapter, weight) for each product the person viewed, clicked or bought."""
    since = now - dt.timedelta(days=INTEREST_DAYS)
    session = uow.region(region)
    seen: Counter[str] = Counter(pid for pid in (await session.scalars(
        select(AnalyticsEvent.product_id).where(
            AnalyticsEvent.subject_id == subject_id, AnalyticsEvent.at >= since,
            AnalyticsEvent.product_id.is_not(None)))).all() if pid)
    bought: Counter[str] = Counter()
    for items in (await session.scalars(select(Order.items).where(
            Order.buyer_id == subject_id, Order.created_at >= since))).all():
        for item in items or []:
            bought[str(item.get("sku_id", ""))] += 1
    weights: list[tuple[str, float]] = []
    if seen:
        hs = dict((await uow.global_.execute(
            select(Product.id, Product.hs_code).where(Product.id.in_(list(seen))))).all())
        weights += [((hs.get(pid) or "")[:2], float(n)) for pid, n in seen.items()]
    if bought:
        hs = dict((await uow.global_.execute(
            select(Sku.id, Product.hs_code).join(Product, Product.id == Sku.product_id)
            .where(Sku.id.in_(list(bought))))).all())
        weights += [((hs.get(sid) or "")[:2], PURCHASE_WEIGHT * n) for sid, n in bought.items()]
    return [(c, w) for c, w in weights if c]
