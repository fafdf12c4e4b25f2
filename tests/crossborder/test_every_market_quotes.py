"""Every market the project sells to quotes the demo catalog: a buyer anywhere sees a price
with duties and taxes in it, never "may apply" because a rate is missing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chuhai.crossborder.basket import Basket, Item, QuoteError
from chuhai.crossborder.landed_cost import landed_cost
from chuhai.crossborder.loader import rulebook, rules_dir
from chuhai.crossborder.service import listing_quote
from chuhai.demo import PRODUCTS

MARKETS = sorted(p.stem for p in (rules_dir() / "markets").glob("*.toml") if p.stem != "CN")
TODAY = date(2026, 12, 6)


def test_the_markets_are_the_twenty_two_destinations() -> None:
    assert len(MARKETS) == 22 and "VN" in MARKETS and "SA" in MARKETS


@pytest.mark.parametrize("market", MARKETS)
@pytest.mark.parametrize("price", [Decimal("30"), Decimal("600")])  # under and over de minimis
def test_every_demo_product_quotes_in_every_market(market: str, price: Decimal) -> None:
    for p in PRODUCTS:
        q = listing_quote(market, TODAY, p.hs, "CN", price, "USD", weight_g=p.weight_g)
        assert q.landed_total >= q.goods_total, (market, p.code)


def test_a_short_code_over_lines_with_different_duties_quotes_the_highest_and_says_so() -> None:
    q = listing_quote("DE", TODAY, "420292", "CN", Decimal("300"), "EUR")  # over EUR 150
    exact = [listing_quote("DE", TODAY, line, "CN", Decimal("300"), "EUR").duty_total
             for line in ("42029211", "42029215", "42029291")]
    assert q.duty_total == max(exact) > min(exact)
    assert any("420292 covers EU tariff lines with different duties" in w
               and "give the full code" in w for w in q.warnings)


def test_the_quote_api_default_still_refuses_a_short_ambiguous_code() -> None:
    basket = Basket("DE", TODAY, (Item("420292", "CN", Decimal("300"), "EUR", 1),),
                    currency="EUR")
    with pytest.raises(QuoteError) as err:
        landed_cost(rulebook(), basket)
    assert err.value.code == "hs_code_ambiguous"
    assert "42029211" in err.value.extra["choices"]
