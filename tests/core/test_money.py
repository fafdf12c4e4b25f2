"""Money: Decimal + currency, integer minor units, the currency's own precision."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chuhai.core.money import Money, MoneyError, format_minor, minor_digits, parse_amount, quantize


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("USD", 2), ("EUR", 2),
                                                  ("KWD", 3), ("KRW", 0)])
def test_minor_digits_follow_the_currency(currency, digits):
    assert minor_digits(currency) == digits


@given(minor=st.integers(min_value=-10**15, max_value=10**15),
       currency=st.sampled_from(["JPY", "USD", "KWD", "EUR", "BRL"]))
def test_minor_units_round_trip(minor, currency):
    assert Money.from_minor(minor, currency).to_minor() == minor


def test_more_precision_than_the_currency_has_is_refused():
    assert parse_amount("12.50", "USD") == Decimal("12.50")
    with pytest.raises(MoneyError):
        parse_amount("12.505", "USD")
    with pytest.raises(MoneyError):
        parse_amount("100.5", "JPY")


@pytest.mark.parametrize(("text", "currency", "exact"), [
    ("0.00", "JPY", "0"), ("0.00", "VND", "0"), ("1500.0", "KRW", "1500"),
    ("12.500", "USD", "12.50"), ("1.2340", "KWD", "1.234")])
def test_trailing_zeros_are_exact_and_accepted(text, currency, exact):
    assert parse_amount(text, currency) == Decimal(exact)


@pytest.mark.parametrize(("text", "currency"), [
    ("3.7", "JPY"), ("0.01", "VND"), ("1.2345", "KWD"),
    ("1234567890123456789", "USD"), ("1e20", "EUR")])
def test_what_would_lose_precision_or_is_too_large_is_refused(text, currency):
    with pytest.raises(MoneyError):
        parse_amount(text, currency)


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", "", "1e999999999999"])
def test_non_numbers_are_refused(bad):
    with pytest.raises(MoneyError):
        parse_amount(bad, "USD")


def test_floats_and_unknown_currencies_are_refused():
    with pytest.raises(MoneyError):
        parse_amount(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        minor_digits("XYZ")


def test_rounding_is_half_up_by_default_and_bankers_on_request():
    assert quantize(Decimal("0.125"), "USD") == Decimal("0.13")
    assert quantize(Decimal("0.125"), "USD", bankers=True) == Decimal("0.12")
    assert quantize(Decimal("2.5"), "JPY") == Decimal("3")


def test_formatting_is_per_locale():
    assert format_minor(548000, "JPY", "ja_JP") == "￥548,000"
    assert format_minor(8499, "EUR", "de_DE") == "84,99\xa0€"
    assert format_minor(8900, "USD", "en_US") == "$89.00"
