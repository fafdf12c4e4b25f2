"""Restricted goods: refused before a price is given, warned with the rule that applies."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from chuhai.core.errors import Conflict, DomainError
from chuhai.crossborder import service
from chuhai.crossborder.loader import rulebook
from chuhai.crossborder.restricted import parse_restrictions


def _basket(dest: str, hs: str, cur: str, value: str, tags: list[str] | None = None) -> dict:
    return {"destination": dest, "date": "2026-11-24", "items": [
        {"hs_code": hs, "origin": "CN", "unit_value": value, "currency": cur, "quantity": 1,
         "tags": tags or []}]}


def test_every_market_has_restricted_goods_rules_and_every_rule_a_source() -> None:
    rules = rulebook().restrictions
    markets = {m for r in rules for m in r.markets}
    assert set(rulebook().markets) <= markets
    assert all(r.source for r in rules)


@pytest.mark.parametrize(("basket", "rule"), [
    (_basket("AU", "854340", "AUD", "30.00"), "AU.restricted.vape"),
    (_basket("US", "820510", "USD", "20.00", ["knife"]), "US.restricted.switchblade"),
    (_basket("SG", "854340", "SGD", "20.00"), "SG.restricted.vape"),
])
def test_refused_goods_get_restricted_goods_naming_the_rule(basket: dict, rule: str) -> None:
    with pytest.raises(DomainError) as err:
        service.quote_json(basket)
    assert err.value.code == "restricted_goods"
    assert err.value.extra["rule"] == rule


def test_warned_goods_are_quoted_with_the_warning_and_its_source() -> None:
    q = service.quote_json({**_basket("DE", "850760", "EUR", "40.00"),
                            "registrations": ["EU_IOSS"]})
    flagged = {r["rule"] for r in q["restrictions"]}
    assert "UN.restricted.lithium_battery_post" in flagged
    assert all(r["source"].startswith("http") and r["item"] == "0" for r in q["restrictions"])
    assert q["landed_total"] == "51.17"  # 40 + EUR 3 flat + 19 % of 43 = 8.17


def test_a_rule_outside_its_window_does_not_apply() -> None:
    rules = parse_restrictions('''
[[rule]]
id = "XX.restricted.test"
markets = ["DE"]
hs_prefixes = ["9503"]
action = "refuse"
message = "A test rule that ended."
effective_from = 2020-01-01
effective_to = 2020-12-31
source = ["https://example.org/rule"]
confidence = "unverified"
last_reviewed = 2026-11-24
''')
    from chuhai.crossborder.restricted import flags
    assert flags(rules, "DE", date(2020, 6, 1), "950300", ()) == rules
    assert flags(rules, "DE", date(2021, 1, 1), "950300", ()) == []


def test_bad_rule_files_are_refused_with_every_problem() -> None:
    with pytest.raises(ValueError, match="unknown tag"):
        parse_restrictions('''
[[rule]]
id = "DE.restricted.x"
markets = ["DE"]
tags = ["spaceship"]
action = "warn"
message = "Not a real category at all."
effective_from = 2020-01-01
source = ["https://example.org/rule"]
confidence = "unverified"
last_reviewed = 2026-11-24
''')


def test_checkout_refuses_restricted_goods_with_409() -> None:
    from chuhai.checkout.service import _landed
    res = SimpleNamespace(currency="AUD", market="AU", price_minor=3000, quantity=1)
    with pytest.raises(Conflict) as err:
        _landed(res, "854340", "CN", 100, frozenset(), 500, None)  # type: ignore[arg-type]
    assert err.value.code == "restricted_goods" and err.value.status == 409
    fine = _landed(SimpleNamespace(currency="EUR", market="DE", price_minor=4000, quantity=1),
                   "851830", "CN", 100, frozenset({"EU_IOSS"}), 500, None)  # type: ignore[arg-type]
    assert fine["duties_note"].startswith("Duties and taxes included")
    assert (fine["duty_minor"], fine["tax_minor"]) == (300, 912)  # 3.00; 19 % of 48.00
