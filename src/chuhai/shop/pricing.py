"""One price, said the same way everywhere: what a buyer in a market pays, delivered.

Every price a buyer sees — the pinned card, a drop, an auction, the product page, the cart —
is the goods, **the delivery to them by the default lane**, the duty, the taxes and the fees,
with a label that says so. A basket is quoted as one consignment (one delivery, thresholds
judged on the whole), so it may differ from the sum of single-item prices: ``basket`` says by
how much and why, so the cart can show it before checkout, never after.

Pure: the rulebook comes in, nothing is read or written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from chuhai.core.money import Money, to_minor
from chuhai.crossborder.basket import Basket, Item, Quote, QuoteError
from chuhai.crossborder.labels import (
    DELIVERED,
    DELIVERED_APPROX,
    DELIVERED_MAY_APPLY,
    NOT_DELIVERED,
    NOT_SOLD,
    label,
)
from chuhai.crossborder.landed_cost import landed_cost
from chuhai.crossborder.rulebook import Rulebook


@dataclass(frozen=True)
class Goods:
    """What the rules need of a product (catalog facts), and its price in the market."""

    hs_code: str
    origin: str
    weight_g: int | None
    unit_minor: int
    currency: str
    quantity: int = 1


@dataclass(frozen=True)
class Delivery:
    """The default lane to the buyer: from which warehouse, how long, at what cost."""

    warehouse_code: str
    min_days: int
    max_days: int
    cost_minor: int


@dataclass(frozen=True)
class Price:
    """A delivered price and its parts, in the market's currency (minor units)."""

    currency: str
    goods_minor: int
    delivery_minor: int
    duty_minor: int = 0
    tax_minor: int = 0
    fees_minor: int = 0
    quoted: bool = True  # False: duties and taxes could not be computed (may be due later)
    restricted: bool = False  # the rules forbid these goods in the market
    deliverable: bool = True  # False: no warehouse serves the market
    rules: tuple[str, ...] = ()
    charges: tuple[dict[str, Any], ...] = ()
    reason: str = ""  # why duties are not included, when they are not
    rate_date: date | None = None  # the exchange-rate publication the duties were priced at
    approximate: bool = False  # that rate is more than a week old: said on the label

    @property
    def total_minor(self) -> int:
        return (self.goods_minor + self.delivery_minor + self.duty_minor + self.tax_minor
                + self.fees_minor)

    def label(self, language: str) -> str:
        if self.restricted:
            return label(NOT_SOLD, language)
        if not self.deliverable:
            return label(NOT_DELIVERED, language)
        if not self.quoted:
            return label(DELIVERED_MAY_APPLY, language)
        return label(DELIVERED_APPROX if self.approximate else DELIVERED, language)

    def display(self, locale: str) -> str:
        return Money.from_minor(self.total_minor, self.currency).format(locale)

    def as_dict(self, locale: str, language: str) -> dict[str, Any]:
        """The JSON every buyer surface shows (amounts formatted in the buyer's locale)."""
        def fmt(minor: int) -> str:
            return Money.from_minor(minor, self.currency).format(locale)

        return {"currency": self.currency, "total": str(Money.from_minor(
                    self.total_minor, self.currency).amount),
                "total_display": fmt(self.total_minor), "label": self.label(language),
                "goods_display": fmt(self.goods_minor),
                "delivery_display": fmt(self.delivery_minor),
                "duty_display": fmt(self.duty_minor), "tax_display": fmt(self.tax_minor),
                "fees_display": fmt(self.fees_minor), "quoted": self.quoted,
                "restricted": self.restricted, "deliverable": self.deliverable,
                "rules": list(self.rules), "reason": self.reason,
                "approximate": self.approximate,
                "rate_date": self.rate_date.isoformat() if self.rate_date else None}


def _basket(market: str, day: date, goods: Sequence[Goods], delivery_minor: int,
            currency: str, registrations: frozenset[str]) -> Basket:
    items = tuple(Item(g.hs_code, g.origin, Money.from_minor(g.unit_minor, g.currency).amount,
                       g.currency, g.quantity,
                       None if g.weight_g is None else Decimal(g.weight_g) / 1000)
                  for g in goods)
    return Basket(market, day, items, shipping=Money.from_minor(delivery_minor, currency).amount,
                  shipping_currency=currency, currency=currency, registrations=registrations,
                  ambiguous_hs="highest")


