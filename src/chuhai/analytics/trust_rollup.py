"""Build ``trust_days``: per UTC day, seller, market and host, the counts behind the trust
figures (``analytics.trust``). Run by the hourly rollup for every day its hours touch, and
replaced whole, so a day rolled up again is counted once.

Each fact is counted on the day it happened — a question on the day it was asked, a
delivery on the day it arrived, a refund on the day it was paid back, a duty invoice on the
day it was recorded — so a past day's row no longer changes. What is read region by region
stays there; only counts and bucket counts reach the global table. An order or question in
a room counts for the seller and for each of the room's hosts.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from chuhai.analytics import trust
from chuhai.analytics.models import DutyInvoice, TrustDay, TrustDirtyDay
from chuhai.checkout.models import Order, OrderEvent
from chuhai.checkout.states import OrderStatus
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores
from chuhai.live.models import Room, RoomEvent, RoomMessage

Key = tuple[date, str, str, str]  # day, org, market ("" for questions), host ("" = seller)
ANSWER_EVENTS = ("answer", "question.answered")
CHUNK = 1000  # ids per IN (...) query


def _keys(day: date, org: str, market: str, room: str | None,
          hosts: dict[str, list[str]]) -> list[Key]:
    return [(day, org, market, "")] + [(day, org, market, h)  # a host listed twice: once
                                       for h in dict.fromkeys(hosts.get(room or "", []))]


async def rebuild(stores: Stores, first: date, last: date) -> int:
    """Replace the rows of the days [first, last); the rows written."""
    start = datetime.combine(first, time(), UTC)
    end = datetime.combine(last, time(), UTC)
    cells: dict[Key, trust.DayCounts] = defaultdict(trust.DayCounts)
    questions: list[tuple[str, int, datetime, bool]] = []
    orders: list[tuple[str, dict[str, Any]]] = []
    for region in stores.regions:
        async with stores.session(region) as r:
            questions += [(room, seq, at, bool(done)) for room, seq, at, done in (
                await r.execute(select(
                    RoomMessage.room_id, RoomMessage.seq, RoomMessage.created_at,
                    RoomMessage.answered).where(
                    RoomMessage.kind == "question", RoomMessage.deleted.is_(False),
                    RoomMessage.created_at >= start, RoomMessage.created_at < end))).all()]
            orders += await _order_facts(r, start, end)
    async with stores.session() as s:
        room_ids = sorted({q[0] for q in questions} | {
            str(f["room"]) for _, f in orders if f.get("room")})
        rooms = {rid: (org, list(hosts or [])) for rid, org, hosts in (await s.execute(
            select(Room.id, Room.org_id, Room.host_ids).where(Room.id.in_(room_ids))
        )).all()} if room_ids else {}
        answers: dict[tuple[str, int], datetime] = {}
        asked_rooms = sorted({q[0] for q in questions})
        if asked_rooms:
            for room, at, data in (await s.execute(select(
                    RoomEvent.room_id, RoomEvent.at, RoomEvent.data).where(
                    RoomEvent.room_id.in_(asked_rooms), RoomEvent.type.in_(ANSWER_EVENTS),
                    RoomEvent.at >= start))).all():
                seq = (data or {}).get("question")
                if isinstance(seq, int):
                    answers[(room, seq)] = min(at, answers.get((room, seq), at))
    hosts = {rid: h for rid, (_, h) in rooms.items()}
    for room, seq, asked, done in questions:
        if room not in rooms:
            continue
        answered_at = answers.get((room, seq))
        for cell_key in _keys(asked.date(), rooms[room][0], "", room, hosts):
            c = cells[cell_key]
            c.counts["questions"] += 1
            if done or answered_at is not None:
                c.counts["answered"] += 1
            if answered_at is not None:
                wait = max(0.0, (answered_at - asked).total_seconds())
                c.answer_hist[trust.bucket(wait, trust.ANSWER_BUCKETS_S)] += 1
    for kind, f in orders:
        for cell_key in _keys(f["at"].date(), f["org"], f["market"], f.get("room"), hosts):
            _count(cells[cell_key], kind, f)
    table = cast(Table, TrustDay.__table__)
    rows = [{"day": d, "org_id": org, "market": m, "host_id": h, **c.counts,
             **{name: getattr(c, name) for name in trust.HISTS}}
            for (d, org, m, h), c in sorted(cells.items())]
    async with stores.session() as s:
        await s.execute(delete(table).where(table.c.day >= first, table.c.day < last))
        if rows:
            await s.execute(insert(table), rows)
        await s.commit()
    return len(rows)


def _count(c: trust.DayCounts, kind: str, f: dict[str, Any]) -> None:
    k = c.counts
    if kind == "delivered":
        k["delivered"] += 1
        if f["paid_at"] is not None and trust.on_time(f["paid_at"], f["at"], f["max_days"]):
            k["on_time"] += 1
    elif kind == "returned":
        k["returned"] += 1
    elif kind == "refunded":
        k["refunds"] += 1
        if f["returned_at"] is not None:
            wait = max(0.0, (f["at"] - f["returned_at"]).total_seconds())
            c.refund_hist[trust.bucket(wait, trust.REFUND_BUCKETS_S)] += 1
    elif kind == "paid":
        k["paid_orders"] += 1
        k["repeat_orders"] += f["repeat"]
        if f["path"] is not None:  # analytics consent: the buyer's path was kept
            c.pay_hist[trust.bucket(max(0.0, (f["at"] - f["placed"]).total_seconds()),
                                    trust.STEP_BUCKETS_S)] += 1
            first = first_touch(f["path"][:-1])  # the last is the order's own touch
            if first is not None:
                c.touch_hist[trust.bucket(max(0.0, (f["placed"] - first).total_seconds()),
                                          trust.STEP_BUCKETS_S)] += 1
    elif kind == "landed":
        k["landed_checked"] += 1
        k["landed_held"] += trust.landed_held(f["quoted"], f["charged"])


async def _order_facts(r: Any, start: datetime, end: datetime
                       ) -> list[tuple[str, dict[str, Any]]]:
    """The region's deliveries, returns, refunds, payments and duty invoices in [start,
    end), each with the order's seller, market and room — no buyer leaves the region."""
    ev = OrderEvent
    base = (Order.org_id, Order.market, Order.room_id)
    out: list[tuple[str, dict[str, Any]]] = []

    def fact(at: datetime, org: str, market: str, room: str | None, **more: Any
             ) -> dict[str, Any]:
        return {"at": at, "org": org, "market": market, "room": room, **more}

    # deliveries, with when the order was paid and the longest estimate promised (read by
    # order id, in chunks: a join the planner may answer by walking every payment)
    delivered = (await r.execute(select(ev.order_id, ev.at, *base, Order.delivery_max_days)
                                 .join(Order, Order.id == ev.order_id).where(
        ev.to_status == OrderStatus.DELIVERED, ev.at >= start, ev.at < end))).all()
    paid_at = await _first(r, OrderStatus.PAID, [row[0] for row in delivered])
    for oid, at, org, market, room, max_days in delivered:
        out.append(("delivered", fact(at, org, market, room, paid_at=paid_at.get(oid),
                                      max_days=int(max_days))))
    for at, org, market, room in (await r.execute(select(ev.at, *base).join(
            Order, Order.id == ev.order_id).where(
            ev.to_status == OrderStatus.RETURNED, ev.at >= start, ev.at < end))).all():
        out.append(("returned", fact(at, org, market, room)))
    refunded = (await r.execute(select(ev.order_id, ev.at, *base).join(
        Order, Order.id == ev.order_id).where(
        ev.to_status == OrderStatus.REFUNDED, ev.from_status == OrderStatus.RETURNED,
        ev.at >= start, ev.at < end))).all()
    back = await _first(r, OrderStatus.RETURNED, [row[0] for row in refunded])
    for oid, at, org, market, room in refunded:
        out.append(("refunded", fact(at, org, market, room, returned_at=back.get(oid))))
    # payments, and whether the buyer had ordered from the seller before (a placed order
    # that was not left unpaid or cancelled), read by buyer through the buyer index
    paid_rows = (await r.execute(select(ev.at, *base, Order.buyer_id, Order.created_at,
                                        Order.touchpoints).join(
        Order, Order.id == ev.order_id).where(
        ev.to_status == OrderStatus.PAID, ev.at >= start, ev.at < end))).all()
    first_order: dict[tuple[str, str], datetime] = {}
    buyers = sorted({row[4] for row in paid_rows})
    for i in range(0, len(buyers), CHUNK):
        for buyer, org, first in (await r.execute(select(
                Order.buyer_id, Order.org_id, func.min(Order.created_at)).where(
                Order.buyer_id.in_(buyers[i:i + CHUNK]),
                Order.status.not_in((OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED)))
                .group_by(Order.buyer_id, Order.org_id))).all():
            first_order[(buyer, org)] = first
    for at, org, market, room, buyer, placed, path in paid_rows:
        out.append(("paid", fact(at, org, market, room, placed=placed, path=path,
                                 repeat=first_order.get((buyer, org), placed) < placed)))
    for at, org, market, room, quoted, duty, tax in (await r.execute(select(
            DutyInvoice.recorded_at, *base, DutyInvoice.quoted_minor, DutyInvoice.duty_minor,
            DutyInvoice.tax_minor).join(Order, Order.id == DutyInvoice.order_id).where(
            DutyInvoice.recorded_at >= start, DutyInvoice.recorded_at < end))).all():
        out.append(("landed", fact(at, org, market, room, quoted=int(quoted),
                                   charged=int(duty) + int(tax))))
    return out


