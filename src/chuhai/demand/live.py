"""Sell-out risk in a live room, for the host console and the operators: for each pinned
product's SKUs, per warehouse serving the room, when its units run out at the pace since
the pin, and the probability they run out before the room's planned end
(``demand.sellout``).

With the room's bus, the viewers of each minute since the pin (the viewer-seconds the hub
keeps per wall-clock minute) go into the estimate of the room's own drop lines: sales read
per viewer, carried along the audience's trend, weighed against the sales read on their own
by how well each explains the minutes seen. Without them (the last minute or half the
minutes have no count: the bus was down, no one watched), and for a warehouse's stock —
whose holds come from carts and other rooms too — it rests on the sales alone, and says
which.

The pace is the units held per minute since the product was pinned — drop reservations and
cart adds alike, the moment a buyer takes a unit (a hold that lapses gives it back, so only
holds that stand or became orders count), the minute under way included at its share of a
minute, so a flash sale is read in its first seconds. What is left is the drop's remaining
units of the SKU from that warehouse when the room runs a drop of it, else the warehouse's
available stock. Counts only: no buyer is read.

When the probability passes the threshold (``CHUHAI_SELLOUT_ALERT_P``, 0.5 by default) the
estimate carries an alert with what the host can do — pause the pin, open a waitlist, or let
another warehouse serving the market take over — and a ``room.sellout_risk`` webhook goes
out once per pin of a room's SKU and warehouse (its outbox id is fixed by them) — whether a
console is open or not (``demand.watch`` reads every live room in the background).
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from chuhai.analytics.room_reads import StaffRoomReads
from chuhai.catalog.models import Product, Sku
from chuhai.core.actor import Actor
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores
from chuhai.core.outbox import GlobalOutbox, enqueue
from chuhai.core.workers import offload
from chuhai.demand import sellout
from chuhai.inventory.models import Drop, DropLine, Reservation, StockLevel, Warehouse
from chuhai.live.models import Room, RoomEvent
from chuhai.realtime.bus import Bus
from chuhai.realtime.hub import viewer_minutes_key

log = logging.getLogger("chuhai.demand")
STANDING = ("held", "converted")  # holds that took a unit and did not give it back
_RECENT = StaffRoomReads()


def minutes_left(room: Room, now: datetime) -> float | None:
    """Minutes until the room's planned end; None without a plan, before it went live, or
    once the plan is over-run (the room goes on: the next hour is estimated, said so)."""
    if room.planned_minutes is None or room.started_at is None:
        return None
    left = room.planned_minutes - (now - room.started_at).total_seconds() / 60
    return min(left, float(sellout.MAX_HORIZON)) if left > 0 else None


RUNNING_MIN_S = 5  # a minute under way counts once it has run this long (or is the only one)
FRESH_CLOCK_S = 10  # a clock minute younger than this has too few seconds counted to read


def series(holds: list[tuple[datetime, int]], since: datetime, now: datetime
           ) -> tuple[list[int], float]:
    """Units held in each minute from ``since`` to ``now`` — the whole minutes and the one
    under way — and the share of a minute the last one has run (1.0 when it is whole). The
    minute under way counts from ``RUNNING_MIN_S`` seconds on, so a flash sale is read in
    its first seconds, at its rate a minute, not as a minute's sales."""
    elapsed = max(0.0, (now - since).total_seconds())
    whole = int(elapsed // 60)
    running = elapsed - 60 * whole
    share = 1.0
    n = whole
    if whole == 0 or running >= RUNNING_MIN_S:
        n, share = whole + 1, max(running, RUNNING_MIN_S) / 60
    out = [0] * n
    for at, qty in holds:
        i = int((at - since).total_seconds() // 60)
        if 0 <= i < n:
            out[i] += qty
    return out, share


EVIDENCE_UNITS = 1  # units taken since the pin before any warning: without one, a guess
IMMINENT_MIN, IMMINENT_P = 2.0, 0.9  # what warns before a whole minute has been seen


def warns(est: sellout.Estimate, units: int, observed: float, threshold: float) -> bool:
    """Whether an estimate is a warning, not a guess: past the threshold, on at least
    ``EVIDENCE_UNITS`` unit since the pin, with the expected pace running the line out
    before the end, and — before a whole minute has been seen — only when the line is
    about to go (within ``IMMINENT_MIN`` minutes, ``IMMINENT_P`` likely). A first unit or
    two in the opening seconds reads as a fast rate that extrapolates to a sell-out; a
    webhook cannot be taken back (bench/sellout.py counts the false alarms of steady
    sellers)."""
    if est.p_sellout_in_slot < threshold or units < EVIDENCE_UNITS or \
            est.sellout_minute is None:
        return False
    if observed >= 1:
        return True
    return est.sellout_minute is not None and est.sellout_minute <= IMMINENT_MIN and \
        est.p_sellout_in_slot >= IMMINENT_P


def viewers_per_minute(counts: dict[str, int], since: datetime, now: datetime, n: int
                       ) -> list[int] | None:
    """The viewers in each of the ``n`` minutes of ``series(…, since, now)``, from the
    viewer-seconds kept per wall-clock minute: the clock minute holding each minute's middle
    (for a minute under way, the latest clock minute; one begun under ``FRESH_CLOCK_S`` ago
    gives way to the one before), its seconds over the part of it that had passed by
    ``now``. A minute without a count takes the nearest earlier one (the first,
    the nearest later); None when the last minute or half of them have none."""
    at = now.timestamp()
    found: list[int | None] = []
    for i in range(n):
        clock = int(min(since.timestamp() + 60 * i + 30, at - 1) // 60)
        if at - 60 * clock < FRESH_CLOCK_S:  # a clock minute just begun: the one before
            clock -= 1
        seconds = counts.get(str(clock), 0)
        passed = min(60.0, at - 60 * clock)
        found.append(max(1, round(seconds / passed)) if seconds > 0 and passed >= 1 else None)
    known = [v for v in found if v is not None]
    if not found or found[-1] is None or 2 * len(known) < len(found):
        return None
    out: list[int] = []
    for v in found:  # a gap (a node restarting, a bus hiccup) takes its neighbour's count
        out.append(v if v is not None else (out[-1] if out else known[0]))
    return out


async def audience(bus: Bus | None, room_id: str) -> dict[str, int]:
    """The room's viewer-seconds per wall-clock minute; empty without a bus or when it
    cannot be read (the estimate then rests on sales alone)."""
    if bus is None:
        return {}
    try:
        return await bus.get_counters(viewer_minutes_key(room_id))
    except Exception:
        log.warning("viewer counts of room %s unreadable", room_id, exc_info=True)
        return {}


async def room_sellout(stores: Stores, actor: Actor, room_id: str, threshold: float,
                       bus: Bus | None = None) -> dict[str, Any]:
    """The room's pinned SKUs with their sell-out estimates (staff of its org)."""
    _, out = await _RECENT.get(stores, actor, room_id,
                               lambda room: read(stores, room, threshold, bus))
    return out


async def read(stores: Stores, room: Room, threshold: float, bus: Bus | None = None
               ) -> dict[str, Any]:
    """Estimate every pinned SKU of ``room`` and send the webhooks now due: what the
    console shows, and what the background watch runs without one."""
    now = utcnow()
    left = minutes_left(room, now)
    pinned = [str(p.get("product_id")) for p in (room.pinned or []) if p.get("product_id")]
    result: dict[str, Any] = {
        "room_id": room.id, "status": room.status, "as_of": now.isoformat(),
        "planned_minutes": room.planned_minutes, "minutes_left": left,
        "threshold": threshold, "method": sellout.METHOD, "skus": []}
    if left is None and room.planned_minutes is not None and room.started_at is not None:
        result["note"] = "the planned end has passed: the estimates cover the next hour"
    if room.status != "live" or not pinned:
        return result
    watched = await audience(bus, room.id)
    async with stores.session() as s:
        pins: dict[str, datetime] = {}
        for at, data in (await s.execute(select(RoomEvent.at, RoomEvent.data).where(
                RoomEvent.room_id == room.id, RoomEvent.type == "pin"))).all():
            pid = str((data or {}).get("product_id"))
            if pid in pinned:
                pins[pid] = max(at, pins.get(pid, at))  # the latest pin starts the count
        skus = (await s.execute(select(Sku.id, Sku.code, Sku.product_id, Product.title)
                                .join(Product, Product.id == Sku.product_id)
                                .where(Sku.product_id.in_(pinned),
                                       Sku.org_id == room.org_id))).all()
        sku_ids = [k[0] for k in skus]
        found = (await s.execute(select(Warehouse.id, Warehouse.code, Warehouse.lanes).where(
            Warehouse.org_id == room.org_id))).all()
        houses = {w: code for w, code, _ in found}
        serves = {w: set(lanes or {}) for w, _, lanes in found}
        lines = (await s.execute(select(DropLine.sku_id, DropLine.warehouse_id,
                                        DropLine.market, DropLine.remaining, Drop.id)
                                 .join(Drop, Drop.id == DropLine.drop_id)
                                 .where(Drop.room_id == room.id, Drop.status == "live",
                                        DropLine.sku_id.in_(sku_ids)))).all()
        room_drops = sorted({line[4] for line in lines})
        levels = (await s.execute(select(StockLevel.sku_id, StockLevel.warehouse_id,
                                         StockLevel.on_hand, StockLevel.allocated,
                                         StockLevel.reserved)
                                  .where(StockLevel.sku_id.in_(sku_ids)))).all()
        first_pin = min(pins.values(), default=now)
        # a drop line's pace is its own drop's holds; a warehouse's, every hold on its stock
        holds = (await s.execute(select(Reservation.sku_id, Reservation.warehouse_id,
                                        Reservation.created_at, Reservation.quantity,
                                        Reservation.drop_id)
                                 .where(Reservation.sku_id.in_(sku_ids),
                                        Reservation.created_at >= first_pin,
                                        Reservation.created_at <= now,
                                        Reservation.status.in_(STANDING)))).all()
    in_drop: dict[tuple[str, str], int] = defaultdict(int)
    markets: dict[tuple[str, str], set[str]] = defaultdict(set)
    for sku_id, wh, market, remaining, _ in lines:
        in_drop[(sku_id, wh)] += int(remaining)
        markets[(sku_id, wh)].add(market)
    stock = {(k, w): int(h) - int(a) - int(r) for k, w, h, a, r in levels}
    room_markets = set(room.markets or [])
    taken: dict[tuple[str, str, bool], list[tuple[datetime, int]]] = defaultdict(list)
    for sku_id, wh, at, qty, drop_id in holds:
        taken[(sku_id, wh, drop_id in room_drops)].append((at, int(qty)))
    jobs = []
    for sku_id, code, product_id, title in skus:
        since = pins.get(product_id, now)
        # the room's drop lines with units left; else the warehouses that deliver to the
        # room's markets and have stock (a sold-out line has nothing left to warn about)
        serving = sorted({w for (k, w) in in_drop if k == sku_id and in_drop[(k, w)] > 0}
                         if any(k == sku_id for k, _ in in_drop) else
                         {w for (k, w) in stock if k == sku_id and stock[(k, w)] > 0
                          and serves.get(w, set()) & room_markets})
        for wh in serving:
            from_drop = (sku_id, wh) in in_drop
            units = in_drop[(sku_id, wh)] if from_drop else stock.get((sku_id, wh), 0)
            pace = taken.get((sku_id, wh, True), []) if from_drop else \
                taken.get((sku_id, wh, True), []) + taken.get((sku_id, wh, False), [])
            per_minute, share = series(pace, since, now)
            # the room's audience explains the room's own drop; a warehouse's holds come
            # from carts and other rooms as well
            viewers = viewers_per_minute(watched, since, now, len(per_minute)) \
                if from_drop else None
            wanted = markets.get((sku_id, wh)) or room_markets
            others = [houses.get(w, w) for (k, w), n in stock.items()
                      if k == sku_id and w != wh and n > 0 and serves.get(w, set()) & wanted]
            jobs.append(({"sku_id": sku_id, "code": code, "title": title,
                          "product_id": product_id,
                          "pinned_at": since.isoformat() if product_id in pins else None,
                          "warehouse": houses.get(wh, wh),
                          "warehouse_id": wh, "source": "drop" if from_drop else "stock",
                          "remaining": units,
                          "minutes_observed": round(len(per_minute) - 1 + share, 2),
                          "with_viewers": viewers is not None},
                         units, per_minute, share, viewers, others))
    # 2,000 draws a SKU and warehouse: a worker's job, not the event loop's
    estimates = await offload(lambda: [
        sellout.estimate(max(u, 0), m, left, v, seed=len(m), last_share=f)
        for _, u, m, f, v, _ in jobs])
    for (row, _, per_minute, share, _, others), est in zip(jobs, estimates, strict=True):
        alert = warns(est, sum(per_minute), len(per_minute) - 1 + share, threshold)
        row.update({**est.as_dict(), "alert": alert})
        row.pop("method", None)
        if alert:
            row["options"] = ["pause_pin", "open_waitlist"] + (
                [f"switch_warehouse:{w}" for w in sorted(others)])
        result["skus"].append(row)
    result["skus"].sort(key=lambda r: (-float(r["p_sellout_in_slot"]), str(r["code"])))
    await _alert(stores, room, result)  # once per fresh read, not per console ask
    return result


async def _alert(stores: Stores, room: Room, out: dict[str, Any]) -> None:
    """A webhook once per pin of a room's SKU and warehouse when its risk first passes the
    threshold: the outbox event's id is fixed by the four, so its unique key refuses a second
    one — across nodes, and never lost to a mark made before a commit that failed. Pinned
    again (after a pause, say), a product can warn again."""
    alerting: dict[str, dict[str, Any]] = {}
    for r in out["skus"]:
        if r.get("alert"):
            key = hashlib.sha256(f"{room.id}:{r['sku_id']}:{r['warehouse_id']}:"
                                 f"{r['pinned_at'] or ''}".encode())
            alerting[f"evt_sellout_{key.hexdigest()[:28]}"] = r
    if not alerting:
        return
    async with stores.session() as s:
        sent = set((await s.scalars(select(GlobalOutbox.event_id).where(
            GlobalOutbox.event_id.in_(list(alerting))))).all())
    for event_id, r in alerting.items():
        if event_id in sent:
            continue
        async with stores.session() as s:
            enqueue(s, room.org_id, "room.sellout_risk", {
                "room_id": room.id, "sku_id": r["sku_id"], "sku_code": r["code"],
                "pinned_at": r["pinned_at"],
                "warehouse": r["warehouse"], "remaining": r["remaining"],
                "sellout_minute": r["sellout_minute"],
                "p_sellout_in_slot": r["p_sellout_in_slot"],
                "minutes_left": out["minutes_left"], "options": r.get("options", [])},
                event_id=event_id)
            try:
                await s.commit()
            except IntegrityError:  # another node sent it at the same moment
                await s.rollback()
