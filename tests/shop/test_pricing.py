"""One delivered price, said the same way everywhere (chuhai.shop.pricing).

The rules: a price is the goods, the delivery by the default lane, the duty, the taxes and
the fees, and its total is their sum; its label, in the buyer's language, says what it
includes; with no lane to the market it is not deliverable and not quoted; goods the rules
refuse in the market are restricted; a market the rules cannot quote keeps goods and
delivery and says duties may apply. A basket is quoted as one consignment — one delivery,
thresholds judged on the whole — and says why it differs from the sum of its lines:
``delivery_once`` and ``threshold:<rule>`` for each rule the basket and its single items
do not share.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from chuhai.crossborder.labels import (
    DELIVERED,
    DELIVERED_MAY_APPLY,
    NOT_DELIVERED,
    NOT_SOLD,
)
from chuhai.crossborder.loader import rulebook
from chuhai.crossborder.rulebook import Rulebook
from chuhai.shop.pricing import Delivery, Goods, Price, basket, price

DAY = date(2026, 12, 1)
EARBUDS_JP = Goods("85183020", "CN", 285, 7980, "JPY")  # ¥7,980: under ¥10,000 alone
EARBUDS_DE = Goods("85183020", "CN", 60, 3600, "EUR")
EARBUDS_FR = Goods("85183020", "CN", 60, 3600, "EUR")
VAPE_AU = Goods("85434000", "CN", 100, 3000, "AUD")  # e-cigarettes: refused in Australia
TO_JP = Delivery("SZ", 4, 7, 600)
TO_DE = Delivery("DE-1", 1, 3, 490)
TO_FR = Delivery("DE-1", 2, 4, 590)
TO_AU = Delivery("SZ", 6, 12, 1000)


@pytest.fixture(scope="module")
def rules() -> Rulebook:
    return rulebook(None)


def parts(p: Price) -> int:
    return p.goods_minor + p.delivery_minor + p.duty_minor + p.tax_minor + p.fees_minor


def charged(p: Price, kind: str) -> Decimal:
    return sum((Decimal(c["amount"]) for c in p.charges if c["kind"] == kind), Decimal(0))


# --- price -----------------------------------------------------------------------------

def test_total_is_goods_plus_delivery_plus_duty_plus_tax_plus_fees(rules: Rulebook) -> None:
    for p in (price(rules, "DE", DAY, [EARBUDS_DE], TO_DE),
              price(rules, "FR", DAY, [EARBUDS_FR], TO_FR),
              price(rules, "JP", DAY, [EARBUDS_JP, EARBUDS_JP], TO_JP)):
        assert p.quoted
        assert p.total_minor == parts(p)


def test_every_part_is_counted_in_the_total(rules: Rulebook) -> None:
    # France: a duty, a VAT and a per-line handling fee, so no part can be left out unseen
    p = price(rules, "FR", DAY, [EARBUDS_FR], TO_FR)
    assert p.goods_minor > 0 and p.delivery_minor > 0
    assert p.duty_minor > 0 and p.tax_minor > 0 and p.fees_minor > 0
    assert p.total_minor == 3600 + 590 + p.duty_minor + p.tax_minor + p.fees_minor


def test_goods_are_unit_price_times_quantity_and_delivery_is_the_lanes_cost(
        rules: Rulebook) -> None:
    p = price(rules, "JP", DAY, [Goods("85183020", "CN", 285, 2000, "JPY", 3)], TO_JP)
    assert p.goods_minor == 3 * 2000
    assert p.delivery_minor == TO_JP.cost_minor


def test_duty_and_tax_are_the_sums_of_the_quotes_charges(rules: Rulebook) -> None:
    p = price(rules, "DE", DAY, [EARBUDS_DE], TO_DE)
    assert p.currency == "EUR"
    assert Decimal(p.duty_minor) / 100 == charged(p, "duty")
    assert Decimal(p.tax_minor) / 100 == charged(p, "tax")


def test_german_vat_is_charged_on_goods_delivery_and_duty(rules: Rulebook) -> None:
    # DE.vat.standard: 19 % of the customs value (goods + delivery, CIF) plus the duty
    p = price(rules, "DE", DAY, [EARBUDS_DE], TO_DE)
    base = Decimal(p.goods_minor + p.delivery_minor + p.duty_minor)
    assert p.tax_minor == int((base * Decimal("0.19")).quantize(Decimal(1), ROUND_HALF_UP))
    assert "DE.vat.standard" in p.rules


def test_the_price_names_the_rules_it_used(rules: Rulebook) -> None:
    p = price(rules, "DE", DAY, [EARBUDS_DE], TO_DE)
    assert {c["rule"] for c in p.charges} <= set(p.rules)
    assert "EU.valuation.cif" in p.rules


def test_the_label_says_delivery_duties_and_taxes_are_included_in_the_buyers_language(
        rules: Rulebook) -> None:
    p = price(rules, "DE", DAY, [EARBUDS_DE], TO_DE)
    assert p.label("de") == "inkl. Versand, Zoll und Steuern"
    assert p.label("de-AT") == "inkl. Versand, Zoll und Steuern"
    assert p.label("ja") == DELIVERED["ja"]
    assert p.label("xx") == DELIVERED["en"]


def test_no_delivery_means_not_deliverable_and_not_quoted(rules: Rulebook) -> None:
    p = price(rules, "DE", DAY, [EARBUDS_DE], None)
    assert not p.deliverable
    assert not p.quoted
    assert p.reason == "no_route"
    assert (p.delivery_minor, p.duty_minor, p.tax_minor, p.fees_minor) == (0, 0, 0, 0)
    assert p.total_minor == EARBUDS_DE.unit_minor
    assert p.label("de") == NOT_DELIVERED["de"]


def test_goods_the_market_refuses_are_restricted_and_not_quoted(rules: Rulebook) -> None:
    p = price(rules, "AU", DAY, [VAPE_AU], TO_AU)
    assert p.restricted
    assert not p.quoted
    assert p.reason == "restricted_goods"
    assert p.label("en") == NOT_SOLD["en"]


def test_the_same_goods_are_not_restricted_where_the_rules_allow_them(
        rules: Rulebook) -> None:
    # the refusal is the market's, not the goods': only a warning in Germany
    p = price(rules, "DE", DAY, [Goods("85434000", "CN", 100, 3000, "EUR")], TO_DE)
    assert not p.restricted
    assert p.quoted


def test_a_market_the_rules_cannot_quote_keeps_goods_and_delivery_and_says_duties_may_apply(
        rules: Rulebook) -> None:
    p = price(rules, "ZZ", DAY, [Goods("85183020", "CN", 60, 3900, "USD")],
              Delivery("US-W", 2, 4, 650))
    assert not p.quoted
    assert p.deliverable and not p.restricted
    assert p.total_minor == 3900 + 650
    assert p.reason
    assert p.label("de") == DELIVERED_MAY_APPLY["de"]


def test_registrations_are_passed_to_the_rules(rules: Rulebook) -> None:
    goods = [Goods("85183020", "CN", 60, 3600, "AUD")]
    plain = price(rules, "AU", DAY, goods, TO_AU)
    registered = price(rules, "AU", DAY, goods, TO_AU, frozenset({"AU_GST"}))
    assert "AU.gst.lvg" not in plain.rules
    assert "AU.gst.lvg" in registered.rules


def test_a_price_of_nothing_is_a_value_error(rules: Rulebook) -> None:
    with pytest.raises(ValueError):
        price(rules, "DE", DAY, [], TO_DE)


def test_a_line_of_two_costs_the_same_as_two_lines_of_one(rules: Rulebook) -> None:
    two = Goods("85183020", "CN", 285, 7980, "JPY", 2)
    assert price(rules, "JP", DAY, [two], TO_JP).total_minor == \
        price(rules, "JP", DAY, [EARBUDS_JP, EARBUDS_JP], TO_JP).total_minor


def test_as_dict_formats_every_amount_in_the_buyers_locale(rules: Rulebook) -> None:
    d = price(rules, "DE", DAY, [EARBUDS_DE], TO_DE).as_dict("de_DE", "de")
    assert d["currency"] == "EUR"
    assert d["goods_display"] == "36,00\xa0€"
    assert d["delivery_display"] == "4,90\xa0€"
    assert d["label"] == "inkl. Versand, Zoll und Steuern"
    assert d["quoted"] is True and d["restricted"] is False and d["deliverable"] is True


def test_as_dict_total_is_the_total_in_major_units(rules: Rulebook) -> None:
    p = price(rules, "DE", DAY, [EARBUDS_DE], TO_DE)
    d = p.as_dict("de_DE", "de")
    assert Decimal(d["total"]) == Decimal(p.total_minor) / 100
    assert d["total_display"] == p.display("de_DE")
    assert d["rules"] == list(p.rules)


def test_yen_have_no_minor_unit_on_display(rules: Rulebook) -> None:
    p = price(rules, "JP", DAY, [EARBUDS_JP], TO_JP)
    assert p.as_dict("ja_JP", "ja")["total"] == str(p.total_minor)


# --- basket ----------------------------------------------------------------------------

def test_a_single_item_basket_costs_what_the_item_costs_and_gives_no_reasons(
        rules: Rulebook) -> None:
    b = basket(rules, "DE", DAY, [EARBUDS_DE], TO_DE)
    assert b.reasons == ()
    assert b.total == price(rules, "DE", DAY, [EARBUDS_DE], TO_DE)
    assert b.difference_minor == 0


def test_each_line_is_priced_as_if_bought_alone(rules: Rulebook) -> None:
    goods = [EARBUDS_JP, Goods("85183020", "CN", 285, 3000, "JPY")]
    b = basket(rules, "JP", DAY, goods, TO_JP)
    assert b.lines == tuple(price(rules, "JP", DAY, [g], TO_JP) for g in goods)
    assert b.sum_of_lines_minor == sum(p.total_minor for p in b.lines)


def test_two_items_are_delivered_once(rules: Rulebook) -> None:
    b = basket(rules, "DE", DAY, [EARBUDS_DE, EARBUDS_DE], TO_DE)
    assert "delivery_once" in b.reasons
    assert b.total.delivery_minor == TO_DE.cost_minor
    assert all(p.delivery_minor == TO_DE.cost_minor for p in b.lines)


def test_under_every_threshold_the_basket_saves_exactly_the_extra_deliveries(
        rules: Rulebook) -> None:
    # ¥3,000 twice: customs value 0.6 × 6,000 + 600 stays under ¥10,000, nothing is due
    cheap = Goods("85183020", "CN", 285, 3000, "JPY")
    b = basket(rules, "JP", DAY, [cheap, cheap, cheap], TO_JP)
    assert b.reasons == ("delivery_once",)
    assert b.difference_minor == -2 * TO_JP.cost_minor


def test_free_delivery_gives_no_delivery_once_reason(rules: Rulebook) -> None:
    b = basket(rules, "DE", DAY, [EARBUDS_DE, EARBUDS_DE], Delivery("DE-1", 1, 3, 0))
    assert "delivery_once" not in b.reasons


def test_a_japanese_basket_over_10000_yen_loses_the_relief_each_item_had(
        rules: Rulebook) -> None:
    b = basket(rules, "JP", DAY, [EARBUDS_JP, EARBUDS_JP], TO_JP)
    for single in b.lines:
        assert {"JP.duty_relief.10000", "JP.tax_relief.10000"} <= set(single.rules)
        assert single.tax_minor == 0
    assert "JP.tax_relief.10000" not in b.total.rules
    assert "JP.consumption_tax.standard" in b.total.rules
    assert {"threshold:JP.duty_relief.10000", "threshold:JP.tax_relief.10000",
            "threshold:JP.consumption_tax.standard"} <= set(b.reasons)
    assert b.reasons[0] == "delivery_once"


def test_the_japanese_basket_pays_consumption_tax_on_its_whole_customs_value(
        rules: Rulebook) -> None:
    # JP.valuation.personal_use: 60 % of the goods plus freight (CIF); the earbuds' duty is
    # nil; JP.consumption_tax.standard: 10 % of customs value plus duty.
    b = basket(rules, "JP", DAY, [EARBUDS_JP, EARBUDS_JP], TO_JP)
    customs_value = Decimal("0.6") * 2 * EARBUDS_JP.unit_minor + TO_JP.cost_minor
    assert customs_value > 10000
    assert b.total.duty_minor == 0
    assert b.total.tax_minor == int((customs_value * Decimal("0.10")).quantize(
        Decimal(1), ROUND_HALF_UP))


def test_the_basket_total_differs_from_the_sum_of_single_prices_and_says_by_how_much(
        rules: Rulebook) -> None:
    b = basket(rules, "JP", DAY, [EARBUDS_JP, EARBUDS_JP], TO_JP)
    assert b.total.total_minor != b.sum_of_lines_minor
    assert b.difference_minor == b.total.total_minor - b.sum_of_lines_minor
    # one delivery saved, the consumption tax added
    assert b.difference_minor == b.total.tax_minor - TO_JP.cost_minor


def test_a_threshold_one_item_already_crossed_is_still_named_for_the_item_that_had_relief(
        rules: Rulebook) -> None:
    big = Goods("85183020", "CN", 285, 20000, "JPY")
    small = Goods("85183020", "CN", 285, 3000, "JPY")
    b = basket(rules, "JP", DAY, [big, small], TO_JP)
    assert "JP.tax_relief.10000" in b.lines[1].rules
    assert "threshold:JP.tax_relief.10000" in b.reasons
    assert "threshold:JP.consumption_tax.standard" not in b.reasons  # the big item paid it


def test_threshold_reasons_are_sorted_and_each_named_once(rules: Rulebook) -> None:
    b = basket(rules, "JP", DAY, [EARBUDS_JP, EARBUDS_JP], TO_JP)
    thresholds = [r for r in b.reasons if r.startswith("threshold:")]
    assert thresholds == sorted(set(thresholds))


def test_a_basket_with_no_delivery_is_not_deliverable_and_gives_no_reasons(
        rules: Rulebook) -> None:
    b = basket(rules, "JP", DAY, [EARBUDS_JP, EARBUDS_JP], None)
    assert not b.total.deliverable
    assert all(not p.deliverable for p in b.lines)
    assert b.reasons == ()


def test_restricted_goods_say_not_sold_even_where_there_is_no_route(rules: Rulebook) -> None:
    p = price(rules, "AU", DAY, [VAPE_AU], None)
    assert p.restricted and not p.deliverable
    assert p.label("en") == NOT_SOLD["en"]


def test_a_duty_charged_once_per_parcel_is_named_as_a_reason(rules: Rulebook) -> None:
    # The EU's flat €3 duty is charged per HS heading per consignment, not per item.
    b = basket(rules, "DE", DAY, [EARBUDS_DE, EARBUDS_DE], TO_DE)
    assert b.total.duty_minor < sum(p.duty_minor for p in b.lines)
    assert "per_parcel" in b.reasons
    assert "delivery_once" in b.reasons
