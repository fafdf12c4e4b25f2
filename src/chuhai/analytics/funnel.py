"""The seller's funnel over a period, summed from the hourly rollup (``analytics.rollup``):
impressions → views → clicks → cart adds → checkouts → paid, each with its conversion from
the step before; GMV by payment time, gross and net of cancellations, refunds and returns;
the average order value. Reports read only ``funnel_hours`` — never events or orders.

Definitions (shown with the report):
- *impressions*: feed cards at least half on screen; *views*: a video watched 3 s or more, a
  room or a product page opened; *clicks*: a card or a search result opened;
- *cart adds*: units held for a buyer (a cart line or a drop reservation);
- *checkouts*: orders placed; *paid*: orders paid in the period;
- *GMV gross*: what paid orders charged, delivery, duties and taxes included; *net*: less
  the orders since cancelled, refunded or returned; *AOV*: net GMV per paid order not undone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from chuhai.analytics import trust
from chuhai.analytics.models import FunnelDay, FunnelHour, TrustDay
from chuhai.analytics.rollup import SCOPES, STEPS
from chuhai.catalog.models import Product
from chuhai.core.db import Stores
from chuhai.core.errors import InvalidInput, NotFound
from chuhai.core.money import minor_digits
from chuhai.crossborder.fx import FxError, RateTable
from chuhai.live.models import Room
from chuhai.markets.profiles import get_profile
from chuhai.video.models import Video

DEFINITIONS = {
    "impressions": "feed cards at least half on screen",
    "views": "a video watched 3 s or more, a room or a product page opened",
    "clicks": "a feed card or a search result opened",
    "cart_adds": "units held for a buyer: a cart line or a drop reservation",
    "checkouts": "orders placed",
    "paid": "orders paid in the period",
    "gmv_gross": "what paid orders charged, delivery, duties and taxes included",
    "gmv_net": "gross less the orders since cancelled, refunded or returned",
    "aov": "net GMV per paid order not since undone",
}


@dataclass(frozen=True)
class HourRow:
    hour: datetime
    counts: Mapping[str, int]
    money: Mapping[str, list[int]]


def summarize(rows: Iterable[HourRow], fx: RateTable, currency: str) -> dict[str, Any]:
    """Steps with conversions, GMV and AOV in ``currency`` (each hour's money at the ECB
    rate of its day). Pure."""
    totals = dict.fromkeys(STEPS, 0)
    gross = net = Decimal(0)
    undone_free = 0
    unconverted: set[str] = set()
    step = Decimal(1).scaleb(-minor_digits(currency))
    # money summed per currency and day first: one conversion per day, not per hour
    per_day: dict[tuple[str, date], list[int]] = {}
    for row in rows:
        for s in STEPS:
            totals[s] += int(row.counts.get(s, 0))
        for cur, (g, n) in row.money.items():
            acc = per_day.setdefault((cur, row.hour.date()), [0, 0])
            acc[0] += int(g)
            acc[1] += int(n)
        undone_free += int(row.counts.get("kept", 0))
    for (cur, day), (g, n) in per_day.items():
        try:
            rate = fx.convert(Decimal(1), cur, currency, day)
        except FxError:
            unconverted.add(cur)
            continue
        gross += Decimal(g).scaleb(-minor_digits(cur)) * rate
        net += Decimal(n).scaleb(-minor_digits(cur)) * rate
    steps = []
    for i, s in enumerate(STEPS):
        before = totals[STEPS[i - 1]] if i else None
        steps.append({"step": s, "count": totals[s],
                      "conversion": round(totals[s] / before, 4) if before else None,
                      "definition": DEFINITIONS[s]})
    return {"currency": currency, "steps": steps,
            "gmv_gross": str(gross.quantize(step)), "gmv_net": str(net.quantize(step)),
            "aov": str((net / undone_free).quantize(step)) if undone_free else None,
            "unconverted_currencies": sorted(unconverted),
            "definitions": {k: DEFINITIONS[k] for k in ("gmv_gross", "gmv_net", "aov")}}


def check_scope(scope: str, scope_id: str | None) -> tuple[str, str]:
    if scope not in SCOPES:
        raise InvalidInput(f"scope must be one of {list(SCOPES)}", code="bad_scope")
    if (scope == "all") != (not scope_id):
        raise InvalidInput("name the room, video, product or host (and only for those)",
                           code="bad_scope")
    return scope, scope_id or ""


async def check_owner(stores: Stores, org_id: str, scope: str, scope_id: str) -> None:
    """The room, video or product must be the org's own, the host one of its rooms' hosts
    (another's is not found)."""
    if scope == "host":
        if scope_id not in await hosts_of(stores, org_id):
            raise NotFound(scope, scope_id, code="scope_not_found")
        return
    columns = {"room": (Room.id, Room.org_id), "video": (Video.id, Video.org_id),
               "product": (Product.id, Product.org_id)}.get(scope)
    if columns is None:
        return
    async with stores.session() as s:
        owner = await s.scalar(select(columns[1]).where(columns[0] == scope_id))
    if owner != org_id:
        raise NotFound(scope, scope_id, code="scope_not_found")


async def step_times(stores: Stores, org_id: str, start: datetime, end: datetime,
                     market: str | None, host: str) -> dict[str, Any]:
    """Median first touch → order and order → payment over the period's days, from buyers
    with analytics consent only (the note says so wherever the times are shown); and the
    paid orders from new and from returning buyers (everyone's, counted in their region)."""
    t = TrustDay
    q = select(t.touch_hist, t.pay_hist, t.paid_orders, t.repeat_orders).where(
        t.org_id == org_id, t.host_id == host, t.day >= start.date(), t.day <= (
            end - timedelta(microseconds=1)).date())
    if market:
        q = q.where(t.market == market)
    async with stores.session() as s:
        found = (await s.execute(q)).all()
    c = trust.total({"touch_hist": a, "pay_hist": b, "paid_orders": n, "repeat_orders": r}
                    for a, b, n, r in found)
    return {**trust.step_times(c), "note": trust.STEP_NOTE,
            "new_buyer_orders": c.counts["paid_orders"] - c.counts["repeat_orders"],
            "returning_buyer_orders": c.counts["repeat_orders"]}


async def audience(stores: Stores, room_id: str) -> dict[str, Any]:
    """A room's peak concurrent viewers and watch time: kept when it ended; while it is
    live, nothing yet (the host console shows the live count)."""
    async with stores.session() as s:
        room = await s.get(Room, room_id)
    assert room is not None
    return {"status": room.status, "peak_viewers": room.peak_viewers,
            "watch_seconds": room.watch_seconds,
            "started_at": room.started_at.isoformat() if room.started_at else None,
            "ended_at": room.ended_at.isoformat() if room.ended_at else None,
            "definition": "peak: the most viewers connected at once, counted every second "
                          "across nodes; watch time: viewer-seconds connected, summed"}


async def hosts_of(stores: Stores, org_id: str) -> set[str]:
    """Everyone who has hosted (or is to host) one of the org's rooms."""
    async with stores.session() as s:
        found = (await s.scalars(select(Room.host_ids).where(Room.org_id == org_id))).all()
    return {h for hosts in found for h in (hosts or [])}


async def report(stores: Stores, org_id: str, start: datetime, end: datetime, *,
                 market: str | None, scope: str, scope_id: str | None, fx: RateTable,
                 currency: str) -> dict[str, Any]:
    """The funnel of the org (or one of its rooms, videos, products) over [start, end)."""
    scope, sid = check_scope(scope, scope_id)
    if market is not None and get_profile(market) is None:
        raise InvalidInput(f"no market {market!r}", code="unknown_market")
    await check_owner(stores, org_id, scope, sid)
    rows = await read(stores, org_id, start, end, market=market, scope=scope, scope_id=sid)
    out = summarize(rows, fx, currency)
    if scope == "room":
        out["room"] = await audience(stores, sid)
    if scope in ("all", "host"):
        out["step_times"] = await step_times(stores, org_id, start, end, market, host=sid)
    out.update({"scope": scope, "scope_id": sid or None, "market": market,
                "from": start.isoformat(), "to": end.isoformat(),
                "periods": len({r.hour for r in rows}),
                "source": "hourly rollup (chuhai analytics rollup; hourly in the worker)"})
    return out


async def read(stores: Stores, org_id: str, start: datetime, end: datetime, *,
               market: str | None, scope: str, scope_id: str) -> list[HourRow]:
    """The rollup rows of the period: whole UTC days from the day table (what reports
    ask), any other edges hour by hour."""
    names = (*STEPS, "kept")
    whole = start == start.replace(hour=0, minute=0, second=0, microsecond=0) and \
        end == end.replace(hour=0, minute=0, second=0, microsecond=0)
    async with stores.session() as s:
        if whole:
            d = FunnelDay
            q = select(d.day, d.money, *(getattr(d, k) for k in names)).where(
                d.org_id == org_id, d.scope == scope, d.scope_id == scope_id,
                d.day >= start.date(), d.day < end.date())
            if market:
                q = q.where(d.market == market)
            return [HourRow(datetime.combine(row[0], time(), UTC),
                            dict(zip(names, row[2:], strict=True)), dict(row[1] or {}))
                    for row in (await s.execute(q)).all()]
        f = FunnelHour
        q = select(f.hour, f.money, *(getattr(f, k) for k in names)).where(
            f.org_id == org_id, f.scope == scope, f.scope_id == scope_id, f.hour >= start,
            f.hour < end)
        if market:
            q = q.where(f.market == market)
        found = (await s.execute(q)).all()
    return [HourRow(row[0], dict(zip(names, row[2:], strict=True)), dict(row[1] or {}))
            for row in found]