def first_touch(path: list[dict[str, Any]]) -> datetime | None:
    """The earliest of an order's kept touchpoints (``analytics.touches``: those within
    the attribution windows, the most recent 19 at most) — without the closing one, which
    is the order's own last touch stamped at its placing."""
    times = []
    for point in path:
        try:
            at = datetime.fromisoformat(str(point.get("at")))
        except ValueError:
            continue
        times.append(at if at.tzinfo else at.replace(tzinfo=UTC))
    return min(times) if times else None


async def _first(r: Any, status: str, order_ids: list[str]) -> dict[str, datetime]:
    """When each order first moved to ``status``."""
    out: dict[str, datetime] = {}
    for i in range(0, len(order_ids), CHUNK):
        for oid, at in (await r.execute(select(OrderEvent.order_id, OrderEvent.at).where(
                OrderEvent.order_id.in_(order_ids[i:i + CHUNK]),
                OrderEvent.to_status == status))).all():
            out[oid] = min(at, out.get(oid, at))
    return out


def days_of(start: datetime, end: datetime) -> tuple[date, date]:
    """The UTC days [first, last) that the hours [start, end) touch, and the day before:
    a question asked before midnight may be answered after it, and its day's row must
    count the answer."""
    return (start.date() - timedelta(days=1),
            (end - timedelta(microseconds=1)).date() + timedelta(days=1))


