"""Reading the product form: a listing price is read in its market's number format (as the
console shows it), a plain ``19.99`` works everywhere unless the market would read the same
text as another number, and what cannot be read is refused in words that say how to write
it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chuhai.catalog.forms import local_price, read_local_amount, read_product_form


@pytest.mark.parametrize(("typed", "locale", "read"), [
    ("19,99", "de_DE", "19.99"),        # as the console shows 19,99 € for Germany
    ("1.234,50", "de_DE", "1234.50"),
    ("19.99", "de_DE", "19.99"),        # a plain decimal point cannot be German grouping
    ("1,234.50", "en_US", "1234.50"),
    ("1,234", "en_GB", "1234"),         # grouping only: no plain reading to confuse
    ("19.99", "en_US", "19.99"),
    ("5480", "ja_JP", "5480"),
    ("1 234,56", "fr_FR", "1234.56"),   # an ordinary space for France's narrow one
    (" 7,5 ", "de_DE", "7.5"),
])
def test_prices_are_read_in_the_markets_format(typed, locale, read):
    assert read_local_amount(typed, locale) == read


@pytest.mark.parametrize("typed", ["1.234", "12.500", "999.999"])
def test_text_a_german_reads_as_another_number_is_refused_as_ambiguous(typed):
    # 1.234 is 1234 to a German and 1.234 to anyone writing a decimal point.
    with pytest.raises(ValueError, match="ambiguous") as err:
        read_local_amount(typed, "de_DE")
    grouped, pointed = typed.replace(".", ""), typed.replace(".", ",")
    assert f"Write {grouped} or {pointed}." in str(err.value)


@pytest.mark.parametrize(("typed", "locale"), [
    ("19,99", "en_US"), ("1e3", "en_US"), ("twelve", "de_DE"), ("1,2,3", "de_DE"),
])
def test_what_is_not_a_price_is_refused_with_an_example(typed, locale):
    with pytest.raises(ValueError, match="not a price: write it like"):
        read_local_amount(typed, locale)


def test_the_edit_form_writes_prices_as_the_market_reads_them():
    assert local_price(Decimal("84.90"), "EUR", "DE") == "84,90"
    assert local_price(Decimal("1234.50"), "USD", "US") == "1234.50"
    assert local_price(Decimal("5480"), "JPY", "JP") == "5480"
    for market, currency, locale in (("DE", "EUR", "de_DE"), ("US", "USD", "en_US"),
                                     ("FR", "EUR", "fr_FR")):
        shown = local_price(Decimal("1234.56"), currency, market)
        assert read_local_amount(shown, locale) == "1234.56"  # reads back unchanged


def test_price_problems_are_keyed_by_the_row_they_came_from():
    read = read_product_form({"listing_2_market": "DE", "listing_2_price": "1.234",
                              "listing_3_market": "US", "listing_3_price": "9.99"})
    assert read.rows == [2, 3]
    assert list(read.errors) == ["listing_2_price"]
    assert read.data["listings"][1]["price"] == "9.99"
