"""The trust figures of a seller (or one of its hosts, in one market) over the last 30 and 90
days, read from ``trust_days``; and the few a buyer sees on the storefront and in a room."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from chuhai.analytics import trust
from chuhai.analytics.funnel import hosts_of
from chuhai.analytics.models import TrustDay
from chuhai.core.db import Stores
from chuhai.core.errors import InvalidInput, NotFound
from chuhai.markets.profiles import get_profile

# What a buyer is shown (when enough cases stand behind it), in this order.
PUBLIC = ("on_time", "answer_rate", "landed_held")
_COLUMNS = (*trust.COUNTS, "answer_hist", "refund_hist")


async def _rows(stores: Stores, org_id: str, host: str, first: date, today: date
                ) -> list[dict[str, Any]]:
    t = TrustDay
    async with stores.session() as s:
        found = (await s.execute(select(t.day, t.market, *(getattr(t, c) for c in _COLUMNS))
                                 .where(t.org_id == org_id, t.host_id == host,
                                        t.day >= first, t.day <= today))).all()
    return [{"day": row[0], "market": row[1], **dict(zip(_COLUMNS, row[2:], strict=True))}
            for row in found]


def _window(rows: list[dict[str, Any]], market: str | None, first: date) -> dict[str, Any]:
    """Questions have no market (their rows hold ""): with a market filter, every
    question of the seller still counts; the order figures are the market's."""
    chosen = [r for r in rows if r["day"] >= first
              and (market is None or r["market"] in ("", market))]
    return trust.figures(trust.total(chosen))


async def report(stores: Stores, org_id: str, today: date, *, market: str | None = None,
                 host: str | None = None) -> dict[str, Any]:
    """Each figure over 30 and 90 days (ending today), with the cases behind it."""
    if market is not None and get_profile(market) is None:
        raise InvalidInput(f"no market {market!r}", code="unknown_market")
    if host and host not in await hosts_of(stores, org_id):
        raise NotFound("host", host, code="scope_not_found")
    longest = max(trust.WINDOWS_DAYS)
    rows = await _rows(stores, org_id, host or "", today - timedelta(days=longest - 1), today)
    return {"market": market, "host": host or None, "as_of": today.isoformat(),
            "windows": {str(n): _window(rows, market, today - timedelta(days=n - 1))
                        for n in trust.WINDOWS_DAYS},
            "min_rate_n": trust.MIN_RATE_N, "min_time_n": trust.MIN_TIME_N,
            "definitions": dict(trust.DEFINITIONS),
            "note": "Questions are counted for the seller as a whole, not per market. "
                    "A figure is shown once enough cases stand behind it."}


async def public(stores: Stores, org_id: str, today: date) -> dict[str, dict[str, Any]]:
    """The figures a buyer may see (90 days, seller-wide), only those with enough cases."""
    longest = max(trust.WINDOWS_DAYS)
    first = today - timedelta(days=longest - 1)
    figures = _window(await _rows(stores, org_id, "", first, today), None, first)
    out = {}
    for name in PUBLIC:
        fig = figures[name]
        if fig["shown"]:
            out[name] = {"value": fig["value"], "n": fig["n"]}
    time_fig = figures["answer_time"]
    if "answer_rate" in out and time_fig["shown"] and time_fig["within_s"] is not None:
        out["answer_rate"]["within_s"] = time_fig["within_s"]
    return out