def _from_quote(q: Quote, currency: str, goods_minor: int, delivery_minor: int) -> Price:
    return Price(currency, goods_minor, delivery_minor,
                 duty_minor=to_minor(q.duty_total, currency),
                 tax_minor=to_minor(q.tax_total, currency),
                 fees_minor=to_minor(q.fees_total, currency), rules=tuple(q.rules),
                 charges=tuple({"kind": c.kind, "name": c.name, "amount": str(c.amount),
                                "rule": c.rule} for c in q.charges),
                 rate_date=q.rate_date, approximate=q.approximate)


def price(rules: Rulebook, market: str, day: date, goods: Sequence[Goods],
          delivery: Delivery | None, registrations: frozenset[str] = frozenset()) -> Price:
    """The delivered price of ``goods`` shipped together to ``market`` by ``delivery``.

    Goods the rules forbid are marked restricted; a market the rules cannot quote keeps the
    goods and delivery and says duties may apply — a price never pretends to include what
    could not be computed.
    """
    if not goods:
        raise ValueError("price of nothing")
    currency = goods[0].currency
    goods_minor = sum(g.unit_minor * g.quantity for g in goods)
    cost = delivery.cost_minor if delivery is not None else 0
    try:
        q = landed_cost(rules, _basket(market, day, goods, cost, currency, registrations))
    except QuoteError as exc:
        restricted = exc.code == "restricted_goods"  # "not sold" says more than "no route"
        return Price(currency, goods_minor, cost, quoted=False, restricted=restricted,
                     deliverable=delivery is not None,
                     reason=exc.code if restricted or delivery is not None else "no_route")
    if delivery is None:
        return Price(currency, goods_minor, 0, quoted=False, deliverable=False,
                     reason="no_route")
    return _from_quote(q, currency, goods_minor, delivery.cost_minor)


@dataclass(frozen=True)
class BasketPrice:
    """A cart's price as one consignment, beside the sum of its lines' single prices."""

    total: Price
    lines: tuple[Price, ...]
    reasons: tuple[str, ...] = field(default=())

    @property
    def sum_of_lines_minor(self) -> int:
        return sum(p.total_minor for p in self.lines)

    @property
    def difference_minor(self) -> int:
        return self.total.total_minor - self.sum_of_lines_minor


def basket(rules: Rulebook, market: str, day: date, goods: Sequence[Goods],
           delivery: Delivery | None, registrations: frozenset[str] = frozenset()
           ) -> BasketPrice:
    """Re-quote the whole basket, and say why it differs from the prices shown per item:
    ``delivery_once`` (one parcel, one delivery charge, where each item's price included
    its own), ``threshold:<rule>`` for every rule the basket meets that no single item
    did, or the other way round (a de-minimis or duty-free limit crossed), and
    ``per_parcel`` when duty or fees under the same rules are charged once per parcel
    rather than per item."""
    whole = price(rules, market, day, goods, delivery, registrations)
    singles = tuple(price(rules, market, day, [g], delivery, registrations) for g in goods)
    reasons: list[str] = []
    if len(goods) > 1 and delivery is not None and delivery.cost_minor:
        reasons.append("delivery_once")
    seen = {r for p in singles for r in p.rules}
    for rule in sorted(set(whole.rules) ^ seen):
        reasons.append(f"threshold:{rule}")
    per_item = sum(p.duty_minor + p.fees_minor for p in singles)
    if len(goods) > 1 and whole.quoted and per_item != whole.duty_minor + whole.fees_minor \
            and not any(r.startswith("threshold:") for r in reasons):
        # the same rules, charged once per parcel (the EU's flat duty per HS heading, a
        # border fee per consignment) rather than once per item
        reasons.append("per_parcel")
    return BasketPrice(whole, singles, tuple(reasons))
