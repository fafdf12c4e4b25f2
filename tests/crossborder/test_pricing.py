"""Display per locale, minor units, and charm endings that only round up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chuhai.core.money import Money
from chuhai.crossborder.fx import parse_ecb_csv
from chuhai.crossborder.pricing import CHARMS, charm_price, convert_price


@pytest.mark.parametrize(("amount", "cur", "locale", "shown"), [
    ("1280", "JPY", "ja_JP", "￥1,280"),
    ("12.80", "EUR", "de_DE", "12,80\xa0€"),
    ("12.80", "USD", "en_US", "$12.80"),
    ("12.800", "KWD", "en_US", "KWD12.800"),
])
def test_prices_are_shown_the_way_each_locale_writes_them(amount, cur, locale, shown) -> None:
    assert Money.of(amount, cur).format(locale) == shown


@pytest.mark.parametrize(("amount", "cur", "charm", "out"), [
    ("12.31", "USD", "99", "12.99"), ("12.99", "USD", "99", "12.99"),
    ("13.00", "USD", "99", "13.99"), ("12.31", "EUR", "90", "12.90"),
    ("12.95", "EUR", "90", "13.90"), ("1231", "JPY", "80", "1280"),
    ("1281", "JPY", "80", "1380"), ("1200", "JPY", "00", "1200"),
    ("1201", "JPY", "00", "1300"), ("12.345", "USD", "none", "12.35"),
    ("12.01", "GBP", "00", "13.00"),
])
def test_charm_endings(amount, cur, charm, out) -> None:
    assert charm_price(Decimal(amount), cur, charm) == Decimal(out)


@given(amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2),
       charm=st.sampled_from(CHARMS), cur=st.sampled_from(["USD", "EUR", "JPY", "KRW"]))
def test_a_charm_price_never_undercuts_the_converted_price(amount, charm, cur) -> None:
    out = charm_price(amount, cur, charm)
    assert out >= amount.quantize(Decimal(1) if cur in ("JPY", "KRW") else Decimal("0.01"),
                                  rounding="ROUND_HALF_UP")
    assert out - amount < (100 if cur in ("JPY", "KRW") else 1) + 1


def test_convert_then_charm_then_display() -> None:
    fx = parse_ecb_csv("Date,USD,JPY\n2026-11-23,1.2,180\n")
    c = convert_price(fx, Decimal("8.00"), "USD", "JPY", date(2026, 11, 24), "ja_JP", "80")
    assert (c.amount, c.display, c.rate_date) == (Decimal("1280"), "￥1,280", date(2026, 11, 23))
