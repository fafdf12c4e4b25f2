"""Attributing an order: its last touch as it is placed, its touchpoints as it is paid.

The last touch arrives with the buyer's path (the cart's, or the live room a drop was bought
in) and is written with the order: no read, nothing personal. The touchpoints are read from
the buyer's own engagement events — which exist only if they gave analytics consent — and
only while that consent still stands, when the payment succeeds: inside the transaction that
moves the order to ``paid`` (two indexed reads on the buyer's region, next to a payment
provider's round trip), so placing an order costs nothing more (bench/attribution.py).
Only paid orders are reported, and an order that is never paid never reads anyone's history.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.accounts.models import Customer, Org
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
from chuhai.core.db import Stores
from chuhai.core.shortcache import ShortCache
from chuhai.markets.profiles import get_profile
from chuhai.privacy import consent

# The most recent touchpoints kept per order: credit spread over more than this many is
# noise (and a path this long is rare), so the read stops there.
MAX_TOUCHPOINTS = 20
WINDOWS_TTL_S = 60.0
_WINDOWS: ShortCache[tuple[int, str], tuple[int, int]] = ShortCache(WINDOWS_TTL_S, 10_000)
_CLICKS = sorted(k for k, (_, kind) in EVENT_TOUCH.items() if kind == "click")
_VIEWS = sorted(k for k, (_, kind) in EVENT_TOUCH.items() if kind == "view")


def stored_touch(raw: dict[str, Any] | None) -> Touch:
    """A touch as the cart or order keeps it (already checked when it arrived)."""
    if not raw or not isinstance(raw.get("channel"), str):
        return DIRECT
    return Touch(raw["channel"], raw.get("item_id"), dict(raw.get("utm") or {}))


def attribute(order: Order, touch: Touch) -> None:
    """The order's last touch, set as it is placed."""
    order.channel = touch.channel
    order.touch = touch.as_dict()


async def windows(stores: Stores, org_id: str) -> tuple[int, int]:
    """The org's (click, view) windows in days, read at most once a minute per node."""
    async def load() -> tuple[int, int]:
        async with stores.session() as s:
            row = (await s.execute(select(Org.attribution_click_days,
                                          Org.attribution_view_days)
                                   .where(Org.id == org_id))).first()
        return (int(row[0]), int(row[1])) if row else (DEFAULT_CLICK_DAYS, DEFAULT_VIEW_DAYS)
    return await _WINDOWS.get((id(stores), org_id), time.monotonic(), load)


def forget_windows() -> None:
    """After an org changes its windows: this node reads them afresh."""
    _WINDOWS.forget()


async def path_of(stores: Stores, session: AsyncSession, order: Order
                  ) -> list[dict[str, str]] | None:
    """The order's touchpoints (oldest first, closed by its last touch), read in
    ``session`` — the transaction on the buyer's region that marks the order paid; None
    without analytics consent (or for a market chuhai has no rules for: nothing to ask)."""
    # whose law decides: the customer's home country, as when their events were kept
    country = await session.scalar(select(Customer.home_country).where(
        Customer.id == order.buyer_id)) or order.market
    if get_profile(country) is None:
        return None
    if not await consent.allowed_in(session, subject_id=order.buyer_id, country=country,
                                    purpose="analytics"):
        return None
    click_days, view_days = await windows(stores, order.org_id)
    at, e = order.created_at, AnalyticsEvent
    rows = (await session.execute(
        select(e.type, e.at)
        .where(e.subject_id == order.buyer_id, e.at <= at,
               or_(and_(e.type.in_(_CLICKS), e.at >= at - timedelta(days=click_days)),
                   and_(e.type.in_(_VIEWS), e.at >= at - timedelta(days=view_days))))
        .order_by(e.at.desc(), e.id.desc()).limit(MAX_TOUCHPOINTS - 1))).all()
    # oldest first; events of the same instant in the order they were recorded
    path = touchpoints([(r[0], r[1]) for r in reversed(rows)], stored_touch(order.touch), at,
                       click_days=click_days, view_days=view_days)
    return [t.as_dict() for t in path]
