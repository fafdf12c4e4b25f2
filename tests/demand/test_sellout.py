"""The live sell-out estimate: a steady seller runs out about when stock over rate says, a
slow one does not within the slot, a rising rate runs out sooner than a flat one; bad input
gets codes; no planned end means the next hour, said so; probabilities are calibrated
enough to beat the plug-in estimate on simulated streams."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import poisson

from chuhai.core.errors import InvalidInput
from chuhai.demand.sellout import audience_ahead, brier, check, estimate, reliability


def test_a_steady_seller_runs_out_about_when_stock_over_rate_says():
    est = estimate(50, [5] * 10, 30)
    assert est.sellout_minute is not None and 8 <= est.sellout_minute <= 12
    assert est.p_sellout_in_slot > 0.93  # a falling trend is not ruled out in 10 minutes
    assert abs(est.rate_per_minute - 5) < 0.6


def test_a_slow_seller_does_not_run_out_in_the_slot():
    est = estimate(500, [1, 0, 2, 1, 1, 0, 1, 2, 1, 1], 20)
    assert est.sellout_minute is None and est.p_sellout_in_slot < 0.01


def test_a_rising_rate_runs_out_sooner_than_a_flat_one():
    flat = estimate(60, [4] * 10, 60)
    rising = estimate(60, [1, 1, 2, 2, 3, 4, 5, 6, 8, 9], 60)
    assert rising.trend_per_minute > 0 and flat.trend_per_minute == pytest.approx(0, abs=0.02)
    assert rising.sellout_minute is not None and flat.sellout_minute is not None
    assert rising.sellout_minute < flat.sellout_minute


def test_no_planned_end_means_the_next_hour_and_says_so():
    out = estimate(30, [3, 3, 3], None).as_dict()
    assert out["horizon_minutes"] == 60 and "no planned end" in str(out["note"])
    assert "note" not in estimate(30, [3, 3, 3], 10).as_dict()


def test_nothing_left_has_sold_out_now():
    est = estimate(0, [3], 10)
    assert (est.sellout_minute, est.p_sellout_in_slot) == (0.0, 1.0)


@pytest.mark.parametrize("stock,minute,left,code", [
    (-1, [1], 10, "bad_stock"), ("5", [1], 10, "bad_stock"), (True, [1], 10, "bad_stock"),
    (5, [], 10, "bad_series"), (5, [1, -2], 10, "bad_series"), (5, [1.5], 10, "bad_series"),
    (5, "123", 10, "bad_series"), (5, [1] * 2000, 10, "bad_series"),
    (5, [1], -1, "bad_horizon"), (5, [1], 10_000, "bad_horizon"),
    (5, [1], float("nan"), "bad_horizon"),
])
def test_bad_input_gets_a_code(stock, minute, left, code):
    with pytest.raises(InvalidInput) as err:
        check(stock, minute, left)
    assert err.value.code == code


def test_probabilities_beat_the_plug_in_estimate_on_simulated_streams():
    """On streams whose rate may change, the plug-in estimate (the mean rate so far, held
    for sure) is confidently wrong; doubt about the rate and its trend does better."""
    rng = np.random.default_rng(7)
    preds, plug_in, outcomes = [], [], []
    for i in range(90):  # rising, flat and falling streams
        rate = rng.uniform(1, 6) * np.exp((i % 3 - 1) * 0.03 * np.arange(60))
        sold = rng.poisson(rate)
        stock = int(rate.sum() * rng.uniform(0.6, 1.4))
        left = stock - int(sold[:10].sum())
        if left <= 0:
            continue
        preds.append(estimate(left, [int(x) for x in sold[:10]], 50, seed=i)
                     .p_sellout_in_slot)
        plug_in.append(float(poisson.sf(left - 1, float(sold[:10].mean()) * 50)))
        outcomes.append(bool(sold[10:].sum() >= left))
    # better than the plug-in (the mean rate, no doubt about it): bench/sellout.py has the
    # full figures, reliability table included
    assert brier(preds, outcomes) < brier(plug_in, outcomes) - 0.05
    bands = reliability(preds, outcomes)
    assert sum(b["n"] for b in bands) == len(preds)


def test_a_growing_audience_is_expected_to_keep_growing_within_bounds():
    future = np.arange(1, 31, dtype=float)
    growing = audience_ahead(np.array([100, 110, 121, 133, 146, 161], dtype=float), future)
    assert 161 < growing[0] < growing[-1] <= 3 * 161  # never more than three times the most
    steady = audience_ahead(np.array([500, 500, 500, 500], dtype=float), future)
    assert np.allclose(steady, 500)
    # a tripling in three minutes is read as at most 5 % a minute, not a boom
    fast = audience_ahead(np.array([10, 30, 90, 270], dtype=float), future)
    assert fast[0] <= 270 * np.exp(0.05) + 1e-9
    # two minutes are too few to read a trend from: the last count is held
    assert np.allclose(audience_ahead(np.array([100, 200], dtype=float), future), 200)


GROWING = [100, 110, 121, 133, 146, 161, 177, 195, 214, 236]  # +10 % a minute


def test_sales_that_follow_the_audience_are_read_per_viewer():
    sales = [2, 2, 3, 3, 3, 4, 4, 5, 5, 6]  # rising as the audience grows
    est = estimate(120, sales, 30, GROWING)
    assert "per viewer" in est.method and est.audience_weight > 0.55
    alone = estimate(120, sales, 30)
    assert "per viewer" not in alone.method and alone.audience_weight is None
    assert est.p_sellout_in_slot > alone.p_sellout_in_slot  # the audience keeps growing
    assert est.trend_per_minute > 0.02  # the unit rate's trend, not the per-viewer one
    # the same sales with an audience that is leaving: less likely to run out
    leaving = estimate(120, sales, 30, list(reversed(GROWING)))
    assert leaving.p_sellout_in_slot < est.p_sellout_in_slot


def test_sales_that_ignore_the_audience_are_read_on_their_own():
    """Flat sales while the audience grows: the per-viewer reading would promise a boom;
    weighed by the evidence, the sales' own reading carries most of the estimate."""
    est = estimate(60, [2] * 10, 30, GROWING)
    alone = estimate(60, [2] * 10, 30)
    assert est.audience_weight < 0.5
    assert abs(est.p_sellout_in_slot - alone.p_sellout_in_slot) < 0.1
    longer = estimate(60, [2] * 20, 30, [round(100 * 1.1 ** i) for i in range(20)])
    assert longer.audience_weight < 0.05 < est.audience_weight  # more minutes, surer


@pytest.mark.parametrize("viewers", [[10], [10, -1], [10, 1.5], "10,20", [10, True]])
def test_viewers_must_be_counts_for_the_same_minutes(viewers):
    with pytest.raises(InvalidInput) as err:
        check(5, [1, 2], 10, viewers)
    assert err.value.code == "bad_series"
