"""The hourly funnel rollup: per org, market and scope (each room, video and product), the
count of each step and the money paid, hour by hour, so reports sum a few rows instead of
scanning events and orders.

Steps, each from what already exists:
- **impressions**, **views**, **clicks**: the anonymous per-hour event counts
  (``event_hours``, written by ``POST /api/events`` for everyone, consent or not: nobody's);
- **cart adds**: holds taken in the hour (``reservations``: a cart line's or a drop's; a
  drop's counts for its room) and the feed's and player's ``cart.add`` events for videos;
- **checkouts**: orders placed in the hour; **paid**: orders paid in the hour, with their
  totals per currency, gross and net of cancellations, refunds and returns since.

An hour is replaced whole (delete and insert in one transaction), so running it again gives
the same rows and nothing is counted twice; a lock row keeps two runs from overlapping
(``rollup_running``). Orders are read region by region and only counts and sums leave.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from chuhai.analytics import trust_rollup
from chuhai.analytics.models import EventHour, FunnelDay, FunnelHour, RollupLock
from chuhai.catalog.models import Product, Sku
from chuhai.checkout.models import Order, OrderEvent
from chuhai.checkout.states import OrderStatus
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores
from chuhai.core.errors import Conflict, InvalidInput
from chuhai.inventory.models import Drop, Reservation
from chuhai.live.models import Room
from chuhai.video.models import Video

STEPS = ("impressions", "views", "clicks", "cart_adds", "checkouts", "paid")
SCOPES = ("all", "room", "video", "product", "host")  # all: the org in a market, once
# Which engagement events count for which step of the funnel.
EVENT_STEP: dict[str, str] = {
    "feed.impression": "impressions",
    "video.view": "views", "room.view": "views", "product.view": "views",
    "feed.click": "clicks", "product.click": "clicks", "search.click": "clicks",
    "cart.add": "cart_adds",  # sent by the feed and the player for what they show
}
MAX_HOURS = 24 * 92  # one run covers at most a quarter of hours
LOCK_S = 15 * 60
# A paid order in one of these states no longer counts toward net GMV.
UNDONE = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.RETURNED})


def floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


@dataclass
class Cell:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*STEPS, "kept"), 0))
    money: dict[str, list[int]] = field(default_factory=dict)


Key = tuple[datetime, str, str, str, str]  # hour, org, market, scope, scope id


def scopes_of(room_id: str | None, touch: dict[str, Any] | None,
              items: Iterable[dict[str, Any]], sku_products: Mapping[str, str] | None = None,
              hosts: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Which scopes an order counts in: the org as a whole (once), its room and each of the
    room's ``hosts``, the video that brought it, each of its products (a drop's order names
    its SKU only: ``sku_products`` says whose)."""
    out: list[tuple[str, str]] = [("all", "")]
    if room_id:
        out.append(("room", room_id))
        out += sorted(("host", h) for h in set(hosts))
    item = (touch or {}).get("item_id")
    if isinstance(item, str) and item.startswith("vid_"):
        out.append(("video", item))
    known = sku_products or {}
    products = {str(i.get("product_id") or known.get(str(i.get("sku_id")), "")) for i in items}
    out += sorted(("product", p) for p in products if p)
    return out


async def _lock(stores: Stores, now: datetime) -> str:
    holder = secrets.token_hex(8)
    table = cast(Table, RollupLock.__table__)
    async with stores.session() as s:
        taken = await s.execute(update(table).where(
            table.c.name == "funnel", table.c.until < now).values(
            holder=holder, until=now + timedelta(seconds=LOCK_S)))
        if getattr(taken, "rowcount", 0) != 1:
            try:
                await s.execute(insert(table).values(
                    name="funnel", holder=holder, until=now + timedelta(seconds=LOCK_S)))
            except IntegrityError:
                await s.rollback()
                raise Conflict("a rollup is running; try again when it is done",
                               code="rollup_running") from None
        await s.commit()
    return holder


async def _unlock(stores: Stores, holder: str) -> None:
    async with stores.session() as s:
        await s.execute(delete(RollupLock).where(RollupLock.name == "funnel",
                                                 RollupLock.holder == holder))
        await s.commit()


