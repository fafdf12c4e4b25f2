"""What a quote takes and what it gives back, as plain frozen dataclasses.

The engine (``landed_cost``) is a pure function from a ``Basket`` and a ``Rulebook`` to a
``Quote``; the API and the CLI validate JSON into a ``Basket`` (``schemas``) and render the
``Quote`` with ``as_dict`` — so the contract is the same on every edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from chuhai.crossborder.fx import STALE_FX_DAYS

Channel = Literal["own_site", "marketplace"]
Incoterm = Literal["DDP", "DAP"]
Mode = Literal["courier", "postal"]
REGISTRATIONS = frozenset({"EU_IOSS", "UK_VAT", "AU_GST", "SG_OVR", "MY_LVG", "BR_RC"})


@dataclass(frozen=True)
class Item:
    hs_code: str  # 6–10 digits
    origin: str  # ISO 3166 alpha-2
    unit_value: Decimal
    currency: str
    quantity: int
    weight_kg: Decimal | None = None  # per unit
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Basket:
    destination: str
    day: date
    items: tuple[Item, ...]
    shipping: Decimal = Decimal(0)
    shipping_currency: str = ""
    insurance: Decimal = Decimal(0)
    insurance_currency: str = ""
    currency: str | None = None  # the quote's; the market's when None
    channel: Channel = "own_site"
    incoterm: Incoterm = "DDP"
    registrations: frozenset[str] = frozenset()
    ship_from: str | None = None  # where the parcel is sent from (CA/KR thresholds)
    mode: Mode = "courier"
    # A code shorter than national lines with different rates: "refuse" answers
    # hs_code_ambiguous with the lines to choose from; "highest" quotes the line with the
    # highest duty and warns — what a shop does, so a product classified to six digits is
    # sellable everywhere and never under-quoted.
    ambiguous_hs: Literal["refuse", "highest"] = "refuse"


class QuoteError(ValueError):
    """A basket the rules cannot answer: the message names what is missing."""

    def __init__(self, message: str, code: str, field: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.extra = extra or {}


@dataclass(slots=True)
class Charge:
    kind: Literal["duty", "tax", "fee"]
    name: str
    amount: Decimal
    collected: Literal["checkout", "border"]
    rule: str
    line: int | None = None  # the item's index, None for a consignment charge


@dataclass(slots=True)
class Line:
    index: int
    hs_code: str
    origin: str
    quantity: int
    goods: Decimal
    customs_value: Decimal
    duty: Decimal
    tax: Decimal
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Quote:
    destination: str
    day: date
    currency: str
    incoterm: Incoterm
    customs_currency: str
    customs_value: Decimal  # in the customs currency, on the market's basis
    valuation_basis: str
    goods_total: Decimal
    shipping_total: Decimal
    insurance_total: Decimal
    duty_total: Decimal
    tax_total: Decimal
    fees_total: Decimal
    landed_total: Decimal
    collected_at_checkout: Decimal
    due_at_border: Decimal
    collection: str | None  # the seller-collection scheme used (EU_IOSS …), if any
    lines: tuple[Line, ...]
    charges: tuple[Charge, ...]
    rules: tuple[str, ...]
    rules_version: str
    fx: tuple[tuple[str, Decimal, date], ...] = ()
    warnings: tuple[str, ...] = ()
    restrictions: tuple[dict[str, str], ...] = field(default=())

    @property
    def rate_date(self) -> date | None:
        """The oldest exchange-rate publication the quote used (None: no conversion)."""
        return min((on for _, _, on in self.fx), default=None)

    @property
    def approximate(self) -> bool:
        """An exchange rate used is older than a week: the buyer is told the price is
        approximate (the rules' snapshot, not today's rate)."""
        on = self.rate_date
        return on is not None and (self.day - on).days > STALE_FX_DAYS

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract: amounts as decimal strings in the quote currency."""
        return {
            "destination": self.destination, "date": self.day.isoformat(),
            "currency": self.currency, "incoterm": self.incoterm,
            "goods_total": str(self.goods_total), "shipping_total": str(self.shipping_total),
            "insurance_total": str(self.insurance_total), "duty_total": str(self.duty_total),
            "tax_total": str(self.tax_total), "fees_total": str(self.fees_total),
            "landed_total": str(self.landed_total),
            "collected_at_checkout": str(self.collected_at_checkout),
            "due_at_border": str(self.due_at_border),
            "customs": {"currency": self.customs_currency, "basis": self.valuation_basis,
                        "value": str(self.customs_value)},
            "collection": self.collection,
            "lines": [{"index": ln.index, "hs_code": ln.hs_code, "origin": ln.origin,
                       "quantity": ln.quantity, "goods": str(ln.goods),
                       "customs_value": str(ln.customs_value), "duty": str(ln.duty),
                       "tax": str(ln.tax), "rules": list(ln.rules)} for ln in self.lines],
            "charges": [{"kind": c.kind, "name": c.name, "amount": str(c.amount),
                         "collected": c.collected, "rule": c.rule, "line": c.line}
                        for c in self.charges],
            "rules": list(self.rules), "rules_version": self.rules_version,
            "fx": [{"currency": cur, "per_eur": str(rate), "date": on.isoformat()}
                   for cur, rate, on in self.fx],
            "rate_date": self.rate_date.isoformat() if self.rate_date else None,
            "approximate": self.approximate,
            "warnings": list(self.warnings),
            "restrictions": [dict(r) for r in self.restrictions],
        }
