"""Trust figures from daily counts: rates and median times, each shown only once enough
cases stand behind it, with its definition; the landed price holds within the carrier's
rounding; a parcel is on time any time on the last promised day."""

from __future__ import annotations

from datetime import UTC, datetime

from chuhai.analytics import trust


def test_a_duration_falls_in_the_first_bucket_that_holds_it():
    bounds = trust.ANSWER_BUCKETS_S
    assert trust.bucket(0, bounds) == 0
    assert trust.bucket(15, bounds) == 0
    assert trust.bucket(16, bounds) == 1
    assert trust.bucket(10 ** 6, bounds) == len(bounds)  # beyond the last: the open bucket


def test_the_median_is_the_bound_of_the_bucket_holding_the_middle_case():
    bounds = (10, 20, 30)
    assert trust.median_bound([0, 0, 0, 0], bounds) is None
    assert trust.median_bound([1, 1, 1, 0], bounds) == 20
    assert trust.median_bound([3, 0, 0, 1], bounds) == 10
    assert trust.median_bound([0, 0, 1, 3], bounds) is None  # past the last bound


def test_the_landed_price_holds_within_one_percent_of_the_quote():
    assert trust.landed_held(1000, 1000)
    assert trust.landed_held(1000, 1010)  # the carrier rounded up
    assert not trust.landed_held(1000, 1011)
    assert trust.landed_held(0, 0) and not trust.landed_held(0, 1)
    assert trust.landed_held(1000, 0)  # charged less than quoted: held


def test_on_time_means_by_the_last_promised_day():
    paid = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert trust.on_time(paid, datetime(2026, 12, 8, 23, 59, tzinfo=UTC), 7)
    assert not trust.on_time(paid, datetime(2026, 12, 9, 0, 1, tzinfo=UTC), 7)


def test_a_figure_is_shown_only_from_its_minimum_sample():
    few = trust.DayCounts()
    few.counts.update(questions=trust.MIN_RATE_N - 1, answered=trust.MIN_RATE_N - 1)
    figures = trust.figures(few)
    assert figures["answer_rate"] == {
        "value": None, "n": trust.MIN_RATE_N - 1, "shown": False, "min_n": trust.MIN_RATE_N,
        "definition": trust.DEFINITIONS["answer_rate"]}
    enough = trust.DayCounts()
    enough.counts.update(delivered=40, on_time=30, returned=2, paid_orders=25,
                         repeat_orders=5)
    enough.refund_hist[3] = trust.MIN_TIME_N  # ten refunds within two days
    figures = trust.figures(enough)
    assert figures["on_time"]["value"] == 0.75 and figures["on_time"]["shown"]
    assert figures["return_rate"]["value"] == 0.05
    assert figures["repeat_rate"]["value"] == 0.2
    assert figures["refund_time"]["within_s"] == 48 * 3600
    assert not figures["landed_held"]["shown"]  # no duty invoice recorded
    assert all(f["definition"] for f in figures.values())


def test_days_sum_counts_and_histograms():
    rows = [{"questions": 3, "answered": 2, "answer_hist": [1, 1, 0]},
            {"questions": 1, "answered": 1, "answer_hist": [0, 0, 1], "refund_hist": [2]}]
    total = trust.total(rows)
    assert (total.counts["questions"], total.counts["answered"]) == (4, 3)
    assert total.answer_hist[:3] == [1, 1, 1]
    assert total.refund_hist[0] == 2


def test_step_times_come_from_consenting_buyers_and_say_so():
    c = trust.DayCounts()
    c.touch_hist[trust.bucket(7200, trust.STEP_BUCKETS_S)] += trust.MIN_TIME_N
    steps = trust.step_times(c)
    assert steps["first_touch_to_order"]["within_s"] == 6 * 3600
    assert not steps["order_to_paid"]["shown"]  # nobody's: not shown
    assert "allowed analytics" in trust.STEP_NOTE
