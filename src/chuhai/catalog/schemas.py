"""Catalog request/response bodies. Validation lives here so the API and the CSV importer
refuse the same things with the same reasons."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    HttpUrl,
    ValidationInfo,
    field_validator,
    model_validator,
)

from chuhai.catalog.hs import HsCodeError, normalize_hs
from chuhai.core.money import MoneyError, minor_digits, parse_amount
from chuhai.core.text import CleanText, NonEmptyText, SafeModel
from chuhai.markets.profiles import get_profile

_CODE = r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$"
_CERT = re.compile(r"^[A-Z0-9][A-Z0-9\- ]{0,23}$")


def _hs(value: str) -> str:
    try:
        return normalize_hs(value)
    except HsCodeError as exc:
        raise ValueError(str(exc)) from exc


def _country(value: str) -> str:
    value = value.strip().upper()
    if pycountry.countries.get(alpha_2=value) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value


def _currency(value: str) -> str:
    value = value.strip().upper()
    try:
        minor_digits(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc
    return value


def _market(value: str) -> str:
    value = value.strip().upper()
    if get_profile(value) is None:
        raise ValueError(f"{value!r} is not a market chuhai has a profile for")
    return value




HsCode = Annotated[str, AfterValidator(_hs)]
Country = Annotated[str, AfterValidator(_country)]
CurrencyCode = Annotated[str, AfterValidator(_currency)]
Market = Annotated[str, AfterValidator(_market)]
Title = Annotated[NonEmptyText, Field(max_length=200)]
Description = Annotated[CleanText, Field(max_length=10_000)]
Brand = Annotated[CleanText, Field(max_length=100)]
def _not_float(value: Any) -> Any:
    # A float has already lost the cents (0.1 + 0.2); refuse it before anything rounds.
    if isinstance(value, float | bool):
        raise ValueError("send amounts as strings (e.g. '29.99'), not floats")
    return value


AmountText = Annotated[
    Annotated[str | int | Decimal, Field(union_mode="left_to_right")],
    BeforeValidator(_not_float),
]


class Strict(SafeModel):
    pass


class SkuIn(Strict):
    code: str = Field(pattern=_CODE)
    attributes: dict[Annotated[str, Field(min_length=1, max_length=40)],
                     Annotated[str, Field(max_length=100)]] = Field(
        default_factory=dict, max_length=10)
    weight_g: int | None = Field(None, gt=0, le=1_000_000)
    barcode: str | None = Field(None, pattern=r"^\d{8,14}$")


class ListingIn(Strict):
    market: Market
    currency: CurrencyCode | None = Field(None, validate_default=True,
                                          description="Defaults to the market's currency")
    language: str | None = Field(None, max_length=16, validate_default=True,
                                 description="Defaults to the market's first language")
    title: Title
    description: Description = ""
    price: AmountText = Field(description="Decimal amount in the market's currency, e.g. '29.99'")
    visible: bool = True

    @field_validator("currency")
    @classmethod
    def _market_currency(cls, value: str | None, info: ValidationInfo) -> str | None:
        profile = get_profile(info.data.get("market", ""))
        if profile is None:
            return value
        if value is None:
            return profile.currency.code
        if value != profile.currency.code:
            raise ValueError(f"{profile.code} prices are in {profile.currency.code}, "
                             f"not {value}")
        return value

    @field_validator("language")
    @classmethod
    def _market_language(cls, value: str | None, info: ValidationInfo) -> str | None:
        profile = get_profile(info.data.get("market", ""))
        if profile is None:
            return value
        if value is None:
            return profile.default_language
        if value not in profile.languages:
            raise ValueError(f"{value!r} is not a language of market {profile.code} "
                             f"({', '.join(profile.languages)})")
        return value

    @field_validator("price")
    @classmethod
    def _price(cls, value: Any, info: ValidationInfo) -> Decimal:
        currency = info.data.get("currency")
        if not currency:
            raise ValueError("cannot check the price without a valid market and currency")
        return _positive_amount(value, currency)


def normalize_certifications(value: list[str]) -> list[str]:
    out: list[str] = []
    for c in value:
        c = c.strip().upper()
        if not _CERT.match(c):
            raise ValueError(f"{c!r} is not a certification mark (e.g. CE, FCC, UKCA)")
        if c not in out:
            out.append(c)
    return out


def positive_amount(value: Any, currency: str) -> Decimal:
    return _positive_amount(value, currency)


def _positive_amount(value: Any, currency: str) -> Decimal:
    if isinstance(value, float):
        raise ValueError("send amounts as strings (e.g. '29.99'), not floats")
    try:
        amount = parse_amount(value, currency)
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc
    if amount <= 0:
        raise ValueError("amount must be greater than zero")
    if amount >= Decimal(10) ** 12:
        raise ValueError("amount is too large")
    return amount


class _ProductFields(Strict):
    title: Title
    description: Description = ""
    brand: Brand = ""
    hs_code: HsCode
    origin_country: Country
    weight_g: int = Field(gt=0, le=1_000_000, description="Shipping weight in grams")
    length_mm: int | None = Field(None, gt=0, le=10_000)
    width_mm: int | None = Field(None, gt=0, le=10_000)
    height_mm: int | None = Field(None, gt=0, le=10_000)
    customs_value: AmountText = Field(description="Declared unit value for customs")
    customs_currency: CurrencyCode
    certifications: list[str] = Field(default_factory=list, max_length=20)
    images: list[HttpUrl] = Field(default_factory=list, max_length=20)

    @field_validator("certifications")
    @classmethod
    def _certs(cls, value: list[str]) -> list[str]:
        return normalize_certifications(value)

    @model_validator(mode="after")
    def _customs(self) -> _ProductFields:
        self.customs_value = _positive_amount(self.customs_value, self.customs_currency)
        return self


class ProductIn(_ProductFields):
    code: str = Field(pattern=_CODE, description="The seller's own product code")
    skus: list[SkuIn] = Field(default_factory=list, max_length=200)
    listings: list[ListingIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _unique(self) -> ProductIn:
        check_unique(self.skus, self.listings)
        return self


def check_unique(skus: list[SkuIn] | None, listings: list[ListingIn] | None) -> None:
    codes = [s.code for s in skus or []]
    if len(codes) != len(set(codes)):
        raise ValueError("SKU codes must be unique within a product")
    markets = [li.market for li in listings or []]
    if len(markets) != len(set(markets)):
        raise ValueError("one listing per market")


class ProductPatch(Strict):
    """Partial update: only the fields sent change. Lists, when sent, replace."""

    title: Title | None = None
    description: Description | None = None
    brand: Brand | None = None
    hs_code: HsCode | None = None
    origin_country: Country | None = None
    weight_g: int | None = Field(None, gt=0, le=1_000_000)
    length_mm: int | None = Field(None, gt=0, le=10_000)
    width_mm: int | None = Field(None, gt=0, le=10_000)
    height_mm: int | None = Field(None, gt=0, le=10_000)
    customs_value: AmountText | None = None
    customs_currency: CurrencyCode | None = None
    certifications: list[str] | None = Field(None, max_length=20)
    images: list[HttpUrl] | None = Field(None, max_length=20)
    status: Annotated[str, Field(pattern=r"^(active|archived)$")] | None = None
    skus: list[SkuIn] | None = Field(None, max_length=200)
    listings: list[ListingIn] | None = Field(None, max_length=50)

    @field_validator("certifications")
    @classmethod
    def _certs(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else normalize_certifications(value)

    @model_validator(mode="after")
    def _no_nulls(self) -> ProductPatch:
        nulls = [f for f in self.model_fields_set - NULLABLE if getattr(self, f) is None]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} cannot be null")
        check_unique(self.skus, self.listings)
        return self


NULLABLE = frozenset({"length_mm", "width_mm", "height_mm"})


class SkuOut(BaseModel):
    id: str
    code: str
    attributes: dict[str, Any]
    weight_g: int | None
    barcode: str | None


class ListingOut(BaseModel):
    id: str
    market: str
    language: str
    title: str
    description: str
    price: str
    currency: str
    price_display: str
    visible: bool
    landed: str | None = None  # price + duty + tax + fees for one unit, before shipping
    landed_display: str | None = None
    landed_note: str = ""
    restrictions: list[dict[str, str]] = []


class ProductOut(BaseModel):
    id: str
    code: str
    title: str
    description: str
    brand: str
    hs_code: str
    hs_chapter: str
    origin_country: str
    weight_g: int
    length_mm: int | None
    width_mm: int | None
    height_mm: int | None
    customs_value: str
    customs_currency: str
    certifications: list[str]
    images: list[str]
    status: str
    created_at: datetime
    updated_at: datetime
    skus: list[SkuOut]
    listings: list[ListingOut]


class ProductPage(BaseModel):
    items: list[ProductOut]
    total: int
    page: int
    per_page: int
    pages: int


class ImportRowError(BaseModel):
    line: int
    column: str
    reason: str


class ImportResult(BaseModel):
    created: int
    updated: int
    dry_run: bool
    product_codes: list[str]
