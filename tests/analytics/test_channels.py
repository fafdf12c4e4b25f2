"""The channels report, pure: credited orders and GMV per market, week and channel, in the
reporting currency at the ECB rate of each order's payment day; orders without touchpoints
counted; a currency with no rate left out and named."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from chuhai.analytics.channels import PaidOrder, report, week_of
from chuhai.crossborder.fx import RateTable


@pytest.fixture
def fx() -> RateTable:
    table = RateTable()
    table.add("USD", date(2026, 11, 27), Decimal("1.05"))  # a Friday
    table.add("USD", date(2026, 11, 30), Decimal("1.10"))
    table.add("CNY", date(2026, 11, 27), Decimal("7.50"))
    table.add("CNY", date(2026, 11, 30), Decimal("7.70"))
    return table


def at(day: int) -> datetime:
    return datetime(2026, 11, day, 12, tzinfo=UTC)


def test_money_is_converted_at_the_rate_of_the_payment_day(fx):
    orders = [
        # paid on Saturday the 28th: the Friday rate (the latest published) applies
        PaidOrder("US", at(28), "feed", None, 10_500, "USD"),  # 105 USD = 100 EUR = 750 CNY
        PaidOrder("DE", at(30), "search", None, 10_000, "EUR"),  # 100 EUR = 770 CNY
    ]
    out = report(orders, model="last_touch", fx=fx, currency="CNY")
    rows = {(r["market"], r["week"], r["channel"]): r for r in out["rows"]}
    assert rows[("US", "2026-11-23", "feed")]["gmv"] == "750.00"
    assert rows[("DE", "2026-11-30", "search")]["gmv"] == "770.00"
    assert out["groups"] == [{"group": "interest", "orders": 1.0, "gmv": "750.00"},
                             {"group": "search", "orders": 1.0, "gmv": "770.00"},
                             {"group": "direct", "orders": 0.0, "gmv": "0.00"}]
    assert out["only_last_touch"] == 2 and out["only_last_touch_share"] == 1.0


def test_a_model_spreads_an_order_over_its_path_and_counts_the_rest(fx):
    orders = [PaidOrder("DE", at(30), "search", ["feed", "video", "search"], 9_000, "EUR"),
              PaidOrder("DE", at(30), "direct", None, 1_000, "EUR")]
    out = report(orders, model="first_touch", fx=fx, currency="EUR")
    by = {r["channel"]: (r["orders"], r["gmv"]) for r in out["rows"]}
    assert by == {"feed": (1.0, "90.00"), "direct": (1.0, "10.00")}
    assert out["only_last_touch"] == 1 and out["only_last_touch_share"] == 0.5
    linear = report(orders, model="linear", fx=fx, currency="EUR")
    assert {r["channel"]: r["orders"] for r in linear["rows"]} == {
        "feed": 0.333, "video": 0.333, "search": 0.333, "direct": 1.0}


def test_an_order_in_a_currency_without_a_rate_is_left_out_and_named(fx):
    orders = [PaidOrder("KW", at(30), "feed", None, 10_000, "KWD"),
              PaidOrder("DE", at(30), None, None, 5_000, "EUR")]  # placed before attribution
    out = report(orders, model="last_touch", fx=fx, currency="EUR")
    assert out["orders"] == 1 and out["unconverted_currencies"] == ["KWD"]
    assert [r["channel"] for r in out["rows"]] == ["direct"]


def test_weeks_are_named_by_their_monday():
    assert week_of(date(2026, 12, 6)) == date(2026, 11, 30)
    assert week_of(date(2026, 11, 30)) == date(2026, 11, 30)
