"""Request/response bodies of warehouses, stock, drops, reservations and auctions.

Prices travel as decimal strings in the market's currency ("39.00", "5480") and are stored
in minor units; the market fixes the currency, so a buyer can never be quoted in another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from chuhai.core.money import MoneyError, to_minor
from chuhai.core.money import parse_amount as _parse
from chuhai.core.text import NonEmptyText, SafeModel
from chuhai.crossborder.schemas import DeliveredPriceOut
from chuhai.markets.profiles import get_profile

Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")]
Id = Annotated[str, Field(min_length=1, max_length=40)]
Amount = Annotated[str, Field(min_length=1, max_length=24, pattern=r"^\d+(\.\d+)?$")]
IdempotencyKey = Annotated[str, Field(min_length=8, max_length=80,
                                      pattern=r"^[A-Za-z0-9:._-]+$")]


def market_code(value: str) -> str:
    m = value.strip().upper()
    if get_profile(m) is None:
        raise ValueError(f"{value!r} is not a market chuhai has a profile for")
    return m


def market_currency(market: str) -> str:
    profile = get_profile(market)
    if profile is None:
        raise ValueError(f"{market!r} is not a market chuhai has a profile for")
    return str(profile.currency.code)


def minor_in(amount: str, market: str) -> int:
    """An amount in the market's currency, in minor units; ValueError if it cannot be."""
    currency = market_currency(market)
    try:
        return to_minor(_parse(amount, currency), currency)
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc


def _priced_in_market(amount: str | None, info: ValidationInfo) -> str | None:
    """Refuse at the field an amount the market's currency cannot hold exactly or that is
    too large ("3.7" yen, a 19-digit price): 422 on ``price``, not a 500 from the service.
    The market is validated first (field order); if it failed, its own error says so."""
    market = info.data.get("market")
    if amount is not None and market is not None:
        minor_in(amount, market)
    return amount


class LaneIn(SafeModel):
    min_days: int = Field(ge=0, le=120)
    max_days: int = Field(ge=0, le=120)
    cost: Amount = "0"

    def cost_minor(self, currency: str) -> int:
        return to_minor(_parse(self.cost, currency), currency)


class WarehouseIn(SafeModel):
    code: Code
    name: NonEmptyText = Field(max_length=100)
    kind: Literal["origin", "overseas"]
    country: str = Field(min_length=2, max_length=2)
    lanes: dict[str, LaneIn] = Field(min_length=1, max_length=40,
                                     description="Delivery lanes per market served")
    restock_lead_days: int | None = Field(
        None, ge=1, le=365, description="Days from ordering a restock to units sellable "
        "here (your freight lane): what reorder suggestions cover")

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        return v.upper()

    @field_validator("lanes")
    @classmethod
    def _lanes(cls, v: dict[str, LaneIn]) -> dict[str, LaneIn]:
        out = {}
        for market, lane in v.items():
            if lane.min_days > lane.max_days:
                raise ValueError(f"{market}: min_days is after max_days")
            m = market_code(market)
            minor_in(lane.cost, m)
            out[m] = lane
        return out


class WarehousePatch(SafeModel):
    restock_lead_days: int | None = Field(
        ge=1, le=365, description="Days from ordering a restock to units sellable here; "
        "null clears it")


class WarehouseOut(BaseModel):
    id: str
    code: str
    name: str
    kind: str
    country: str
    lanes: dict[str, dict[str, int | str]]
    restock_lead_days: int | None = None


class StockEntryIn(SafeModel):
    sku_id: Id
    warehouse_id: Id
    kind: Literal["receive", "adjust", "return", "ship"]
    quantity: int = Field(ge=-1_000_000, le=1_000_000)
    note: str = Field(default="", max_length=200)


class LevelOut(BaseModel):
    sku_id: str
    sku_code: str
    warehouse_id: str
    warehouse_code: str
    on_hand: int
    allocated: int
    reserved: int
    available: int


class DropLineIn(SafeModel):
    sku_id: Id
    market: str
    warehouse_id: Id | None = Field(
        default=None, description="Omit to let routing choose by stock, delivery time, cost")
    quantity: int = Field(ge=1, le=1_000_000)
    price: Amount

    @field_validator("market")
    @classmethod
    def _market(cls, v: str) -> str:
        return market_code(v)

    @field_validator("price")
    @classmethod
    def _price(cls, v: str, info: ValidationInfo) -> str:
        _priced_in_market(v, info)
        return v


