"""Orders and GMV per channel, per market and week, under a credit model. Pure.

Money is converted into the org's reporting currency at the ECB reference rate of the day
the order was paid (the latest published on or before it), so a week's figure does not move
when rates do. An order without touchpoints (no analytics consent, or nothing in the
windows) is credited to its last touch under every model; the report counts them so a
reader knows how much of a first-touch or linear view is really last-touch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chuhai.analytics.attribution import CHANNELS, GROUP_OF, GROUPS, credit
from chuhai.core.money import minor_digits
from chuhai.crossborder.fx import FxError, RateTable


@dataclass(frozen=True)
class PaidOrder:
    """What the report needs of one paid order, nothing personal."""

    market: str
    paid_at: datetime
    channel: str | None  # None: placed before attribution existed
    path: Sequence[str] | None  # the touchpoints' channels, oldest first; None without consent
    total_minor: int
    currency: str


def week_of(day: date) -> date:
    """The ISO week an order falls in, named by its Monday."""
    return day - timedelta(days=day.weekday())


def report(orders: Iterable[PaidOrder], *, model: str, fx: RateTable,
           currency: str) -> dict[str, Any]:
    """Rows of (market, week, group, channel) with credited orders and GMV, totals per
    group, and how many orders had only their last touch."""
    cells: dict[tuple[str, date, str], list[Decimal]] = {}
    n = only_last = 0
    unconverted: set[str] = set()
    for o in orders:
        channel = o.channel if o.channel in CHANNELS else "direct"
        path = list(o.path) if o.path else [channel]
        try:
            amount = fx.convert(Decimal(o.total_minor).scaleb(-minor_digits(o.currency)),
                                o.currency, currency, o.paid_at.date())
        except FxError:
            unconverted.add(o.currency)
            continue
        n += 1
        only_last += len(path) == 1
        for ch, share in credit(path, model).items():
            cell = cells.setdefault((o.market, week_of(o.paid_at.date()), ch),
                                    [Decimal(0), Decimal(0)])
            cell[0] += Decimal(share)
            cell[1] += amount * Decimal(share)
    step = Decimal(1).scaleb(-minor_digits(currency))
    rows = [{"market": m, "week": w.isoformat(), "group": GROUP_OF[ch], "channel": ch,
             "orders": float(round(v[0], 3)), "gmv": str(v[1].quantize(step))}
            for (m, w, ch), v in sorted(cells.items(),
                                        key=lambda kv: (kv[0][0], kv[0][1],
                                                        CHANNELS.index(kv[0][2])))]
    totals = {g: [Decimal(0), Decimal(0)] for g in GROUPS}
    for (_, _, ch), v in cells.items():
        totals[GROUP_OF[ch]][0] += v[0]
        totals[GROUP_OF[ch]][1] += v[1]
    return {
        "model": model, "currency": currency, "orders": n,
        "only_last_touch": only_last,
        "only_last_touch_share": round(only_last / n, 4) if n else 0.0,
        "rows": rows,
        "groups": [{"group": g, "orders": float(round(totals[g][0], 3)),
                    "gmv": str(totals[g][1].quantize(step))} for g in GROUPS],
        "unconverted_currencies": sorted(unconverted),
        "fx_note": "converted at the ECB reference rate of each order's payment date",
    }
