"""Import regimes as dated, sourced rules: ``rules/crossborder/<MARKET>.toml`` (+ unions).

A market's regime is a list of rules, each of one *kind* (a threshold, a tax, a flat duty, a
seller-collection scheme …) with the window in which it holds. Nothing is overwritten when the
law changes: a new row with a new window is added, so a quote for any date uses the rules in
force that day, and every figure it returns can name the row it came from.

Pure: parsing and validation only; the loader reads the files.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, TypeAdapter, model_validator

from chuhai.markets.profiles import CountryCode, CurrencyCode

RULE_ID = r"^[A-Z]{2}(\.[a-z0-9_]+)+$"
Percent = Annotated[Decimal, Field(ge=0, le=100)]
Amount = Annotated[Decimal, Field(ge=0)]
HsPrefix = Annotated[str, Field(pattern=r"^\d{2,10}$")]
# What a threshold or a band is compared with:
#   intrinsic      the goods as sold, without transport and insurance (EU IOSS, UK, AU LVG)
#   customs_value  the value on the market's valuation basis (CIF or FOB, JP's 60 % rule)
#   goods_and_shipping  goods plus transport, whatever the basis (SA)
ValueBasis = Literal["intrinsic", "customs_value", "goods_and_shipping"]
# The amounts a tax is charged on.
Component = Literal["goods", "shipping", "insurance", "customs_value", "duty", "fees"]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=RULE_ID)
    effective_from: date
    effective_to: date | None = None
    source: list[HttpUrl] = Field(min_length=1)
    last_reviewed: date
    confidence: Literal["primary", "secondary", "unverified"]
    note: str = ""
    # Optional conditions: the rule holds only for parcels that ship from / by / to these.
    ship_from: list[CountryCode] | None = None
    mode: Literal["courier", "postal"] | None = None

    @model_validator(mode="after")
    def _window(self) -> _Rule:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"{self.id}: effective_to is before effective_from")
        return self

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None
                                               or day <= self.effective_to)


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: Amount
    currency: CurrencyCode
    compare: Literal["le", "lt"] = "le"  # value ≤ amount, or value < amount
    basis: ValueBasis = "intrinsic"

    def passes(self, value: Decimal) -> bool:
        return value <= self.amount if self.compare == "le" else value < self.amount


class Band(BaseModel):
    """``above`` < value ≤ ``up_to``: ``rate`` % of the value, less ``deduct``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    above: Amount = Decimal(0)
    up_to: Amount | None = None
    rate: Percent
    deduct: Amount = Decimal(0)

    def holds(self, value: Decimal) -> bool:
        return value > self.above and (self.up_to is None or value <= self.up_to)


class Valuation(_Rule):
    """How the customs value is built: CIF adds transport and insurance, FOB does not."""

    kind: Literal["valuation"]
    basis: Literal["CIF", "FOB"]
    goods_factor: Decimal = Field(default=Decimal(1), gt=0, le=1)  # JP personal use: 0.6


class DutyRelief(_Rule):
    """No customs duty at or under the threshold (a de-minimis)."""

    kind: Literal["duty_relief"]
    threshold: Threshold
    except_hs_prefixes: list[HsPrefix] = []  # lines never relieved (JP knitwear, excise …)
    except_origins: list[CountryCode] = []  # goods of these origins never relieved


class TaxRelief(_Rule):
    """No import VAT/GST at the border at or under the threshold."""

    kind: Literal["tax_relief"]
    threshold: Threshold
    except_hs_prefixes: list[HsPrefix] = []
    except_origins: list[CountryCode] = []


class ImportTax(_Rule):
    """VAT/GST/sales tax on imports; with ``hs_prefixes`` a category rate for those lines."""

    kind: Literal["import_tax"]
    name: str = Field(min_length=2, max_length=40)
    rate: Percent
    base: list[Component] = Field(min_length=1)
    hs_prefixes: list[HsPrefix] = []
    # Brazil's ICMS is computed "por dentro": the tax is part of its own base.
    inclusive: bool = False


class SellerCollection(_Rule):
    """The seller (or the marketplace) charges the tax at the sale for low-value parcels."""

    kind: Literal["seller_collection"]
    registration: str = Field(pattern=r"^[A-Z]{2}_[A-Z0-9_]+$")
    threshold: Threshold | None = None
    name: str = Field(min_length=2, max_length=40)
    rate: Percent | None = None  # None: the market's import-tax rate for the line
    base: list[Component] = Field(min_length=1)
    marketplace: bool = True  # a marketplace is the deemed supplier and collects
    mandatory: bool = False  # below the threshold the seller *must* collect (UK)
    collects: list[Literal["tax", "duty"]] = ["tax"]
    except_hs_prefixes: list[HsPrefix] = []  # lines outside the scheme (excise goods)