async def mark_dirty(stores: Stores, days: set[date]) -> None:
    """Have the next rollup rebuild these days (a correction changed what they count)."""
    if not days:
        return
    now = utcnow()
    async with stores.session() as s:
        for d in sorted(days):
            if await s.get(TrustDirtyDay, d) is None:
                s.add(TrustDirtyDay(day=d, marked_at=now))
            else:
                await s.execute(update(TrustDirtyDay).where(TrustDirtyDay.day == d)
                                .values(marked_at=now))
        try:
            await s.commit()
        except IntegrityError:  # marked at the same moment by another request: marked
            await s.rollback()


async def rebuild_dirty(stores: Stores, outside: tuple[date, date]) -> int:
    """Rebuild the days marked dirty (those outside the range just rebuilt), then clear
    the marks that were there when read; the rows written. Runs under the rollup's lock."""
    async with stores.session() as s:
        marks = (await s.execute(select(TrustDirtyDay.day, TrustDirtyDay.marked_at))).all()
    rows = 0
    for day, _ in marks:
        if not outside[0] <= day < outside[1]:
            rows += await rebuild(stores, day, day + timedelta(days=1))
    async with stores.session() as s:
        for day, marked in marks:  # a mark made again meanwhile stays for the next run
            await s.execute(delete(TrustDirtyDay).where(TrustDirtyDay.day == day,
                                                        TrustDirtyDay.marked_at <= marked))
        await s.commit()
    return rows
