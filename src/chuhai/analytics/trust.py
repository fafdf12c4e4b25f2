"""Trust made measurable: the figures a buyer abroad weighs before buying from a seller they
have never met, computed from daily counts (``trust_days``, built by
``analytics.trust_rollup``). Pure.

A figure is shown only once enough cases stand behind it (``MIN_RATE_N``, ``MIN_TIME_N``):
a 100 % answer rate from two questions says nothing and would mislead. Times are kept as
histograms (counts per bucket), so days sum without anyone's timings leaving their region;
a median is reported as the bucket it falls in ("within 2 minutes").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# Upper bounds of the histogram buckets, in seconds; the last bucket is open-ended.
ANSWER_BUCKETS_S: tuple[int, ...] = (15, 30, 60, 120, 300, 600, 1800, 3600)
REFUND_BUCKETS_S: tuple[int, ...] = tuple(h * 3600 for h in (1, 6, 24, 48, 72, 120, 168,
                                                                  336, 720))
# first touch → order, order → payment (buyers with analytics consent only)
STEP_BUCKETS_S: tuple[int, ...] = (60, 300, 900, 3600, 6 * 3600, 86400, 3 * 86400,
                                   7 * 86400)
MIN_RATE_N = 20  # cases behind a rate before it is shown
MIN_TIME_N = 10  # cases behind a median time before it is shown
LANDED_TOLERANCE = 0.01  # a carrier's rounding: within 1 % of the quote still held
WINDOWS_DAYS = (30, 90)
COUNTS = ("questions", "answered", "delivered", "on_time", "returned", "refunds",
          "paid_orders", "repeat_orders", "landed_checked", "landed_held")

DEFINITIONS: dict[str, str] = {
    "answer_rate": "questions asked in the seller's live rooms that a host answered or "
                   "marked answered during the stream",
    "answer_time": "median time from a question to its answer (to the bucket it falls in)",
    "on_time": "orders delivered in the period that arrived by the latest day promised at "
               "checkout (payment date plus the longest delivery estimate shown)",
    "return_rate": "returns received in the period per order delivered in the period",
    "refund_time": "median time from a return being received to its refund",
    "repeat_rate": "paid orders in the period from buyers who had placed an earlier order "
                   "with the seller (not left unpaid or cancelled)",
    "landed_held": "orders whose carrier duty invoice the seller recorded in the period "
                   "where the duty and tax charged were no more than quoted at checkout "
                   "(within 1 % for the carrier's rounding)",
}


def bucket(seconds: float, bounds: Sequence[int]) -> int:
    """The histogram bucket a duration falls in (the last one: beyond every bound)."""
    for i, bound in enumerate(bounds):
        if seconds <= bound:
            return i
    return len(bounds)


def empty_hist(bounds: Sequence[int]) -> list[int]:
    return [0] * (len(bounds) + 1)


def median_bound(hist: Sequence[int], bounds: Sequence[int]) -> int | None:
    """The upper bound (seconds) of the bucket holding the median; None when the median
    lies beyond the last bound or there is nothing to count."""
    total = sum(hist)
    if not total:
        return None
    seen = 0
    for i, n in enumerate(hist):
        seen += n
        if seen * 2 >= total:
            return bounds[i] if i < len(bounds) else None
    return None  # pragma: no cover - the loop always reaches half


def landed_held(quoted_minor: int, charged_minor: int) -> bool:
    """Whether what the carrier charged stayed within what the buyer was quoted."""
    allowance = -(-quoted_minor * int(LANDED_TOLERANCE * 10_000) // 10_000)  # rounded up
    return charged_minor <= quoted_minor + allowance


def on_time(paid_at: datetime, delivered_at: datetime, max_days: int) -> bool:
    """Delivered by the latest day promised: the payment's UTC date plus the longest
    estimate (a parcel arriving any time on that day is on time)."""
    return delivered_at.date() <= (paid_at + timedelta(days=max_days)).date()


@dataclass
class DayCounts:
    """One day's counts for a seller (or one host) in a market."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    answer_hist: list[int] = field(default_factory=lambda: empty_hist(ANSWER_BUCKETS_S))
    refund_hist: list[int] = field(default_factory=lambda: empty_hist(REFUND_BUCKETS_S))
    touch_hist: list[int] = field(default_factory=lambda: empty_hist(STEP_BUCKETS_S))
    pay_hist: list[int] = field(default_factory=lambda: empty_hist(STEP_BUCKETS_S))

    def add(self, other: DayCounts) -> None:
        for k in COUNTS:
            self.counts[k] += other.counts[k]
        for h in HISTS:
            setattr(self, h, _sum_hist(getattr(self, h), getattr(other, h)))


HISTS = ("answer_hist", "refund_hist", "touch_hist", "pay_hist")


def _sum_hist(a: Sequence[int], b: Sequence[int]) -> list[int]:
    n = max(len(a), len(b))
    return [(a[i] if i < len(a) else 0) + (b[i] if i < len(b) else 0) for i in range(n)]


def total(rows: Iterable[Mapping[str, Any]]) -> DayCounts:
    """Sum rows shaped like ``trust_days`` (counts and both histograms)."""
    acc = DayCounts()
    for row in rows:
        day = DayCounts({k: int(row.get(k) or 0) for k in COUNTS},
                        *(list(row.get(h) or []) for h in HISTS))
        acc.add(day)
    return acc


def _rate(num: int, den: int) -> dict[str, Any]:
    shown = den >= MIN_RATE_N
    return {"value": round(num / den, 4) if shown else None, "n": den, "shown": shown,
            "min_n": MIN_RATE_N}


def _median(hist: Sequence[int], bounds: Sequence[int]) -> dict[str, Any]:
    n = sum(hist)
    shown = n >= MIN_TIME_N
    within = median_bound(hist, bounds) if shown else None
    return {"within_s": within, "n": n, "shown": shown, "min_n": MIN_TIME_N,
            # the median lies past the last bucket: "more than" its bound
            "beyond_s": bounds[-1] if shown and within is None else None}


STEP_NOTE = ("Only buyers who allowed analytics have their path kept, so step times come "
             "from them alone; everyone is counted in the funnel's steps. The first touch "
             "is the earliest kept within the attribution windows (the last 19 at most); "
             "an order with no earlier touch has no first-touch time.")


def step_times(c: DayCounts) -> dict[str, dict[str, Any]]:
    """The median time from a buyer's first touch to their order, and from order to
    payment — over buyers with analytics consent only (``STEP_NOTE``)."""
    return {"first_touch_to_order": _median(c.touch_hist, STEP_BUCKETS_S),
            "order_to_paid": _median(c.pay_hist, STEP_BUCKETS_S)}


def figures(c: DayCounts) -> dict[str, dict[str, Any]]:
    """Each trust figure with the number of cases behind it; a figure with too few cases
    has ``shown: false`` and no value."""
    k = c.counts
    out = {
        "answer_rate": _rate(k["answered"], k["questions"]),
        "answer_time": _median(c.answer_hist, ANSWER_BUCKETS_S),
        "on_time": _rate(k["on_time"], k["delivered"]),
        "return_rate": _rate(k["returned"], k["delivered"]),
        "refund_time": _median(c.refund_hist, REFUND_BUCKETS_S),
        "repeat_rate": _rate(k["repeat_orders"], k["paid_orders"]),
        "landed_held": _rate(k["landed_held"], k["landed_checked"]),
    }
    for name, fig in out.items():
        fig["definition"] = DEFINITIONS[name]
    return out