class DutyFlat(_Rule):
    """A flat duty instead of the tariff (EU €3 per distinct tariff subheading)."""

    kind: Literal["duty_flat"]
    amount: Amount
    currency: CurrencyCode
    per: Literal["distinct_hs6", "item", "consignment"]
    threshold: Threshold


class _Banded(_Rule):
    """A rate picked by the parcel's value band."""

    currency: CurrencyCode
    basis: ValueBasis  # what picks the band
    charge_basis: ValueBasis | None = None  # what the rate is charged on (default: basis)
    bands: list[Band] = Field(min_length=1)


class DutyBand(_Banded):
    """An ad-valorem duty by value band instead of the tariff (ID 7.5 %, BR); with
    ``hs_prefixes`` only for those lines (ID: 15 % or 25 % for listed goods), each line
    taking the first band rule that covers it."""

    kind: Literal["duty_band"]
    registration: str | None = None  # holds only for sellers with it (BR Remessa Conforme)
    without_registration: bool = False  # holds only for sellers *without* it
    hs_prefixes: list[HsPrefix] = []  # empty: every line (but the excepted ones)
    except_hs_prefixes: list[HsPrefix] = []


class GlobalRate(_Banded):
    """One rate covering duty and tax together (MX courier 'tasa global')."""

    kind: Literal["global_rate"]
    origins: list[CountryCode] = Field(min_length=1)


class DutyDefault(_Rule):
    """The rate for lines with no tariff row (SG: no duty but on a few chapters)."""

    kind: Literal["duty_default"]
    rate: Percent
    except_hs_prefixes: list[HsPrefix] = []


class Fee(_Rule):
    """A fixed charge at the border (processing or handling fee)."""

    kind: Literal["fee"]
    name: str = Field(min_length=2, max_length=60)
    amount: Amount
    currency: CurrencyCode
    per: Literal["consignment", "line", "item"]
    threshold: Threshold | None = None


Rule = Annotated[Valuation | DutyRelief | TaxRelief | ImportTax | SellerCollection | DutyFlat
                 | DutyBand | GlobalRate | DutyDefault | Fee, Field(discriminator="kind")]
_RULES = TypeAdapter(list[Rule])


class RegimeFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    market: str = Field(pattern=r"^[A-Z]{2}$")
    name: str
    union: str | None = None  # e.g. "EU": also load unions/EU.toml
    members: list[CountryCode] = []  # unions only
    currency: CurrencyCode | None = None  # the customs currency (markets only)
    tariff: str | None = None  # which tariffs/<X>.csv the market uses (EU members: EU)
    last_reviewed: date
    rules: list[Rule] = []

    @model_validator(mode="after")
    def _ids(self) -> RegimeFile:
        seen: set[str] = set()
        for r in self.rules:
            if r.id in seen:
                raise ValueError(f"rule id {r.id} appears twice")
            if not r.id.startswith(self.market + "."):
                raise ValueError(f"rule id {r.id} must start with {self.market}.")
            seen.add(r.id)
        return self


class RegimeError(ValueError):
    """A rules file that does not validate (every problem listed)."""


def parse_regime(text: str, name: str = "<text>") -> RegimeFile:
    try:
        return RegimeFile.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise RegimeError(f"{name}: {exc}") from exc


def parse_regimes(union_files: list[tuple[str, str]], market_files: list[tuple[str, str]]
                  ) -> tuple[dict[str, RegimeFile], dict[str, RegimeFile]]:
    """Markets and unions from (file name, text) pairs, validated together; all problems
    reported at once."""
    markets: dict[str, RegimeFile] = {}
    unions: dict[str, RegimeFile] = {}
    problems: list[str] = []
    for files, into in ((union_files, unions), (market_files, markets)):
        for name, text in files:
            try:
                reg = parse_regime(text, name)
            except RegimeError as exc:
                problems.append(str(exc))
                continue
            if name.removesuffix(".toml") != reg.market:
                problems.append(f"{name}: file name must be {reg.market}.toml")
            into[reg.market] = reg
    for m in markets.values():
        if m.currency is None:
            problems.append(f"{m.market}.toml: currency (the customs currency) is required")
        if m.union is not None and m.union not in unions:
            problems.append(f"{m.market}.toml: unknown union {m.union}")
        elif m.union is not None and m.market not in unions[m.union].members:
            problems.append(f"{m.market}.toml: not a member of {m.union}")
    if problems:
        raise RegimeError("; ".join(problems))
    return markets, unions