async def rollup(stores: Stores, since: datetime, until: datetime | None = None,
                 now: datetime | None = None) -> dict[str, Any]:
    """Roll up every hour from ``since`` (rounded down) to ``until`` (default: now); the
    hours and rows written."""
    now = now or utcnow()
    start, end = floor_hour(since), floor_hour(until or now) + timedelta(hours=1)
    if end <= start:
        raise InvalidInput("since is after until", code="bad_period")
    if (end - start) > timedelta(hours=MAX_HOURS):
        raise InvalidInput(f"one run rolls up at most {MAX_HOURS // 24} days",
                           code="bad_period")
    holder = await _lock(stores, now)
    try:
        cells = await _collect(stores, start, end)
        table = cast(Table, FunnelHour.__table__)
        async with stores.session() as s:
            await s.execute(delete(table).where(table.c.hour >= start, table.c.hour < end))
            rows = [{"hour": h, "org_id": org, "market": m, "scope": sc, "scope_id": sid,
                     **c.counts, "money": c.money}
                    for (h, org, m, sc, sid), c in sorted(cells.items())]
            if rows:
                await s.execute(insert(table), rows)
            await _days(s, start, end)
            await s.commit()
        days = trust_rollup.days_of(start, end)
        trust_rows = await trust_rollup.rebuild(stores, *days)
        trust_rows += await trust_rollup.rebuild_dirty(stores, days)
    finally:
        await _unlock(stores, holder)
    return {"from": start.isoformat(), "to": end.isoformat(),
            "hours": int((end - start).total_seconds() // 3600), "rows": len(rows),
            "trust_rows": trust_rows}


async def _days(s: Any, start: datetime, end: datetime) -> None:
    """Rebuild the day rows of every day the hours [start, end) touch, from all of that
    day's hour rows (in the same transaction as the hours)."""
    first = datetime.combine(start.date(), time(), start.tzinfo)
    last = datetime.combine((end - timedelta(microseconds=1)).date(), time(),
                            start.tzinfo) + timedelta(days=1)
    hours = cast(Table, FunnelHour.__table__)
    days = cast(Table, FunnelDay.__table__)
    names = (*STEPS, "kept")
    found = (await s.execute(select(
        hours.c.hour, hours.c.org_id, hours.c.market, hours.c.scope, hours.c.scope_id,
        hours.c.money, *(hours.c[k] for k in names))
        .where(hours.c.hour >= first, hours.c.hour < last))).all()
    sums: dict[tuple[Any, ...], dict[str, Any]] = {}
    for h, org, market, scope, sid, money, *counts in found:
        acc = sums.setdefault((h.date(), org, market, scope, sid),
                              {**dict.fromkeys(names, 0), "money": {}})
        for k, n in zip(names, counts, strict=True):
            acc[k] += int(n)
        for cur, (g, net) in (money or {}).items():
            m = acc["money"].setdefault(cur, [0, 0])
            m[0] += int(g)
            m[1] += int(net)
    await s.execute(delete(days).where(days.c.day >= first.date(),
                                       days.c.day < last.date()))
    if sums:
        await s.execute(insert(days), [
            {"day": d, "org_id": org, "market": m, "scope": sc, "scope_id": sid, **acc}
            for (d, org, m, sc, sid), acc in sorted(sums.items())])


async def _collect(stores: Stores, start: datetime, end: datetime) -> dict[Key, Cell]:
    cells: dict[Key, Cell] = defaultdict(Cell)
    async with stores.session() as s:
        events = (await s.execute(select(
            EventHour.hour, EventHour.market, EventHour.item_id, EventHour.type,
            EventHour.count).where(EventHour.hour >= start, EventHour.hour < end,
                                   EventHour.type.in_(sorted(EVENT_STEP))))).all()
        holds = (await s.execute(select(
            Reservation.created_at, Reservation.org_id, Reservation.market,
            Reservation.sku_id, Drop.room_id)
            .outerjoin(Drop, Drop.id == Reservation.drop_id)
            .where(Reservation.created_at >= start, Reservation.created_at < end,
                   Reservation.source.in_(("cart", "buy", "waitlist"))))).all()
        owners = await _owners(s, {e[2] for e in events})
        hosts = await _hosts(s, {e[2] for e in events} | {h[4] for h in holds if h[4]})
        products = dict((await s.execute(select(Sku.id, Sku.product_id).where(
            Sku.id.in_({h[3] for h in holds})))).all()) if holds else {}
    for hour, market, item, kind, n in events:
        owner = owners.get(item)
        if owner is None:
            continue
        org, scope = owner
        if kind == "cart.add":  # the holds count every add; events only say which video
            if scope == "video":
                cells[(hour, org, market, scope, item)].counts["cart_adds"] += int(n)
            continue
        cells[(hour, org, market, scope, item)].counts[EVENT_STEP[kind]] += int(n)
        cells[(hour, org, market, "all", "")].counts[EVENT_STEP[kind]] += int(n)
        for host in hosts.get(item, ()) if scope == "room" else ():
            cells[(hour, org, market, "host", host)].counts[EVENT_STEP[kind]] += int(n)
    for at, org, market, sku, room in holds:
        h = floor_hour(at)
        cells[(h, org, market, "all", "")].counts["cart_adds"] += 1
        if sku in products:
            cells[(h, org, market, "product", products[sku])].counts["cart_adds"] += 1
        if room:
            cells[(h, org, market, "room", room)].counts["cart_adds"] += 1
            for host in hosts.get(room, ()):
                cells[(h, org, market, "host", host)].counts["cart_adds"] += 1
    for region in stores.regions:
        async with stores.session(region) as r:
            placed = (await r.execute(select(
                Order.created_at, Order.org_id, Order.market, Order.room_id, Order.touch,
                Order.items).where(Order.created_at >= start, Order.created_at < end))).all()
            paid = (await r.execute(select(
                OrderEvent.at, Order.org_id, Order.market, Order.room_id, Order.touch,
                Order.items, Order.currency, Order.total_minor, Order.status)
                .join(Order, Order.id == OrderEvent.order_id)
                .where(OrderEvent.to_status == OrderStatus.PAID, OrderEvent.at >= start,
                       OrderEvent.at < end))).all()
        skus = {str(i.get("sku_id")) for row in (*placed, *paid) for i in (row[5] or [])
                if not i.get("product_id")}
        if skus:
            async with stores.session() as s:
                sku_products = dict((await s.execute(select(Sku.id, Sku.product_id).where(
                    Sku.id.in_(sorted(skus))))).all())
        else:
            sku_products = {}
        async with stores.session() as s:
            hosts.update(await _hosts(s, {row[3] for row in (*placed, *paid)
                                          if row[3] and row[3] not in hosts}))
        for at, org, market, room, touch, items in placed:
            for scope, sid in scopes_of(room, touch, items or [], sku_products,
                                        hosts.get(room or "", ())):
                cells[(floor_hour(at), org, market, scope, sid)].counts["checkouts"] += 1
        for at, org, market, room, touch, items, cur, total, status in paid:
            for scope, sid in scopes_of(room, touch, items or [], sku_products,
                                        hosts.get(room or "", ())):
                cell = cells[(floor_hour(at), org, market, scope, sid)]
                cell.counts["paid"] += 1
                cell.counts["kept"] += status not in UNDONE
                money = cell.money.setdefault(cur, [0, 0])
                money[0] += int(total)
                money[1] += 0 if status in UNDONE else int(total)
    return cells


async def _hosts(s: Any, rooms: set[str]) -> dict[str, list[str]]:
    """room id → its hosts, for the rooms among ``rooms`` (other ids are skipped)."""
    wanted = sorted(r for r in rooms if r and r.startswith("room_"))
    if not wanted:
        return {}
    return {rid: list(dict.fromkeys(h or [])) for rid, h in (await s.execute(select(
        Room.id, Room.host_ids).where(Room.id.in_(wanted)))).all()}


async def _owners(s: Any, items: set[str]) -> dict[str, tuple[str, str]]:
    """item id → (org, scope) for the videos, rooms and products among ``items``."""
    if not items:
        return {}
    wanted = sorted(items)
    out: dict[str, tuple[str, str]] = {}
    for model, scope in ((Video, "video"), (Room, "room"), (Product, "product")):
        for item, org in (await s.execute(select(model.id, model.org_id).where(
                model.id.in_(wanted)))).all():
            out[item] = (org, scope)
    return out

