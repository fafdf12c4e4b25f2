"""When does a pinned product run out, and how likely is it to run out before the room's
planned end? Pure: numbers in, an estimate out.

Units sold per minute since the pin are counts, so the model is Poisson with a rate that may
rise or fall: ``rate(t) = exposure(t) · exp(a + b·t)`` — ``exposure`` the viewers in the
room that minute when known (a rate per viewer), else 1. The level ``a`` and the trend ``b``
are fitted by maximum likelihood with a weak prior pulling the trend towards zero (a few
noisy minutes must not read as a boom), by Newton's method; their uncertainty is the
Laplace approximation around the fit. The forecast draws (a, b) from it and, for each draw,
the units to be sold in each future minute — so the probability of selling out accounts for
both the Poisson noise and not knowing the rate exactly. That is what makes it calibrated
(bench/sellout.py reports the Brier score and a reliability table on simulated streams).

The future rate is capped at three times the busiest minute seen (plus one; per viewer, for
the audience expected, when viewers are known): a trend fitted
on a few minutes must not promise an exponential boom, and a host needs a warning, not a
fantasy. (Damping the trend, as damped exponential smoothing does, was tried: it made the
estimate more confident and less calibrated on the simulated streams, bench/sellout.py.)

With viewers, two readings of the minutes are weighed by their evidence (the Laplace
approximation of each one's marginal likelihood): the sales on their own, as above, and the
sales per viewer — each viewer buying at a steady rate (a trend held within about 2 % a
minute), the audience ahead following its own recent trend (a log-linear fit over the last
``AUDIENCE_WINDOW`` minutes, at most ±``AUDIENCE_TREND_MAX`` a minute, never more than
``RATE_CAP`` times the most viewers seen). The audience is counted in hundreds a minute, so
its trend is read sooner and surer than that of a few sales — when the sales follow it. When
they do not (a growing audience that buys no more), the per-viewer reading explains the
minutes worse and weighs less; the draws are shared out by the weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from chuhai.core.errors import InvalidInput

DEFAULT_HORIZON = 60  # minutes, when the room has no planned end
MAX_HORIZON = 24 * 60
MAX_MINUTES = 24 * 60  # of history
TREND_PRIOR_SD = 0.05  # per minute: a rate doubling in 14 minutes is one sd out
LEVEL_PRIOR_SD = 10.0
DRAWS = 2000
RATE_CAP = 3.0
# The per-viewer reading is the hypothesis that each viewer buys at a steady rate: its trend
# is held close (2 % a minute), or it would be the sales' own reading under another name.
PER_VIEWER_TREND_SD = 0.02
AUDIENCE_WINDOW = 10  # minutes of viewers the audience's trend is read from
AUDIENCE_TREND_MAX = 0.05  # per minute, either way
METHOD = "poisson-loglinear-trend (Laplace posterior, 2,000 draws)"
METHOD_VIEWERS = ("poisson-loglinear-trend, per viewer and on sales alone weighed by their "
                  "evidence (Laplace posterior, 2,000 draws)")


@dataclass(frozen=True)
class Estimate:
    sellout_minute: float | None  # minutes from now until the stock is expected to be gone
    p_sellout_in_slot: float  # probability of selling out within the horizon
    horizon_minutes: int
    horizon_from_plan: bool  # False: no planned end, the next hour is assumed
    rate_per_minute: float  # the fitted rate now (units a minute)
    trend_per_minute: float  # relative change of the unit rate a minute (0.05: +5 %)
    method: str = METHOD
    audience_weight: float | None = None  # with viewers: the weight of sales following them

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "sellout_minute": self.sellout_minute, "p_sellout_in_slot": self.p_sellout_in_slot,
            "horizon_minutes": self.horizon_minutes, "rate_per_minute": self.rate_per_minute,
            "trend_per_minute": self.trend_per_minute, "method": self.method}
        if self.audience_weight is not None:
            out["audience_weight"] = round(self.audience_weight, 3)
        if not self.horizon_from_plan:
            out["note"] = (f"no planned end: the estimate is for the next {self.horizon_minutes}"
                           " minutes")
        return out


def check(stock: object, minute: object, slot_minutes_left: object,
          viewers: object = None) -> tuple[int, list[int], float | None, list[int] | None]:
    """Refuse what cannot be estimated, with a stable code."""
    if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
        raise InvalidInput("stock must be a whole number of units, 0 or more",
                           code="bad_stock")
    if not isinstance(minute, list) or not minute:
        raise InvalidInput("minute must list the units sold in each minute since the pin "
                           "(at least one)", code="bad_series")
    if len(minute) > MAX_MINUTES:
        raise InvalidInput(f"at most {MAX_MINUTES} minutes of history", code="bad_series")
    if any(isinstance(x, bool) or not isinstance(x, int) or x < 0 for x in minute):
        raise InvalidInput("each minute's units must be a whole number, 0 or more",
                           code="bad_series")
    left: float | None = None
    if slot_minutes_left is not None:
        if isinstance(slot_minutes_left, bool) or not isinstance(slot_minutes_left,
                                                                  int | float) or \
                not math.isfinite(slot_minutes_left) or slot_minutes_left < 0 or \
                slot_minutes_left > MAX_HORIZON:
            raise InvalidInput(f"slot_minutes_left must be 0 to {MAX_HORIZON} minutes",
                               code="bad_horizon")
        left = float(slot_minutes_left)
    seen: list[int] | None = None
    if viewers is not None:
        if not isinstance(viewers, list) or len(viewers) != len(minute) or any(
                isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in viewers):
            raise InvalidInput("viewers must give the viewers in each of the same minutes",
                               code="bad_series")
        seen = viewers
    return stock, minute, left, seen


@dataclass(frozen=True)
class _Fit:
    theta: np.ndarray  # (level now, trend a minute)
    cov: np.ndarray
    log_evidence: float  # Laplace, up to terms both models share


def _fit(y: np.ndarray, t: np.ndarray, off: np.ndarray, trend_sd: float = TREND_PRIOR_SD
         ) -> _Fit:
    """MAP of (a, b) for y ~ Poisson(exp(off + a + b t)) with normal priors (the level's
    centred on the mean rate seen, so that neither model pays for its scale); the Laplace
    covariance and evidence."""
    prior_prec = np.diag([1 / LEVEL_PRIOR_SD ** 2, 1 / trend_sd ** 2])
    mean_rate = (y.sum() + 0.5) / np.exp(off).sum()
    centre = np.array([math.log(mean_rate), 0.0])
    theta = centre.copy()
    x = np.column_stack([np.ones_like(t), t])
    hess = prior_prec
    for _ in range(50):
        mu = np.exp(np.clip(off + x @ theta, -50, 50))
        grad = x.T @ (y - mu) - prior_prec @ (theta - centre)
        hess = x.T @ (x * mu[:, None]) + prior_prec
        step = np.linalg.solve(hess, grad)
        theta = theta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    eta = np.clip(off + x @ theta, -50, 50)
    mu = np.exp(eta)
    hess = x.T @ (x * mu[:, None]) + prior_prec
    cov = np.linalg.inv(hess)
    d = theta - centre
    evidence = float(np.sum(y * eta - mu) - 0.5 * d @ prior_prec @ d
                     + 0.5 * np.linalg.slogdet(cov)[1])
    return _Fit(theta, cov, evidence)


def audience_growth(viewers: np.ndarray) -> float:
    """The audience's trend a minute over its recent minutes (0 with fewer than three)."""
    recent = np.log(np.maximum(viewers[-AUDIENCE_WINDOW:], 1.0))
    if len(recent) < 3:
        return 0.0
    growth = float(np.polyfit(np.arange(len(recent), dtype=float), recent, 1)[0])
    return max(-AUDIENCE_TREND_MAX, min(AUDIENCE_TREND_MAX, growth))


