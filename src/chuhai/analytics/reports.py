"""The channels report, read from every region's paid orders of an org (nothing personal
leaves the query: market, payment time, channel, the touchpoints' channels, the total)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from chuhai.analytics import channels
from chuhai.analytics.channels import PaidOrder
from chuhai.analytics.holdouts import reporting_currency
from chuhai.checkout.models import Order, OrderEvent
from chuhai.checkout.states import OrderStatus
from chuhai.core.actor import Actor, Perm
from chuhai.core.db import Stores
from chuhai.crossborder.fx import RateTable

MAX_ORDERS = 200_000  # per region and request: beyond this, ask for a shorter period


async def paid_orders(stores: Stores, org_id: str, market: str | None, start: datetime,
                      end: datetime) -> tuple[list[PaidOrder], bool]:
    """The org's orders paid in [start, end), whatever happened to them after (gross), and
    whether a region had more than ``MAX_ORDERS`` (then the earliest are reported only)."""
    out: list[PaidOrder] = []
    truncated = False
    for region in stores.regions:
        async with stores.session(region) as r:
            q = (select(Order.market, OrderEvent.at, Order.channel, Order.touchpoints,
                        Order.total_minor, Order.currency)
                 .join(OrderEvent, OrderEvent.order_id == Order.id)
                 .where(Order.org_id == org_id, OrderEvent.to_status == OrderStatus.PAID,
                        OrderEvent.at >= start, OrderEvent.at < end)
                 .order_by(OrderEvent.at).limit(MAX_ORDERS + 1))
            if market:
                q = q.where(Order.market == market)
            rows = (await r.execute(q)).all()
            truncated = truncated or len(rows) > MAX_ORDERS
            for m, at, channel, points, total, cur in rows[:MAX_ORDERS]:
                path = [str(p.get("channel")) for p in points
                        if isinstance(p, dict)] if points else None
                out.append(PaidOrder(m, at, channel, path, int(total), cur))
    return out, truncated


async def channel_report(stores: Stores, actor: Actor, *, market: str | None,
                         start: datetime, end: datetime, model: str,
                         fx: RateTable) -> dict[str, Any]:
    actor.require(Perm.REPORTS_READ)
    org_id = actor.org()
    currency = await reporting_currency(stores, org_id)
    orders, truncated = await paid_orders(stores, org_id, market, start, end)
    out = channels.report(orders, model=model, fx=fx, currency=currency)
    out.update({"market": market, "from": start.isoformat(), "to": end.isoformat(),
                "truncated": truncated})
    return out