class DropIn(SafeModel):
    title: NonEmptyText = Field(max_length=200)
    room_id: Id | None = None
    lines: list[DropLineIn] = Field(min_length=1, max_length=50)
    per_buyer_limit: int = Field(default=2, ge=1, le=1000)
    hold_minutes: int = Field(default=10, ge=1, le=120)
    duration_minutes: int = Field(default=30, ge=1, le=24 * 60)


class DropStartIn(SafeModel):
    countdown_s: int = Field(default=10, ge=0, le=3600)


class DropLineOut(BaseModel):
    id: str
    sku_id: str
    market: str
    warehouse_id: str
    quantity: int
    remaining: int
    sold: int
    released: int
    price: str
    currency: str


class DropOut(BaseModel):
    id: str
    title: str
    room_id: str | None
    status: str
    per_buyer_limit: int
    hold_minutes: int
    duration_minutes: int
    starts_at: datetime | None
    ends_at: datetime | None
    lines: list[DropLineOut]


class ReserveIn(SafeModel):
    line_id: Id
    quantity: int = Field(default=1, ge=1, le=1000)
    idempotency_key: IdempotencyKey
    waitlist: bool = Field(default=False,
                           description="Join the waitlist if sold out")


class ReservationOut(BaseModel):
    id: str
    status: str
    source: str
    drop_id: str | None
    auction_id: str | None
    line_id: str | None
    sku_id: str
    market: str
    quantity: int
    price: str
    currency: str
    expires_at: datetime
    order_id: str | None
    delivery: dict[str, int | str] | None = None


class AuctionIn(SafeModel):
    title: NonEmptyText = Field(max_length=200)
    room_id: Id | None = None
    sku_id: Id
    warehouse_id: Id
    market: str
    start_price: Amount
    reserve_price: Amount | None = None
    increments: list[tuple[Amount, Amount]] | None = Field(
        default=None, max_length=30, description="[[from price, increment], …] ascending")
    duration_s: int = Field(default=30, ge=5, le=3600)
    anti_snipe_s: int = Field(default=10, ge=0, le=300)
    sudden_death: bool = False

    @field_validator("market")
    @classmethod
    def _market(cls, v: str) -> str:
        return market_code(v)

    @field_validator("start_price", "reserve_price")
    @classmethod
    def _price(cls, v: str | None, info: ValidationInfo) -> str | None:
        return _priced_in_market(v, info)

    @field_validator("increments")
    @classmethod
    def _increments(cls, v: list[tuple[str, str]] | None, info: ValidationInfo
                    ) -> list[tuple[str, str]] | None:
        for pair in v or []:
            for amount in pair:
                _priced_in_market(amount, info)
        return v


class BidIn(SafeModel):
    amount: Amount = Field(description="Your maximum bid (proxy); you pay at most this")
    idempotency_key: IdempotencyKey


class AuctionOut(BaseModel):
    id: str
    title: str
    room_id: str | None
    sku_id: str
    market: str
    currency: str
    status: str
    start_price: str
    price: str | None
    minimum_bid: str
    bids: int
    leader: str | None
    ends_at: datetime | None
    anti_snipe_s: int
    sudden_death: bool
    reserve_met: bool
    delivered: DeliveredPriceOut | None = Field(
        None, description="The delivered price in the market: goods, delivery, duty, taxes "
        "and fees, formatted in the market's locale, with its label")


class BidOut(BaseModel):
    auction: AuctionOut
    leading: bool
    extended: bool
    you: str


def amount_text(minor: int, currency: str) -> str:
    from chuhai.core.money import Money

    return str(Money.from_minor(minor, currency).amount)


class OfferLineOut(BaseModel):
    id: str
    sku_id: str
    market: str
    price: str
    currency: str
    quantity: int
    remaining: int
    delivered: DeliveredPriceOut | None = Field(
        None, description="The delivered price in the market: goods, delivery, duty, taxes "
        "and fees, formatted in the market's locale, with its label")


class OfferDropOut(BaseModel):
    """A live drop as a room's viewers see it (no buyer data)."""

    id: str
    title: str
    status: str
    starts_at: str | None = Field(description="ISO 8601")
    ends_at: str | None = Field(description="ISO 8601")
    per_buyer_limit: int
    lines: list[OfferLineOut]


class OffersOut(BaseModel):
    """``GET /api/rooms/{room_id}/offers``: what a viewer page loads first."""

    drops: list[OfferDropOut]
    auctions: list[AuctionOut] = Field(description="The latest three live or won auctions")
