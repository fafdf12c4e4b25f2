"""How accurate and how fast the daily demand forecast is (``demand.forecast``).

A seeded synthetic set: ``--series`` series of 180 days (default 1,000 for accuracy), a
third of each kind — a weekly season (weekends 1.5–3 times the weekdays) with a gentle
trend, a flat Poisson level, and intermittent sales (a sale on 10–40 % of days). The last
28 days are held out.

- ``forecast.mase``: the mean MASE of the forecast on the held-out 28 days (MAE over the
  in-sample MAE of the seasonal-naive one-week-back forecast); baseline: the same for the
  seasonal-naive forecast itself (last week repeated). Per kind in ``params``.
- ``forecast.rmsse`` (and ``.public``): the same with the M5 competition's squared-error
  measure, which rewards the mean forecast a reorder needs (MASE rewards the median, zero
  for a sparse series).
- ``forecast.mase.public``: the same on public daily series (``bench/data/README.md``:
  bike-share rentals, Wikipedia page views, a bicycle maker's sparse daily orders), the last
  28 days of each held out; per source in ``params``.
- ``forecast.seconds_10k``: wall time to forecast 10,000 such series 28 days ahead on this
  machine's cores (``--speed-series``); baseline: the seasonal-naive forecast of the same
  series (numpy).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _common import report  # noqa: E402

from chuhai.demand.forecast import forecast  # noqa: E402

DAYS, HOLD, SEASON = 180, 28, 7
D0 = date(2026, 1, 5)  # a Monday
KINDS = ("weekly", "flat", "intermittent")


def synthetic(n: int, seed: int) -> dict[str, tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = {}
    t = np.arange(DAYS)
    for i in range(n):
        kind = KINDS[i % 3]
        if kind == "weekly":
            base = rng.uniform(3, 30) * (1 + rng.uniform(-0.002, 0.004) * t)
            lam = base * np.where(t % 7 >= 5, rng.uniform(1.5, 3), 1.0)
        elif kind == "flat":
            lam = np.full(DAYS, rng.uniform(1, 20))
        else:
            lam = np.where(rng.random(DAYS) < rng.uniform(0.1, 0.4), rng.uniform(1, 4), 0.0)
        out[f"{kind}-{i}"] = (kind, rng.poisson(lam).astype(float))
    return out


def mase(actual: np.ndarray, pred: np.ndarray, train: np.ndarray) -> float:
    scale = np.mean(np.abs(train[SEASON:] - train[:-SEASON]))
    return float(np.mean(np.abs(actual - pred)) / scale) if scale > 0 else float("nan")


def rmsse(actual: np.ndarray, pred: np.ndarray, train: np.ndarray) -> float:
    """The M5 competition's measure: squared errors, scaled by the in-sample one-day-back
    forecast's — it rewards the mean (what a reorder needs), where MASE's absolute errors
    reward the median, which for a sparse series is zero."""
    scale = np.mean((train[1:] - train[:-1]) ** 2)
    return float(np.sqrt(np.mean((actual - pred) ** 2) / scale)) if scale > 0 else float("nan")


def run_forecast(data: dict[str, tuple[str, np.ndarray]], n_jobs: int) -> dict[str, np.ndarray]:
    series = {uid: {D0 + timedelta(days=k): float(v) for k, v in enumerate(y[:DAYS - HOLD])}
              for uid, (_, y) in data.items()}
    points = forecast(series, HOLD, last_day=D0 + timedelta(days=DAYS - HOLD - 1),
                      n_jobs=n_jobs)
    out: dict[str, list[float]] = {}
    for p in points:
        out.setdefault(p.unique_id, []).append(p.yhat)
    return {k: np.array(v) for k, v in out.items()}


PUBLIC = ROOT / "bench" / "data" / "public_daily.csv"


def public_set() -> dict[str, tuple[date, np.ndarray]]:
    """The public series: each id's first day and its daily values."""
    days: dict[str, list[tuple[date, float]]] = {}
    with open(PUBLIC, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            days.setdefault(r["unique_id"], []).append((date.fromisoformat(r["ds"]),
                                                        float(r["y"])))
    return {uid: (rows[0][0], np.array([y for _, y in sorted(rows)])) for uid, rows in
            days.items()}


def public(jobs: int) -> None:
    data = public_set()
    series = {uid: {d0 + timedelta(days=k): float(v) for k, v in enumerate(y[:-HOLD])}
              for uid, (d0, y) in data.items()}
    got: dict[str, list[float]] = {}
    for uid, (d0, y) in data.items():  # each series ends on its own day
        points = forecast({uid: series[uid]}, HOLD,
                          last_day=d0 + timedelta(days=len(y) - HOLD - 1), n_jobs=jobs)
        got[uid] = [pt.yhat for pt in points]
    for name, measure in (("mase", mase), ("rmsse", rmsse)):
        ours: dict[str, list[float]] = {}
        naive: dict[str, list[float]] = {}
        for uid, (_, y) in data.items():
            train, actual = y[:-HOLD], y[-HOLD:]
            snaive = np.tile(train[-SEASON:], HOLD // SEASON)
            m, b = measure(actual, np.array(got[uid]), train), measure(actual, snaive, train)
            if np.isfinite(m) and np.isfinite(b):
                source = uid.split(":")[0]
                ours.setdefault(source, []).append(m)
                naive.setdefault(source, []).append(b)
        every = [x for v in ours.values() for x in v]
        base = [x for v in naive.values() for x in v]
        report(f"forecast.{name}.public", float(np.mean(every)), name, float(np.mean(base)), {
            "series": len(every), "horizon": HOLD,
            **{f"{k}_{name}": round(float(np.mean(v)), 3) for k, v in ours.items()},
            **{f"{k}_seasonal_naive": round(float(np.mean(v)), 3) for k, v in naive.items()},
            **{f"{k}_series": len(v) for k, v in ours.items()}})


def main(args: argparse.Namespace) -> None:
    jobs = max(1, os.cpu_count() or 1)
    public(jobs)
    data = synthetic(args.series, seed=27)
    preds = run_forecast(data, jobs)
    for name, measure in (("mase", mase), ("rmsse", rmsse)):
        ours: dict[str, list[float]] = {k: [] for k in KINDS}
        naive: dict[str, list[float]] = {k: [] for k in KINDS}
        for uid, (kind, y) in data.items():
            train, actual = y[:DAYS - HOLD], y[DAYS - HOLD:]
            snaive = np.tile(train[-SEASON:], HOLD // SEASON)
            m, b = measure(actual, preds[uid], train), measure(actual, snaive, train)
            if np.isfinite(m) and np.isfinite(b):
                ours[kind].append(m)
                naive[kind].append(b)
        every = [x for k in KINDS for x in ours[k]]
        base = [x for k in KINDS for x in naive[k]]
        report(f"forecast.{name}", float(np.mean(every)), name, float(np.mean(base)), {
            "series": len(every), "horizon": HOLD, "history_days": DAYS - HOLD,
            **{f"{k}_{name}": round(float(np.mean(ours[k])), 3) for k in KINDS},
            **{f"{k}_seasonal_naive": round(float(np.mean(naive[k])), 3) for k in KINDS}})
    big = synthetic(args.speed_series, seed=28)
    start = time.perf_counter()
    run_forecast(big, jobs)
    took = time.perf_counter() - start
    start = time.perf_counter()
    for _, y in big.values():
        np.tile(y[DAYS - HOLD - SEASON:DAYS - HOLD], HOLD // SEASON)
    bare = time.perf_counter() - start
    report("forecast.seconds_10k", took, "s", bare, {
        "series": args.speed_series, "horizon": HOLD, "history_days": DAYS - HOLD,
        "cores": jobs})


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=999)
    ap.add_argument("--speed-series", type=int, default=10_000)
    return ap.parse_args(argv)


if __name__ == "__main__":
    main(parse())
