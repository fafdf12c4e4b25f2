"""Daily forecasts with 80 % intervals: a weekly pattern is kept, an intermittent series
gets TSB, a short one the stated naive mean, a missing day is a zero; scheduled rooms lift
their days; reorder suggestions cover lead time and review with safety stock; bad input has
codes."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.core.errors import InvalidInput
from chuhai.demand.forecast import daily, forecast, parse_rows, reorder, uplift

D0 = date(2026, 6, 1)


def weekly(days: int = 84, seed: int = 1) -> dict[date, float]:
    rng = np.random.default_rng(seed)
    return {D0 + timedelta(days=k): float(rng.poisson(20 if (k % 7) >= 5 else 6))
            for k in range(days)}


def test_a_weekly_pattern_is_kept_with_intervals():
    points = forecast({"sku-DE": weekly()}, 14)
    assert len(points) == 14 and {p.model for p in points} == {"AutoTheta"}
    by_weekday = {p.ds.weekday(): p.yhat for p in points}
    # D0 is a Monday: k % 7 in (5, 6) are the weekend, four times the weekdays
    assert by_weekday[5] > 2 * by_weekday[1]
    assert all(p.lo80 <= p.yhat <= p.hi80 for p in points)


def test_an_intermittent_series_gets_tsb_and_a_missing_day_is_zero():
    sparse = {D0 + timedelta(days=k): 3.0 for k in range(0, 60, 5)}
    first, values = daily(sparse)
    assert first == D0 and len(values) == 56 and values[1] == 0.0
    points = forecast({"rare": sparse}, 7)
    assert {p.model for p in points} == {"TSB"}
    assert 0.2 < points[0].yhat < 1.5 and points[0].lo80 == 0.0


def test_short_history_gets_the_stated_naive_mean():
    points = forecast({"new": {D0: 4.0}}, 3)
    assert [p.yhat for p in points] == [4.0] * 3
    assert "naive-mean" in points[0].model and points[0].ds == D0 + timedelta(days=1)


def test_a_scheduled_room_lifts_its_day_by_what_room_days_sold_before():
    # rooms on irregular days, each selling three times an ordinary day
    rooms = {D0 + timedelta(days=k) for k in (3, 11, 20, 26, 37, 45, 52, 61)}
    history = {D0 + timedelta(days=k): (30.0 if D0 + timedelta(days=k) in rooms else 10.0)
               for k in range(70)}
    assert uplift(daily(history)[1], D0, rooms) == pytest.approx(3.0)
    ahead = D0 + timedelta(days=72)
    points = forecast({"s": history}, 5, past_events={"s": rooms},
                      future_events={"s": {ahead}})
    lifted = next(p for p in points if p.ds == ahead)
    plain = next(p for p in points if p.ds == ahead + timedelta(days=2))
    assert "scheduled room" in lifted.model and lifted.yhat > 1.5 * plain.yhat


def test_reorder_covers_lead_time_and_review_with_safety_stock():
    points = forecast({"s": weekly()}, 30)
    out = reorder(points, lead_days=14, available=40)
    assert out["covered_days"] == 21 and out["safety_stock"] > 0
    assert out["order"] == max(0, round(out["demand_over_cover"] + out["safety_stock"] - 40)) \
        or abs(out["order"] - (out["demand_over_cover"] + out["safety_stock"] - 40)) <= 1
    assert reorder(points, lead_days=14, available=10_000)["order"] == 0
    with pytest.raises(InvalidInput) as err:
        reorder(points, 14, 0, service=1.0)
    assert err.value.code == "bad_service"


@pytest.mark.parametrize("rows,code", [
    ([{"unique_id": "a", "ds": "2026-02-30", "y": "1"}], "bad_date"),
    ([{"unique_id": "a", "ds": "2026-02-01", "y": "-1"}], "bad_quantity"),
    ([{"unique_id": "a", "ds": "2026-02-01", "y": "many"}], "bad_quantity"),
    ([{"unique_id": "a", "ds": "2026-02-01", "y": "nan"}], "bad_quantity"),
    ([{"unique_id": "", "ds": "2026-02-01", "y": "1"}], "bad_series"),
    ([], "bad_series"),
])
def test_bad_rows_get_codes(rows, code):
    with pytest.raises(InvalidInput) as err:
        parse_rows(rows)
    assert err.value.code == code


def test_the_forecast_command_prints_the_points(tmp_path):
    f = tmp_path / "h.csv"
    f.write_text("unique_id,ds,y\n" + "".join(
        f"s,{d.isoformat()},{int(v)}\n" for d, v in weekly(42).items()))
    out = CliRunner().invoke(app, ["demand", "forecast", "--input", str(f), "--horizon", "7",
                                   "--json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)
    assert len(got) == 7 and set(got[0]) == {"unique_id", "ds", "yhat", "lo80", "hi80",
                                             "model"}
    bad = CliRunner().invoke(app, ["demand", "forecast", "--input", str(f), "--horizon",
                                   "366"])
    assert bad.exit_code == 1 and "bad_horizon" in bad.output


def test_a_slow_mover_still_gets_safety_stock():
    rare = {D0 + timedelta(days=k): 1.0 for k in range(0, 84, 12)}  # a sale every 12 days
    points = forecast({"slow": rare}, 40)
    assert all(p.hi80 == 0 or p.model == "TSB" for p in points)
    out = reorder(points, lead_days=28, available=0)
    assert out["safety_stock"] > 0 and out["order"] >= 1
