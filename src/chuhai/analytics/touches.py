"""Attributing an order as it is placed: its last touch always, its touchpoints with consent.

The last touch arrives with the buyer's path (the cart's, or the live room a drop was bought
in). The touchpoints are read from the buyer's own engagement events — which exist only if
they gave analytics consent — and only while that consent still stands at checkout.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from chuhai.accounts.models import Org
from chuhai.analytics.attribution import (
    DEFAULT_CLICK_DAYS,
    DEFAULT_VIEW_DAYS,
    DIRECT,
    EVENT_TOUCH,
    Touch,
    touchpoints,
)
from chuhai.analytics.models import AnalyticsEvent
from chuhai.checkout.models import Order
from chuhai.core.db import Stores, unit_of_work
from chuhai.privacy import consent

MAX_EVENTS = 200  # the most recent events read per order: a path longer than this is noise


def stored_touch(raw: dict[str, Any] | None) -> Touch:
    """A touch as the cart or order keeps it (already checked when it arrived)."""
    if not raw or not isinstance(raw.get("channel"), str):
        return DIRECT
    return Touch(raw["channel"], raw.get("item_id"), dict(raw.get("utm") or {}))


async def windows(stores: Stores, org_id: str) -> tuple[int, int]:
    async with stores.session() as s:
        row = (await s.execute(select(Org.attribution_click_days, Org.attribution_view_days)
                               .where(Org.id == org_id))).first()
    return (int(row[0]), int(row[1])) if row else (DEFAULT_CLICK_DAYS, DEFAULT_VIEW_DAYS)


async def attribute(stores: Stores, order: Order, touch: Touch, at: datetime) -> None:
    """Set the order's channel, touch and (with analytics consent) touchpoints."""
    order.channel = touch.channel
    order.touch = touch.as_dict()
    async with unit_of_work(stores) as uow:
        allowed = await consent.allowed(uow, subject_id=order.buyer_id, region=order.region,
                                        country=order.market, purpose="analytics")
        if not allowed:
            order.touchpoints = None
            return
        click_days, view_days = await windows(stores, order.org_id)
        since = at - timedelta(days=max(click_days, view_days))
        rows = (await uow.region(order.region).execute(
            select(AnalyticsEvent.type, AnalyticsEvent.at)
            .where(AnalyticsEvent.subject_id == order.buyer_id, AnalyticsEvent.at >= since,
                   AnalyticsEvent.type.in_(sorted(EVENT_TOUCH)))
            .order_by(AnalyticsEvent.at.desc()).limit(MAX_EVENTS))).all()
    path = touchpoints([(r[0], r[1]) for r in rows], touch, at,
                       click_days=click_days, view_days=view_days)
    order.touchpoints = [t.as_dict() for t in path]