def audience_ahead(viewers: np.ndarray, future: np.ndarray, growth: float | None = None
                   ) -> np.ndarray:
    """Viewers expected in each future minute (1, 2, … from now): the last minute's count
    carried along the audience's trend over its recent minutes (``growth``, when the caller
    has it already)."""
    rate = audience_growth(viewers) if growth is None else growth
    ahead = float(viewers[-1]) * np.exp(rate * future)
    return np.asarray(np.minimum(ahead, RATE_CAP * float(viewers.max())))


@dataclass(frozen=True)
class _Reading:
    """One reading of the minutes seen: its fit, the audience ahead (1 without viewers),
    the cap a minute, its weight, the viewers now (1 without) and the audience's trend."""

    fit: _Fit
    ahead: np.ndarray
    cap: np.ndarray
    weight: float
    viewers_now: float = 1.0
    growth: float = 0.0


def check_share(share: object) -> float:
    """The share of a minute the last one has run: more than 0, at most 1."""
    if isinstance(share, bool) or not isinstance(share, int | float) or \
            not math.isfinite(share) or not 0 < share <= 1:
        raise InvalidInput("last_minute_share must be more than 0 and at most 1",
                           code="bad_series")
    return float(share)


def estimate(stock: int, minute: Sequence[int], slot_minutes_left: float | None,
             viewers: Sequence[int] | None = None, seed: int = 0,
             last_share: float = 1.0) -> Estimate:
    """The sell-out estimate for ``stock`` units left, given the units sold in each minute
    since the pin (oldest first), the last of which has run ``last_share`` of a minute.
    ``slot_minutes_left`` None: the next hour, said so."""
    from_plan = slot_minutes_left is not None
    horizon = math.ceil(slot_minutes_left) if slot_minutes_left is not None \
        else DEFAULT_HORIZON
    y = np.asarray(minute, dtype=float)
    n = len(y)
    t = np.arange(n, dtype=float) - (n - 1)  # 0 = the last minute seen: a is the level now
    future = np.arange(1, max(horizon, 1) + 1, dtype=float)
    shares = np.ones(n)
    shares[-1] = check_share(last_share)
    busiest = float((y / shares).max())  # units a whole minute
    alone = _fit(y, t, np.log(shares))
    readings = [_Reading(alone, np.ones_like(future),
                         np.full_like(future, RATE_CAP * (busiest + 1.0)), 1.0)]
    weight: float | None = None
    if viewers is not None:
        exposure = np.maximum(np.asarray(viewers, dtype=float), 1.0)
        per_viewer = _fit(y, t, np.log(exposure * shares), PER_VIEWER_TREND_SD)
        # the two readings weighed by how well each explains the minutes seen
        gap = max(-50.0, min(50.0, alone.log_evidence - per_viewer.log_evidence))
        weight = 1.0 / (1.0 + math.exp(gap))
        growth = audience_growth(exposure)
        ahead = audience_ahead(exposure, future, growth)
        cap = RATE_CAP * (float((y / exposure / shares).max()) * ahead + 1.0)
        readings = [replace(readings[0], weight=1.0 - weight),
                    _Reading(per_viewer, ahead, cap, weight, float(exposure[-1]), growth)]
    # the unit rate now and its trend a minute, whichever reading
    rate_now = sum(r.weight * r.viewers_now * math.exp(float(r.fit.theta[0]))
                   for r in readings)
    trend = sum(r.weight * (float(r.fit.theta[1]) + r.growth) for r in readings)
    method = METHOD if viewers is None else METHOD_VIEWERS
    if stock == 0:
        return Estimate(0.0, 1.0, horizon, from_plan, round(rate_now, 4),
                        round(math.expm1(trend), 4), method, weight)
    rng = np.random.default_rng(seed)
    parts = []
    path = np.zeros_like(future)
    for r in readings:
        theta = r.fit.theta
        k = round(r.weight * DRAWS)
        if k:
            draws = rng.multivariate_normal(theta, r.fit.cov, size=k, check_valid="ignore")
            rates = np.minimum(r.ahead[None, :] * np.exp(draws[:, :1] + draws[:, 1:]
                                                         * future[None, :]), r.cap[None, :])
            parts.append(rng.poisson(rates).cumsum(axis=1))
        # the expected path: when the mean cumulative demand reaches the stock
        path += r.weight * np.minimum(r.ahead * math.exp(theta[0])
                                      * np.exp(theta[1] * future), r.cap).cumsum()
    sold = np.concatenate(parts)
    p = float((sold[:, -1] >= stock).mean()) if horizon > 0 else 0.0
    hit = np.nonzero(path >= stock)[0]
    when: float | None = None
    if hit.size and horizon > 0:
        i = int(hit[0])
        before = float(path[i - 1]) if i else 0.0
        when = round(i + (stock - before) / max(float(path[i]) - before, 1e-9), 1)
    return Estimate(when, round(p, 4), horizon, from_plan, round(rate_now, 4),
                    round(math.expm1(trend), 4), method, weight)


def brier(predictions: Sequence[float], outcomes: Sequence[bool]) -> float:
    """Mean squared distance between the probabilities and what happened (0 is perfect;
    always saying 0.5 scores 0.25)."""
    if not predictions:
        raise ValueError("no predictions")
    return sum((p - float(o)) ** 2 for p, o in zip(predictions, outcomes, strict=True)) / len(
        predictions)


def reliability(predictions: Sequence[float], outcomes: Sequence[bool], bins: int = 10
                ) -> list[dict[str, float | int]]:
    """Per band of predicted probability: how many, the mean prediction, how often it
    happened. Calibrated: the last two agree."""
    rows = []
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        chosen = [(p, o) for p, o in zip(predictions, outcomes, strict=True)
                  if lo <= p < hi or (k == bins - 1 and p == 1.0)]
        if chosen:
            rows.append({"from": lo, "to": hi, "n": len(chosen),
                         "predicted": round(sum(p for p, _ in chosen) / len(chosen), 4),
                         "observed": round(sum(o for _, o in chosen) / len(chosen), 4)})
    return rows
