"""The quote request as JSON (API body and ``chuhai quote --input``), validated into a Basket."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from typing import Annotated, Literal

import pycountry
from pydantic import AfterValidator, BaseModel, Field, field_validator

from chuhai.catalog.hs import HsCodeError, normalize_hs
from chuhai.core.money import MoneyError, parse_amount
from chuhai.core.text import SafeModel
from chuhai.crossborder.basket import REGISTRATIONS, Basket, Item
from chuhai.crossborder.restricted import TAGS

MAX_ITEMS = 100


@cache
def _country(code: str) -> str:
    code = code.upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


@cache
def _currency(code: str) -> str:
    code = code.upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


def _hs(code: str) -> str:
    try:
        return normalize_hs(code)
    except HsCodeError as exc:
        raise ValueError(str(exc)) from None


Country = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_country)]
CurrencyCode = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_currency)]
AmountText = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^\d+(\.\d+)?$")]


class MoneyIn(SafeModel):
    amount: AmountText
    currency: CurrencyCode

    def value(self) -> Decimal:
        try:
            return parse_amount(self.amount, self.currency)
        except MoneyError as exc:
            raise ValueError(str(exc)) from None


class ItemIn(SafeModel):
    hs_code: Annotated[str, Field(min_length=6, max_length=14), AfterValidator(_hs)]
    origin: Country
    unit_value: AmountText
    currency: CurrencyCode
    quantity: int = Field(ge=1, le=10_000)
    weight_kg: Annotated[str, Field(max_length=12, pattern=r"^\d+(\.\d+)?$")] | None = None
    tags: list[str] = Field(default=[], max_length=10)

    @field_validator("weight_kg")
    @classmethod
    def _weight(cls, v: str | None) -> str | None:
        if v is not None and not Decimal(v) > 0:
            raise ValueError("weight_kg must be more than 0 (a duty per kg needs it)")
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - TAGS)
        if unknown:
            raise ValueError(f"unknown tag(s) {unknown}; known: {sorted(TAGS)}")
        return v


class QuoteIn(SafeModel):
    destination: Country
    date: date
    currency: CurrencyCode | None = None
    channel: Literal["own_site", "marketplace"] = "own_site"
    incoterm: Literal["DDP", "DAP"] = "DDP"
    registrations: list[str] = Field(default=[], max_length=10)
    shipping: MoneyIn | None = None
    insurance: MoneyIn | None = None
    ship_from: Country | None = None
    mode: Literal["courier", "postal"] = "courier"
    ambiguous_hs: Literal["refuse", "highest"] = Field(
        "refuse", description="An HS code shorter than national lines with different rates: "
        "`refuse` (hs_code_ambiguous, with the lines) or `highest` (the highest duty, with a "
        "warning naming the lines).")
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)

    @field_validator("registrations")
    @classmethod
    def _registrations(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - REGISTRATIONS)
        if unknown:
            raise ValueError(f"unknown registration(s) {unknown}; known: {sorted(REGISTRATIONS)}")
        return v

    def basket(self) -> Basket:
        """The engine's input; amounts checked against their currency's minor unit."""
        items = []
        for it in self.items:
            try:
                value = parse_amount(it.unit_value, it.currency)
            except MoneyError as exc:
                raise ValueError(f"unit_value: {exc}") from None
            items.append(Item(it.hs_code, it.origin, value, it.currency, it.quantity,
                              Decimal(it.weight_kg) if it.weight_kg is not None else None,
                              tuple(it.tags)))
        ship, ins = self.shipping, self.insurance
        return Basket(
            destination=self.destination, day=self.date, items=tuple(items),
            shipping=ship.value() if ship else Decimal(0),
            shipping_currency=ship.currency if ship else "",
            insurance=ins.value() if ins else Decimal(0),
            insurance_currency=ins.currency if ins else "",
            currency=self.currency, channel=self.channel, incoterm=self.incoterm,
            registrations=frozenset(self.registrations), ship_from=self.ship_from,
            mode=self.mode, ambiguous_hs=self.ambiguous_hs)


class QuoteOut(BaseModel):
    """Documented shape of a quote (the engine's ``Quote.as_dict``)."""

    destination: str
    date: date
    currency: str
    incoterm: str
    goods_total: str
    shipping_total: str
    insurance_total: str
    duty_total: str
    tax_total: str
    fees_total: str
    landed_total: str
    collected_at_checkout: str
    due_at_border: str
    customs: dict[str, str]
    collection: str | None
    lines: list[dict[str, object]]
    charges: list[dict[str, object]]
    rules: list[str]
    rules_version: str
    fx: list[dict[str, str]]
    warnings: list[str]
    restrictions: list[dict[str, str]]


class ConvertedOut(BaseModel):
    """``GET /api/fx/convert``: a price in another currency, charmed and displayed."""

    amount: str
    currency: str
    display: str = Field(description="Formatted for the locale, e.g. '19,99 €' in de_DE")
    rate_date: str | None = Field(description="The ECB publication used (ISO date); null "
                                              "from EUR to EUR")
    source: str


class FxRateOut(BaseModel):
    per_eur: str = Field(description="Units of the currency per EUR")
    date: str = Field(description="The publication used (ISO date)")


class FxRatesOut(BaseModel):
    """``GET /api/fx/rates``: units per EUR of every known currency on a day."""

    base: str
    date: str
    rates: dict[str, FxRateOut] = Field(description="Currency code → its rate")
    source: str


class DeliveredPriceOut(BaseModel):
    """A delivered price (``shop.pricing``): goods, delivery by the default lane, duty,
    taxes and fees, each formatted in the buyer's locale, with the label that says so."""

    currency: str
    total: str = Field(description="Decimal amount in the currency's major unit")
    total_display: str
    label: str = Field(description="What the price includes, in the market's language")
    goods_display: str
    delivery_display: str
    duty_display: str
    tax_display: str
    fees_display: str
    quoted: bool = Field(description="False: duties and taxes could not be computed")
    restricted: bool = Field(description="The rules forbid these goods in the market")
    deliverable: bool = Field(description="False: no warehouse serves the market")
    rules: list[str] = Field(description="The rule ids the duty and taxes came from")
    reason: str = Field(description="Why duties are not included, when they are not")
    approximate: bool = Field(False, description="The exchange rate the duties and taxes "
                              "were worked out with is more than 7 days old (the label says "
                              "they are estimated)")
    rate_date: str | None = Field(None, description="The exchange-rate publication used "
                                  "(ISO date); null when no conversion was needed")
