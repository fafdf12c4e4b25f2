"""How good the live sell-out estimate is, on simulated streams whose true rates are known.

Each stream is a 60-minute slot: a starting rate between 0.5 and 8 units a minute (log-
uniform) that rises (+3 % a minute), stays flat, or falls (−3 % a minute); units sold each
minute are Poisson; the stock is 0.5–1.5 times what the slot would sell at its starting
rate (the seller stocks for the level, not for a trend no one knows yet), so about half
the streams sell out. After 5, 10 and 20 minutes observed, ``demand.sellout.estimate`` is
asked for the minute the stock runs out and the probability it runs out before the slot
ends; the rest of the stream then happens. Seeded: every run draws the same streams.

- ``sellout.brier.m{5,10,20}``: the Brier score of ``p_sellout_in_slot`` (0 is perfect;
  a constant 0.5 scores 0.25); baseline: the plug-in estimate — the mean rate seen, no
  trend, no uncertainty about the rate (Poisson tail at that rate).
- ``sellout.minute_mae.m{5,10,20}``: median absolute error, in minutes, of the predicted
  sell-out minute against when it happened (streams that sold out and were predicted to);
  baseline: stock divided by the mean rate seen.
- ``sellout.minute_mae.{rising,flat,falling}.m{5,10,20}``: the same error by trend.
- ``sellout.reliability``: the probability bands, predicted against observed (all minutes).
- ``sellout.estimate_ms``: time of one estimate (2,000 posterior draws), median.
- ``sellout.first_minute.minute_mae.s{15,30,45}``: flash sales (20–120 units a minute)
  asked within their first minute; the minute under way read at its share against the
  same seconds read as a whole minute (the baseline).
- ``sellout.false_alarm.rate{1,2,5}`` and ``sellout.flash_warned``: the first three
  minutes after a pin read every 5 seconds — the share of steady sellers (not selling out
  within the hour) that warn anyway, and of flash sales warned before they are gone; the
  warning rule against the earlier one (any unit, whole minutes only).
- ``sellout.viewers.brier.m{5,10,20}`` and ``sellout.viewers.minute_mae.m{5,10,20}``:
  streams whose audience grows, holds or drains (±4 % a minute, a few per cent of noise,
  100–3,000 viewers) while each viewer buys at a steady rate; the estimate given the
  viewers of each minute against the same estimate on the sales alone (the baseline).
  ``sellout.viewers.indifferent.*``: the same, on streams whose sales stay flat while the
  audience grows or drains — where reading sales per viewer would mislead.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _common import report  # noqa: E402
from scipy.stats import poisson  # noqa: E402

from chuhai.demand.sellout import brier, estimate, reliability  # noqa: E402

SLOT = 60
TRENDS = {"rising": 0.03, "flat": 0.0, "falling": -0.03}
OBSERVED = (5, 10, 20)


def stream(rng: np.random.Generator, trend: float) -> tuple[np.ndarray, int]:
    rate0 = math.exp(rng.uniform(math.log(0.5), math.log(8)))
    rates = rate0 * np.exp(trend * np.arange(SLOT))
    # The seller stocks for the level it can see (the starting rate), not for a trend no one
    # knows yet: a stock scaled to the stream's own future sales would tell the estimate
    # the trend (a large stock for the level seen meant a rising stream).
    stock = max(1, round(rate0 * SLOT * rng.uniform(0.5, 1.5)))
    return rng.poisson(rates), stock


AUDIENCE = {"growing": 0.04, "steady": 0.0, "draining": -0.04}


def audience_stream(rng: np.random.Generator, trend: float, follows: bool
                    ) -> tuple[np.ndarray, np.ndarray, int]:
    rate0 = math.exp(rng.uniform(math.log(0.5), math.log(8)))
    viewers0 = math.exp(rng.uniform(math.log(100), math.log(3000)))
    viewers = np.maximum(1, np.round(viewers0 * np.exp(trend * np.arange(SLOT))
                                     * rng.normal(1.0, 0.03, SLOT))).astype(int)
    rates = rate0 / viewers0 * viewers if follows else np.full(SLOT, rate0)
    stock = max(1, round(rate0 * SLOT * rng.uniform(0.5, 1.5)))
    return rng.poisson(rates), viewers, stock


def with_viewers(args: argparse.Namespace) -> None:
    """The same estimate with and without the viewers of each minute: on streams whose
    sales follow the audience (each viewer buys at a steady rate), and on streams whose
    sales stay flat while the audience grows or drains (``indifferent``)."""
    rng = np.random.default_rng(2027)
    for family, follows, trends in (
            ("viewers", True, AUDIENCE),
            ("viewers.indifferent", False, {k: v for k, v in AUDIENCE.items() if v})):
        got: dict[int, dict[str, list[float]]] = {m: {"with": [], "without": []}
                                                  for m in OBSERVED}
        happened: dict[int, list[bool]] = {m: [] for m in OBSERVED}
        err: dict[int, dict[str, list[float]]] = {m: {"with": [], "without": []}
                                                  for m in OBSERVED}
        weights: list[float] = []
        for trend in trends.values():
            for i in range(args.streams):
                sold, viewers, stock = audience_stream(rng, trend, follows)
                cum = sold.cumsum()
                for m in OBSERVED:
                    left = stock - int(cum[m - 1])
                    if left <= 0:
                        continue
                    after = cum[m:] - cum[m - 1]
                    out = bool((after >= left).any())
                    actual = int(np.nonzero(after >= left)[0][0]) + 1 if out else None
                    happened[m].append(out)
                    seen = [int(x) for x in sold[:m]]
                    for name, v in (("with", [int(x) for x in viewers[:m]]),
                                    ("without", None)):
                        est = estimate(left, seen, SLOT - m, v, seed=i)
                        got[m][name].append(est.p_sellout_in_slot)
                        if est.audience_weight is not None:
                            weights.append(est.audience_weight)
                        if actual is not None and est.sellout_minute is not None:
                            err[m][name].append(abs(est.sellout_minute - actual))
        for m in OBSERVED:
            report(f"sellout.{family}.brier.m{m}", brier(got[m]["with"], happened[m]),
                   "brier", brier(got[m]["without"], happened[m]),
                   {"streams": len(happened[m]), "sold_out": sum(happened[m]),
                    "mean_audience_weight": round(float(np.mean(weights)), 3),
                    "baseline": "the same estimate without viewers"})
            report(f"sellout.{family}.minute_mae.m{m}", statistics.median(err[m]["with"]),
                   "min", statistics.median(err[m]["without"]),
                   {"streams": len(err[m]["with"]),
                    "baseline": "the same estimate without viewers"})


def first_minute(args: argparse.Namespace) -> None:
    """Flash sales read in their first minute: a steady 20–120 units a minute, stock for
    2–10 minutes of it; asked after 15, 30 and 45 seconds, the minute under way read at its
    share against the same seconds read as a whole minute (the baseline)."""
    rng = np.random.default_rng(2028)
    for seconds in (15, 30, 45):
        ours: list[float] = []
        whole: list[float] = []
        for i in range(args.streams):
            rate = rng.uniform(20, 120)
            stock = max(1, round(rate * rng.uniform(2, 10)))
            sold_now = int(rng.poisson(rate * seconds / 60))
            left = stock - sold_now
            if left <= 0:
                continue
            # when the rest runs out: a Poisson process at the same rate, by the second
            per_second = rng.poisson(rate / 60, size=3600).cumsum()
            hit = np.nonzero(per_second >= left)[0]
            if not hit.size:
                continue
            actual = (int(hit[0]) + 1) / 60
            for got, share in ((ours, seconds / 60), (whole, 1.0)):
                est = estimate(left, [sold_now], 60, seed=i, last_share=share)
                if est.sellout_minute is not None:
                    got.append(abs(est.sellout_minute - actual))
        report(f"sellout.first_minute.minute_mae.s{seconds}", statistics.median(ours), "min",
               statistics.median(whole),
               {"streams": len(ours), "baseline": "the seconds read as a whole minute"})


def early_warnings(args: argparse.Namespace) -> None:
    """The first three minutes after a pin, read every 5 seconds as the console does:
    steady sellers that will not sell out in the hour (1, 2 or 5 units a minute, stock for
    100 minutes of it) — the share of pins that warn anyway; and flash sales (60–120 a
    minute, stock for 1–4 minutes) — the share warned before the line is gone. The warning
    rule (``demand.live.warns``: at least 3 units, and before a whole minute only an
    imminent sell-out) against the earlier rule (any unit, whole minutes only)."""
    from datetime import UTC, datetime, timedelta

    from chuhai.demand import live

    def holds(rng: np.random.Generator, rate: float, until: float) -> list[float]:
        t, out = 0.0, []
        while True:
            t += float(rng.exponential(60 / rate))
            if t > until:
                return out
            out.append(t)

    since = datetime(2026, 1, 1, tzinfo=UTC)

    def first_warning(times: list[float], stock: int, new_rule: bool) -> float | None:
        for check in range(5, 181, 5):
            now = since + timedelta(seconds=check)
            taken = [(since + timedelta(seconds=t), 1) for t in times if t <= check]
            if not new_rule:  # whole minutes only, one unit enough
                counts = live.series(taken, since, now - timedelta(seconds=check % 60))[0] \
                    if check >= 60 else [len(taken)]
                est = estimate(stock - len(taken), counts, 60, seed=check)
                if est.p_sellout_in_slot >= 0.5 and taken:
                    return check
                continue
            counts, share = live.series(taken, since, now)
            left = stock - len(taken)
            if left <= 0:
                return None
            est = estimate(left, counts, 60, seed=check, last_share=share)
            if live.warns(est, len(taken), len(counts) - 1 + share, 0.5):
                return check
        return None

    rng = np.random.default_rng(2029)
    pins = max(20, args.streams // 5)
    for rate in (1, 2, 5):
        warned = {True: 0, False: 0}
        for _ in range(pins):
            times = holds(rng, rate, 180)
            for rule in (True, False):
                warned[rule] += first_warning(times, 100 * rate, rule) is not None
        report(f"sellout.false_alarm.rate{rate}", warned[True] / pins, "share",
               warned[False] / pins, {"pins": pins, "stock": 100 * rate,
                                      "baseline": "any unit, whole minutes only"})
    caught = {True: 0, False: 0}
    flashes = 0
    for _ in range(pins):
        rate = float(rng.uniform(60, 120))
        stock = max(2, round(rate * rng.uniform(1, 4)))
        times = holds(rng, rate, 600)[:stock]
        gone = times[-1] if len(times) == stock else None
        if gone is None:
            continue
        flashes += 1
        for rule in (True, False):
            at = first_warning([t for t in times if t < gone], stock, rule)
            caught[rule] += at is not None and at < gone
    report("sellout.flash_warned", caught[True] / max(flashes, 1), "share",
           caught[False] / max(flashes, 1), {"flash_sales": flashes,
                                             "baseline": "any unit, whole minutes only"})


def main(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(27)
    preds: dict[int, list[float]] = {m: [] for m in OBSERVED}
    naive: dict[int, list[float]] = {m: [] for m in OBSERVED}
    outcomes: dict[int, list[bool]] = {m: [] for m in OBSERVED}
    errors: dict[int, list[float]] = {m: [] for m in OBSERVED}
    naive_errors: dict[int, list[float]] = {m: [] for m in OBSERVED}
    took: list[float] = []
    per_trend: dict[str, list[tuple[float, bool]]] = {k: [] for k in TRENDS}
    by_trend: dict[tuple[str, int], list[float]] = {(k, m): [] for k in TRENDS
                                                    for m in OBSERVED}
    naive_by_trend: dict[tuple[str, int], list[float]] = {(k, m): [] for k in TRENDS
                                                          for m in OBSERVED}
    for name, trend in TRENDS.items():
        for i in range(args.streams):
            sold, stock = stream(rng, trend)
            cum = sold.cumsum()
            for m in OBSERVED:
                left = stock - int(cum[m - 1])
                if left <= 0:
                    continue  # sold out before the estimate was asked
                t = time.perf_counter()
                est = estimate(left, [int(x) for x in sold[:m]], SLOT - m, seed=i)
                took.append(time.perf_counter() - t)
                after = cum[m:] - cum[m - 1]
                out = bool((after >= left).any())
                preds[m].append(est.p_sellout_in_slot)
                outcomes[m].append(out)
                per_trend[name].append((est.p_sellout_in_slot, out))
                mean_rate = float(sold[:m].mean())
                naive[m].append(float(poisson.sf(left - 1, mean_rate * (SLOT - m))))
                if out:
                    actual = int(np.nonzero(after >= left)[0][0]) + 1
                    if est.sellout_minute is not None:
                        errors[m].append(abs(est.sellout_minute - actual))
                        by_trend[(name, m)].append(abs(est.sellout_minute - actual))
                    if mean_rate > 0:
                        naive_errors[m].append(abs(left / mean_rate - actual))
                        naive_by_trend[(name, m)].append(abs(left / mean_rate - actual))
    for m in OBSERVED:
        report(f"sellout.brier.m{m}", brier(preds[m], outcomes[m]), "brier",
               brier(naive[m], outcomes[m]),
               {"streams": len(preds[m]), "sold_out": sum(outcomes[m]),
                "baseline": "plug-in mean rate, no trend"})
        report(f"sellout.minute_mae.m{m}", statistics.median(errors[m]), "min",
               statistics.median(naive_errors[m]),
               {"streams": len(errors[m]), "baseline": "stock / mean rate"})
    for (name, m), errs in by_trend.items():
        report(f"sellout.minute_mae.{name}.m{m}", statistics.median(errs), "min",
               statistics.median(naive_by_trend[(name, m)]),
               {"streams": len(errs), "baseline": "stock / mean rate"})
    for name, pairs in per_trend.items():
        report(f"sellout.brier.{name}", brier([p for p, _ in pairs], [o for _, o in pairs]),
               "brier", None, {"estimates": len(pairs)})
    everything = [p for m in OBSERVED for p in preds[m]]
    happened = [o for m in OBSERVED for o in outcomes[m]]
    report("sellout.reliability", brier(everything, happened), "brier", None,
           {"bands": reliability(everything, happened)})
    report("sellout.estimate_ms", statistics.median(took) * 1000, "ms", None,
           {"estimates": len(took)})
    with_viewers(args)
    first_minute(args)
    early_warnings(args)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--streams", type=int, default=300, help="streams per trend")
    return ap.parse_args(argv)


if __name__ == "__main__":
    main(parse())
