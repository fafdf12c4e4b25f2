"""A SKU's demand in a market after the streams: daily units sold from the order history
(read region by region: only the per-day counts leave), the forecast with its 80 % interval
(``demand.forecast``), the seller's live rooms and drops as known events, and per overseas
warehouse serving the market what to reorder now for its restock lead time."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from chuhai.catalog.models import Product, Sku
from chuhai.checkout.models import Order, OrderEvent
from chuhai.checkout.states import OrderStatus
from chuhai.core.actor import Actor, Perm
from chuhai.core.db import Stores
from chuhai.core.errors import InvalidInput, NotFound
from chuhai.core.workers import offload
from chuhai.demand.forecast import check_horizon, forecast, reorder
from chuhai.demand.lanes import default_lane
from chuhai.inventory.models import Drop, DropLine, StockLevel, Warehouse
from chuhai.live.models import Room
from chuhai.markets.profiles import get_profile

HISTORY_DAYS = 365
SHOWN_DAYS = 90
NOT_SOLD = (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED)


async def _history(stores: Stores, org_id: str, sku_id: str, market: str, since: datetime
                   ) -> dict[str, dict[date, float]]:
    """Units of the SKU paid per day: the market's total ("") and per warehouse — every
    market a warehouse ships to, since its stock serves them all."""
    out: dict[str, dict[date, float]] = defaultdict(dict)
    for region in stores.regions:
        async with stores.session(region) as r:
            rows = (await r.execute(select(OrderEvent.at, Order.items, Order.warehouse_id,
                                           Order.market)
                                    .join(Order, Order.id == OrderEvent.order_id)
                                    .where(Order.org_id == org_id,
                                           OrderEvent.to_status == OrderStatus.PAID,
                                           OrderEvent.at >= since,
                                           Order.status.not_in(NOT_SOLD)))).all()
        for at, items, wh, sold_in in rows:
            units = sum(int(i.get("quantity", 0)) for i in (items or [])
                        if i.get("sku_id") == sku_id)
            if units:
                for key in ("", wh) if sold_in == market else (wh,):
                    out[key][at.date()] = out[key].get(at.date(), 0.0) + units
    return out


async def _events(stores: Stores, org_id: str, market: str, since: datetime, now: datetime,
                  until: datetime) -> tuple[set[date], set[date]]:
    """The days of the seller's live rooms and drops in the market: (past, ahead). Past:
    rooms that went live, drops that started with a line for the market. Ahead (today
    included): rooms still scheduled. A drop has no day until it starts."""
    today = now.date()
    async with stores.session() as s:
        rooms = (await s.execute(select(Room.scheduled_at, Room.started_at, Room.markets,
                                        Room.status).where(
            Room.org_id == org_id, Room.scheduled_at >= since,
            Room.scheduled_at < until))).all()
        drops = (await s.execute(select(Drop.starts_at).where(
            Drop.org_id == org_id, Drop.starts_at >= since, Drop.starts_at < now,
            Drop.id.in_(select(DropLine.drop_id).where(DropLine.market == market))))).all()
    past = {started.date() for _, started, markets, _ in rooms
            if started is not None and market in (markets or []) and started.date() < today}
    past |= {at.date() for (at,) in drops if at is not None and at.date() < today}
    ahead = {scheduled.date() for scheduled, _, markets, status in rooms
             if status == "scheduled" and market in (markets or [])
             and scheduled.date() >= today}
    return past, ahead


async def sku_demand(stores: Stores, actor: Actor, sku_id: str, market: str, horizon: int,
                     now: datetime, service: float = 0.95) -> dict[str, Any]:
    actor.require(Perm.REPORTS_READ)
    horizon = check_horizon(horizon)
    market = market.upper()
    if get_profile(market) is None:
        raise InvalidInput(f"no market {market!r}", code="unknown_market")
    org_id = actor.org()
    async with stores.session() as s:
        found = (await s.execute(select(Sku.code, Product.title).join(
            Product, Product.id == Sku.product_id).where(
            Sku.id == sku_id, Sku.org_id == org_id))).first()
        if found is None:
            raise NotFound("sku", sku_id, code="sku_not_found")
        houses = (await s.scalars(select(Warehouse).where(Warehouse.org_id == org_id))).all()
        levels = {w: int(h) - int(a) - int(r) for w, h, a, r in (await s.execute(select(
            StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.allocated,
            StockLevel.reserved).where(StockLevel.sku_id == sku_id))).all()}
    since = now - timedelta(days=HISTORY_DAYS)
    today = now.date()
    yesterday = today - timedelta(days=1)
    history = await _history(stores, org_id, sku_id, market, since)
    past, future = await _events(stores, org_id, market, since, now,
                                 now + timedelta(days=horizon + 1))
    serving = [w for w in houses if market in (w.lanes or {}) and w.kind == "overseas"]
    series = {key: days for key, days in history.items()
              if key == "" or any(w.id == key for w in serving)}
    series.setdefault("", {})
    series[""].setdefault(yesterday, 0.0)  # up to yesterday, today being unfinished
    for w in serving:
        series.setdefault(w.id, {yesterday: 0.0})
    points = await offload(lambda: forecast(
        series, horizon, past_events={k: past for k in series},
        future_events={k: future for k in series}, last_day=yesterday))
    by_series: dict[str, list[Any]] = defaultdict(list)
    for p in points:
        by_series[p.unique_id].append(p)
    shown_from = yesterday - timedelta(days=SHOWN_DAYS - 1)
    total = series[""]
    origins = sorted({w.country for w in houses if w.kind == "origin"})
    warehouses = []
    for w in serving:
        row: dict[str, Any] = {"warehouse": w.code, "warehouse_id": w.id,
                               "available": levels.get(w.id, 0),
                               "restock_lead_days": w.restock_lead_days,
                               "lead_from": "warehouse", "lane": None}
        lead = w.restock_lead_days
        if lead is None:
            lane = default_lane(origins, w.country)
            if lane is not None:  # the sourced lane's upper end, named, until the seller's
                lead = lane.plan_days
                row["lead_from"], row["lane"] = "lane", lane.as_dict()
        if lead is None:
            row["reorder"], row["lead_from"] = None, None
            row["reason"] = ("set the warehouse's restock lead time for a suggestion (no "
                             f"sourced lane from {', '.join(origins) or 'an origin warehouse'}"
                             f" to {w.country})")
        else:
            row["reorder"] = reorder(by_series[w.id], lead, float(levels.get(w.id, 0)),
                                     service=service)
        warehouses.append(row)
    return {
        "sku_id": sku_id, "code": found[0], "title": found[1], "market": market,
        "horizon": horizon, "as_of": today.isoformat(),
        "history": [{"ds": (shown_from + timedelta(days=k)).isoformat(),
                     "y": total.get(shown_from + timedelta(days=k), 0.0)}
                    for k in range(SHOWN_DAYS)],
        "forecast": [p.as_dict() for p in by_series[""]],
        "events": sorted(d.isoformat() for d in future),
        "warehouses": warehouses,
        "note": "Units paid per day in the market (a day without sales is 0), up to "
                "yesterday; the forecast's 80 % interval; days with a scheduled live room "
                "lifted by what live days sold before. Reorder: each warehouse's demand "
                "over its restock lead time and a week's review, in every market it ships "
                "to, plus safety stock for the service level, less what is available. A "
                "warehouse without a lead time of its own uses the sourced sea lane from "
                "the seller's origin (its upper end), named.",
    }
