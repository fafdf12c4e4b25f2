"""Duties charged per unit rather than on value: per kilogram, per pair, and compound.

None of the shipped schedules has a duty per kilogram, so the tariff here is one an
operator imported (``<data_dir>/tariffs/US.csv`` replaces the shipped US rows). Figures,
worked by hand from the rows below (the US levies duty on the goods' value, FOB):

* coffee, 0.50 USD per kg: 3 bags of 0.5 kg = 1.5 kg → 0.75 USD;
* sports shoes, 20 % + 0.90 USD per pair: 2 pairs at 10.00 → 20 % × 20.00 + 2 × 0.90 = 5.80.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from chuhai.crossborder.basket import Basket, Item, Quote, QuoteError
from chuhai.crossborder.landed_cost import landed_cost
from chuhai.crossborder.loader import build
from chuhai.crossborder.rulebook import Rulebook

HEAD = ("hs,kind,origin,duty_type,rate_percent,amount,amount_currency,per_unit,effective_from,"
        "effective_to,description,source,last_reviewed,confidence,note\n")
TARIFF = HEAD + (
    "090111,base,,specific,,0.50,USD,kg,2022-01-01,,Coffee,https://example.org/t,"
    "2026-11-24,unverified,\n"
    "640411,base,,compound,20,0.90,USD,pair,2022-01-01,,Sports shoes,https://example.org/t,"
    "2026-11-24,unverified,\n")
DAY = date(2026, 11, 24)


@pytest.fixture
def book(tmp_path: Path) -> Rulebook:
    (tmp_path / "tariffs").mkdir()
    (tmp_path / "tariffs" / "US.csv").write_text(TARIFF)
    return build(data_dir=tmp_path)


def quote(book: Rulebook, item: Item) -> Quote:
    return landed_cost(book, Basket("US", DAY, (item,), Decimal("5.00"), "USD"))


def test_a_duty_per_kg_is_charged_on_the_weight_of_every_unit(book: Rulebook) -> None:
    q = quote(book, Item("090111", "BR", Decimal("20.00"), "USD", 3,
                         weight_kg=Decimal("0.5")))
    assert q.duty_total == Decimal("0.75")


def test_a_duty_per_pair_counts_pairs_and_needs_no_weight(book: Rulebook) -> None:
    q = quote(book, Item("640411", "VN", Decimal("10.00"), "USD", 2))
    assert q.duty_total == Decimal("5.80")


def test_a_duty_per_kg_without_a_weight_asks_for_the_weight(book: Rulebook) -> None:
    with pytest.raises(QuoteError) as err:
        quote(book, Item("090111", "BR", Decimal("20.00"), "USD", 3))
    assert (err.value.code, err.value.field) == ("weight_required", "items[0].weight_kg")
    assert str(err.value) == "item 0: HS 090111 has a duty per kg in US; give weight_kg"
