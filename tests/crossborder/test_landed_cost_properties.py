"""Properties of the engine that must hold for any basket, not just the worked examples."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import orjson
from hypothesis import event, given, settings
from hypothesis import strategies as st

from chuhai.crossborder.basket import Basket, Item, Quote, QuoteError
from chuhai.crossborder.landed_cost import landed_cost
from chuhai.crossborder.loader import rulebook

# (market, currency, HS codes with a known rate there, registration)
MARKETS = [
    ("DE", "EUR", ["610910", "851822", "851830", "950300"], "EU_IOSS"),
    ("FR", "EUR", ["610910", "851830"], "EU_IOSS"),
    ("GB", "GBP", ["610910", "95030021"], "UK_VAT"),
    ("AU", "AUD", ["610910", "851830"], "AU_GST"),
    ("JP", "JPY", ["851830", "610910020"], None),
    ("SG", "SGD", ["851830"], "SG_OVR"),
    ("SA", "SAR", ["950300"], None),
    ("AE", "AED", ["610910"], None),
]
DAYS = [date(2020, 9, 1), date(2024, 6, 1), date(2026, 6, 30), date(2026, 7, 1),
        date(2026, 11, 24)]


def _basket(market: str, cur: str, hs: str, reg: str | None, value: Decimal, day: date,
            qty: int = 1, shipping: Decimal = Decimal("5"), incoterm: str = "DDP") -> Basket:
    return Basket(market, day, (Item(hs, "CN", value, cur, qty),), shipping, cur,
                  registrations=frozenset({reg} if reg else ()), incoterm=incoterm)  # type: ignore[arg-type]


# Why the rules may decline a basket of these strategies, and nothing else: a date before a
# market's rules or tariff rows start (2020), a 6-digit code the EU splits at different rates
# (950300 above the de-minimis), a market without a loaded tariff (SA above its threshold).
# Any other refusal is a failure, and refusals may not crowd out the properties under test.
KNOWN_GAPS = frozenset({"duty_rate_unknown", "rules_not_in_force", "hs_code_ambiguous"})
MAX_UNQUOTABLE_SHARE = 0.25  # the grid of these strategies has 12 %


def _quote(b: Basket) -> Quote | QuoteError:
    try:
        return landed_cost(rulebook(), b)
    except QuoteError as exc:
        assert exc.code in KNOWN_GAPS, (b, exc.code, str(exc))
        return exc


amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=0).map(
    lambda d: d + Decimal("0.00"))


def test_totals_are_never_negative_and_always_add_up() -> None:
    tally: Counter[str] = Counter()

    @settings(max_examples=300, deadline=None)
    @given(m=st.sampled_from(MARKETS), day=st.sampled_from(DAYS), value=amounts,
           qty=st.integers(1, 5), ship=st.decimals(0, 50, places=0),
           incoterm=st.sampled_from(["DDP", "DAP"]), hs_i=st.integers(0, 5))
    def check(m, day, value, qty, ship, incoterm, hs_i) -> None:
        market, cur, codes, reg = m
        cur_value = value if cur != "JPY" else value.quantize(Decimal(1))
        q = _quote(_basket(market, cur, codes[hs_i % len(codes)], reg, cur_value, day, qty,
                           Decimal(ship), incoterm))
        if isinstance(q, QuoteError):
            tally[q.code] += 1
            event(f"unquotable: {q.code}")
            return
        tally["quoted"] += 1
        for total in (q.goods_total, q.duty_total, q.tax_total, q.fees_total,
                      q.landed_total, q.collected_at_checkout, q.due_at_border):
            assert total >= 0
        assert q.goods_total + q.shipping_total + q.insurance_total + q.duty_total \
            + q.tax_total + q.fees_total == q.landed_total
        assert q.collected_at_checkout + q.due_at_border == q.landed_total
        if incoterm == "DDP":
            assert q.due_at_border == 0

    check()
    tried = sum(tally.values())
    assert tried >= 100, tally
    assert tally["quoted"] >= (1 - MAX_UNQUOTABLE_SHARE) * tried, tally


def test_duty_and_tax_are_monotonic_in_value_across_the_threshold_band() -> None:
    """From well under to well over every de-minimis, paying more never lowers duty or tax.

    Quotes are for an unregistered seller, DDP. The first code of each market has a duty
    rate above zero: for a duty-free line the law itself is not monotonic (the EU's €3 flat
    duty under €150, the 0 % tariff above). Every (market, day) must quote enough values for
    the property to mean something, except where no rules were in force yet.
    """
    quoted: dict[tuple[str, date], int] = {}

    @settings(max_examples=60, deadline=None)
    @given(m=st.sampled_from(MARKETS), day=st.sampled_from(DAYS))
    def check(m, day) -> None:
        market, cur, codes, _ = m
        step = Decimal(1) if cur == "JPY" else Decimal("0.5")
        prev_duty = prev_tax = prev_landed = None
        value, points, refusals = step, 0, Counter[str]()
        while value < 2500:
            q = _quote(_basket(market, cur, codes[0], None, value, day))
            if isinstance(q, QuoteError):
                refusals[q.code] += 1
            else:
                points += 1
                if prev_duty is not None:
                    assert q.duty_total >= prev_duty, (market, day, value)
                    assert q.tax_total >= prev_tax, (market, day, value)
                    assert q.landed_total >= prev_landed, (market, day, value)
                prev_duty, prev_tax, prev_landed = q.duty_total, q.tax_total, q.landed_total
            value += step * 7
        quoted[(market, day)] = points
        if (market, day) in NOTHING_IN_FORCE:
            assert points == 0 and set(refusals) == {"rules_not_in_force"}, refusals
        else:
            # of 715 values (357 in yen); the fewest are DE and FR in 2020, quoted only
            # under the EUR 22 relief of the time: 43
            assert points >= 40, (market, day, points, refusals)

    check()
    assert len(quoted) >= 10, quoted  # the examples covered many (market, day) pairs


# No rules of these markets were in force on that day: nothing can be quoted.
NOTHING_IN_FORCE = frozenset({("GB", date(2020, 9, 1)), ("SG", date(2020, 9, 1))})


def test_same_input_gives_byte_identical_output() -> None:
    b = Basket("DE", date(2026, 11, 24), (Item("851822", "CN", Decimal("40.00"), "EUR", 1),
                                         Item("851830", "CN", Decimal("10.00"), "EUR", 3)),
               Decimal("5.00"), "EUR", registrations=frozenset({"EU_IOSS"}))
    first = orjson.dumps(landed_cost(rulebook(), b).as_dict())
    for _ in range(20):
        assert orjson.dumps(landed_cost(rulebook(), b).as_dict()) == first
