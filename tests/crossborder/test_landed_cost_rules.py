"""Business rules of the landed-cost engine that the worked examples do not pin down.

Some rules are shipped by no market (a flat duty per item for parcels from one country, a
duty per dozen), so those tests add them to a copy of the shipped rules (or, for tariff rows,
to an operator's ``<data_dir>/tariffs/US.csv``, which replaces the shipped US rows).
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from chuhai.crossborder.basket import Basket, Item, QuoteError
from chuhai.crossborder.landed_cost import landed_cost
from chuhai.crossborder.loader import build, rulebook, rules_dir
from chuhai.crossborder.rulebook import Rulebook

DAY = date(2026, 11, 24)
HEAD = ("hs,kind,origin,duty_type,rate_percent,amount,amount_currency,per_unit,effective_from,"
        "effective_to,description,source,last_reviewed,confidence,note\n")
FLAT_FROM_CN = '''
[[rules]]
id = "US.duty_flat.test_from_cn"
kind = "duty_flat"
amount = "2.00"
currency = "USD"
per = "item"
ship_from = ["CN"]
threshold = { amount = "800", currency = "USD", compare = "le", basis = "intrinsic" }
effective_from = 2026-01-01
source = ["https://example.org/flat"]
confidence = "unverified"
last_reviewed = 2026-11-24
'''


@pytest.fixture
def flat_book(tmp_path: Path) -> Rulebook:
    root = tmp_path / "rules"
    shutil.copytree(rules_dir(), root)
    with (root / "crossborder" / "US.toml").open("a") as f:
        f.write(FLAT_FROM_CN)
    return build(root=root)


def _us(book: Rulebook, item: Item, ship_from: str | None = "CN") -> Basket:
    return Basket("US", DAY, (item,), Decimal("5.00"), "USD", ship_from=ship_from)


def test_a_flat_duty_per_item_names_its_rule_and_is_charged_per_unit(
        flat_book: Rulebook) -> None:
    q = landed_cost(flat_book, _us(flat_book, Item("610910", "CN", Decimal("10.00"), "USD", 3)))
    duties = [ch for ch in q.charges if ch.kind == "duty"]
    assert [(ch.name, ch.amount, ch.rule) for ch in duties] == [
        ("flat duty", Decimal("6.00"), "US.duty_flat.test_from_cn")]
    assert "US.duty_flat.test_from_cn" in q.lines[0].rules


def test_a_flat_duty_for_parcels_from_one_country_depends_on_where_they_ship_from(
        flat_book: Rulebook) -> None:
    item = Item("610910", "CN", Decimal("10.00"), "USD", 3)
    from_cn = landed_cost(flat_book, _us(flat_book, item, "CN"))
    from_de = landed_cost(flat_book, _us(flat_book, item, "DE"))
    assert "US.duty_flat.test_from_cn" in from_cn.rules
    assert "US.duty_flat.test_from_cn" not in from_de.rules
    assert all(ch.name != "flat duty" for ch in from_de.charges)


def test_a_duty_per_dozen_charges_a_twelfth_of_the_amount_per_unit(tmp_path: Path) -> None:
    (tmp_path / "tariffs").mkdir()
    (tmp_path / "tariffs" / "US.csv").write_text(HEAD + (
        "610910,base,,specific,,1.20,USD,dozen,2022-01-01,,T-shirts,https://example.org/t,"
        "2026-11-24,unverified,\n"))
    book = build(data_dir=tmp_path)
    q = landed_cost(book, _us(book, Item("610910", "CN", Decimal("10.00"), "USD", 24), None))
    assert q.duty_total == Decimal("2.40")  # 2 dozen × 1.20


def test_the_global_rate_replaces_the_tax_and_is_labelled_global_rate() -> None:
    b = Basket("MX", DAY, (Item("610910", "US", Decimal("100.00"), "USD", 1),),
               Decimal("0"), "USD", mode="courier")
    q = landed_cost(rulebook(), b)
    assert [ch.name for ch in q.charges] == ["global rate"]
    assert q.tax_total == 0


def test_a_global_rate_with_no_band_for_the_value_falls_back_to_the_ordinary_rules() -> None:
    # above US$2,500 the MX global rate has no band; the ordinary rules apply (no MX tariff)
    b = Basket("MX", DAY, (Item("610910", "US", Decimal("3000.00"), "USD", 1),),
               Decimal("0"), "USD", mode="courier")
    with pytest.raises(QuoteError) as err:
        landed_cost(rulebook(), b)
    assert err.value.code == "duty_rate_unknown"


def test_an_unknown_duty_rate_names_the_line_and_offers_no_choices() -> None:
    b = Basket("MX", DAY, (Item("610910", "US", Decimal("3000.00"), "USD", 1),),
               Decimal("0"), "USD", mode="courier")
    with pytest.raises(QuoteError) as err:
        landed_cost(rulebook(), b)
    assert (err.value.field, err.value.extra) == ("items[0].hs_code", {})


def test_an_ambiguous_code_lists_the_codes_to_choose_from() -> None:
    b = Basket("DE", DAY, (Item("950300", "CN", Decimal("300.00"), "EUR", 1),),
               Decimal("0"), "EUR")
    with pytest.raises(QuoteError) as err:
        landed_cost(rulebook(), b)
    assert err.value.code == "hs_code_ambiguous"
    assert err.value.field == "items[0].hs_code"
    assert "95030021" in err.value.extra["choices"]


def test_tax_collected_under_a_scheme_names_the_scheme_rule() -> None:
    b = Basket("DE", DAY, (Item("610910", "CN", Decimal("50.00"), "EUR", 1),),
               Decimal("0"), "EUR", registrations=frozenset({"EU_IOSS"}))
    q = landed_cost(rulebook(), b)
    taxes = [ch for ch in q.charges if ch.kind == "tax"]
    assert [(ch.name, ch.rule) for ch in taxes] == [("VAT (IOSS)", "EU.ioss")]
    assert None not in q.rules
    assert "EU.ioss" in q.lines[0].rules


def test_tax_at_the_border_is_shown_under_the_tax_s_name() -> None:
    b = Basket("DE", DAY, (Item("610910", "CN", Decimal("50.00"), "EUR", 1),),
               Decimal("0"), "EUR", incoterm="DAP")
    q = landed_cost(rulebook(), b)
    taxes = [ch for ch in q.charges if ch.kind == "tax"]
    assert taxes and all(ch.name for ch in taxes)
    assert [ch.rule for ch in taxes] == ["DE.vat.standard"]
