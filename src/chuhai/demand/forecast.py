"""Daily demand forecasts per series (a SKU in a market, or at a warehouse) with 80 %
intervals, and what to reorder. Pure: rows in, forecasts out — no database.

Forecasting is Nixtla's ``statsforecast`` (no home-made models): a series that sells on
most days gets AutoTheta with a weekly season (AutoETS was the other candidate: about three
times slower per series here, which the 10,000-series target could not carry); an
intermittent one (no sale on half the days or more) gets TSB, which forecasts the rate of
sale days and the size of a sale separately, with its 80 % interval from the Poisson
quantiles of that mean. A day without sales is a zero, not a gap. History too short for a
model — under two weeks — gets the stated naive fallback: the mean of what there is.

Known future events — scheduled live rooms and drops — lift the days they fall on by what
such days sold before against the others (the ratio, between 1 and 5), said with the
forecast.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chuhai.core.errors import InvalidInput

MAX_HORIZON = 365
SEASON = 7
MIN_MODEL_DAYS = 2 * SEASON
INTERMITTENT_ZEROS = 0.5
MAX_SERIES = 100_000
UPLIFT_CAP = 5.0
Z80 = 1.2815515655446004  # the 90th percentile of the standard normal: an 80 % interval


@dataclass(frozen=True)
class Point:
    unique_id: str
    ds: date
    yhat: float
    lo80: float
    hi80: float
    model: str

    def as_dict(self) -> dict[str, Any]:
        return {"unique_id": self.unique_id, "ds": self.ds.isoformat(),
                "yhat": round(self.yhat, 3), "lo80": round(self.lo80, 3),
                "hi80": round(self.hi80, 3), "model": self.model}


def check_horizon(horizon: object) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not \
            1 <= horizon <= MAX_HORIZON:
        raise InvalidInput(f"the horizon is 1 to {MAX_HORIZON} days", code="bad_horizon")
    return horizon


def parse_rows(raw: Iterable[Mapping[str, Any]]) -> dict[str, dict[date, float]]:
    """``unique_id, ds, y`` rows (``ds`` an ISO date) → per series, units per day (rows of
    the same day added up). Refuses negative or non-numeric units and bad dates."""
    out: dict[str, dict[date, float]] = defaultdict(dict)
    for i, row in enumerate(raw, start=2):
        uid = str(row.get("unique_id") or "").strip()
        if not uid or len(uid) > 200:
            raise InvalidInput(f"line {i}: unique_id is missing or over 200 characters",
                               code="bad_series")
        try:
            day = date.fromisoformat(str(row.get("ds") or "").strip()[:10])
        except ValueError:
            raise InvalidInput(f"line {i}: ds {row.get('ds')!r} is not a date (YYYY-MM-DD)",
                               code="bad_date") from None
        try:
            y = float(str(row.get("y")).strip())
        except ValueError:
            raise InvalidInput(f"line {i}: y {row.get('y')!r} is not a number",
                               code="bad_quantity") from None
        if not math.isfinite(y) or y < 0:
            raise InvalidInput(f"line {i}: y must be 0 or more", code="bad_quantity")
        out[uid][day] = out[uid].get(day, 0.0) + y
        if len(out) > MAX_SERIES:
            raise InvalidInput(f"at most {MAX_SERIES} series", code="bad_series")
    if not out:
        raise InvalidInput("no rows", code="bad_series")
    return dict(out)


def daily(days: Mapping[date, float], last: date | None = None) -> tuple[date, list[float]]:
    """The series as one value a day from its first day to ``last`` (default: its last),
    zeros where nothing sold."""
    end = last or max(days)
    kept = [d for d in days if d <= end]  # a later day (today, unfinished) is left out
    first = min(kept) if kept else end
    n = (end - first).days + 1
    return first, [float(days.get(first + timedelta(days=k), 0.0)) for k in range(n)]


def uplift(values: list[float], first: date, event_days: set[date]) -> float:
    """What a day with a scheduled room or drop sold against the others, 1 to 5 (1 when
    there is nothing to compare)."""
    on = [v for k, v in enumerate(values) if first + timedelta(days=k) in event_days]
    off = [v for k, v in enumerate(values) if first + timedelta(days=k) not in event_days]
    if not on or not off or sum(off) == 0:
        return 1.0
    return max(1.0, min(UPLIFT_CAP, (sum(on) / len(on)) / (sum(off) / len(off))))


def _poisson_interval(mean: float) -> tuple[float, float]:
    from scipy.stats import poisson

    if mean <= 0:
        return 0.0, 0.0
    return float(poisson.ppf(0.1, mean)), float(poisson.ppf(0.9, mean))


def forecast(series: Mapping[str, Mapping[date, float]], horizon: int, *,
             past_events: Mapping[str, set[date]] | None = None,
             future_events: Mapping[str, set[date]] | None = None,
             last_day: date | None = None, n_jobs: int = 1) -> list[Point]:
    """Each series ``horizon`` days ahead of ``last_day`` (default: its own last day)."""
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import TSB, AutoTheta

    horizon = check_horizon(horizon)
    regular: list[dict[str, Any]] = []
    sparse: list[dict[str, Any]] = []
    out: list[Point] = []
    lifts: dict[str, float] = {}
    starts: dict[str, date] = {}
    for uid, days in series.items():
        first, values = daily(days, last_day)
        starts[uid] = first + timedelta(days=len(values))
        lifts[uid] = uplift(values, first, (past_events or {}).get(uid, set()))
        if len(values) < MIN_MODEL_DAYS:  # the stated fallback
            mean = sum(values) / len(values)
            lo, hi = _poisson_interval(mean)
            out += [Point(uid, starts[uid] + timedelta(days=k), mean, lo, hi,
                          "naive-mean (under 14 days of history)") for k in range(horizon)]
            continue
        rows = [{"unique_id": uid, "ds": pd.Timestamp(first + timedelta(days=k)), "y": v}
                for k, v in enumerate(values)]
        zeros = sum(1 for v in values if v == 0) / len(values)
        (sparse if zeros >= INTERMITTENT_ZEROS else regular).extend(rows)
    if regular:
        sf = StatsForecast(models=[AutoTheta(season_length=SEASON)], freq="D", n_jobs=n_jobs)
        got = sf.forecast(df=pd.DataFrame(regular), h=horizon, level=[80])
        for uid, ds, mean, lo, hi in zip(got["unique_id"], got["ds"], got["AutoTheta"],
                                         got["AutoTheta-lo-80"], got["AutoTheta-hi-80"],
                                         strict=True):
            out.append(Point(str(uid), ds.date(), max(0.0, float(mean)), max(0.0, float(lo)),
                             max(0.0, float(hi)), "AutoTheta"))
    if sparse:
        sf = StatsForecast(models=[TSB(alpha_d=0.1, alpha_p=0.1)], freq="D", n_jobs=n_jobs)
        got = sf.forecast(df=pd.DataFrame(sparse), h=horizon)
        for uid, ds, mean in zip(got["unique_id"], got["ds"], got["TSB"], strict=True):
            lo, hi = _poisson_interval(float(mean))
            out.append(Point(str(uid), ds.date(), max(0.0, float(mean)), lo, hi, "TSB"))
    lifted = []
    for p in out:
        if p.ds in (future_events or {}).get(p.unique_id, set()) and lifts[p.unique_id] > 1:
            f = lifts[p.unique_id]
            p = Point(p.unique_id, p.ds, p.yhat * f, p.lo80 * f, p.hi80 * f,
                      f"{p.model} × {f:.2f} (a scheduled room or drop)")
        lifted.append(p)
    return sorted(lifted, key=lambda p: (p.unique_id, p.ds))


def reorder(points: list[Point], lead_days: int, available: float, *,
            service: float = 0.95, review_days: int = 7) -> dict[str, Any]:
    """What to order now for one warehouse: the demand expected over the lead time and the
    review period, plus safety stock for the service level, less what is available. Pure.

    The spread over the cover is read off each day's 80 % interval. A model's errors on
    successive days share its error on the level, so for AutoTheta the days' spreads are
    added (the correlated case); for TSB and the naive mean, days are taken as independent
    counts with at least Poisson spread (a slow mover's interval of [0, 0] must not mean
    no safety stock)."""
    from scipy.stats import norm

    if not 0.5 <= service < 1:
        raise InvalidInput("the service level is 0.5 to 0.999", code="bad_service")
    cover = lead_days + review_days
    window = points[:cover]
    demand = sum(p.yhat for p in window)
    spreads = [(p.hi80 - p.lo80) / (2 * Z80) for p in window]
    correlated = [s for p, s in zip(window, spreads, strict=True)
                  if p.model.startswith("AutoTheta")]
    counts = [max(s * s, p.yhat) for p, s in zip(window, spreads, strict=True)
              if not p.model.startswith("AutoTheta")]
    sd = math.sqrt(sum(correlated) ** 2 + sum(counts))
    safety = float(norm.ppf(service)) * sd
    need = demand + safety - available
    return {"lead_days": lead_days, "review_days": review_days, "service_level": service,
            "demand_over_cover": round(demand, 1), "safety_stock": round(safety, 1),
            "available": available, "order": max(0, math.ceil(need)),
            "covered_days": len(window), "short_horizon": len(window) < cover}
