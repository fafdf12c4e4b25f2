"""Bodies of the shop API (the cart); answers are the plain dicts of ``shop.views``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from chuhai.analytics.schemas import TouchIn
from chuhai.core.text import SafeModel
from chuhai.crossborder.schemas import DeliveredPriceOut
from chuhai.inventory.schemas import Id, IdempotencyKey


class CartItemIn(SafeModel):
    sku_id: Id
    quantity: int = Field(default=1, ge=1, le=1000)
    idempotency_key: IdempotencyKey
    touch: TouchIn | None = Field(None, description="How the buyer came to this item: "
                                  "becomes the order's last touch (direct when absent)")


class CartQuantityIn(SafeModel):
    quantity: int = Field(ge=0, le=1000, description="0 removes the item")
    idempotency_key: IdempotencyKey


PriceOut = DeliveredPriceOut


class LaneOut(BaseModel):
    """Where the parcel ships from and how long it takes after dispatch."""

    warehouse: str
    min_days: int
    max_days: int


class ProductSkuOut(BaseModel):
    id: str
    code: str
    attributes: dict[str, Any] = Field(description="The seller's own attributes")
    available: int


class ReasonOut(BaseModel):
    code: str = Field(description="delivery_once | per_parcel | threshold:<rule id>")
    text: str


class CartLineOut(BaseModel):
    sku_id: str
    sku_code: str
    title: str
    attributes: dict[str, Any] = Field(description="The seller's own attributes")
    image: str | None
    product_id: str
    quantity: int
    held: bool = Field(description="False: the hold lapsed; set the quantity to hold again")
    hold_expires_at: str | None
    unit_price_display: str
    price_alone: PriceOut = Field(description="This line's delivered price if bought alone")


class ProductOut(BaseModel):
    id: str
    code: str
    title: str
    description: str
    brand: str
    images: list[str]
    language: str
    market: str
    url: str
    price: PriceOut
    delivery: LaneOut | None
    skus: list[ProductSkuOut]
    in_stock: bool
    notices: list[str]
    markets: list[str]


class TrustFigurePublic(BaseModel):
    value: float = Field(description="A share from 0 to 1")
    n: int = Field(description="The cases behind it (at least the minimum sample)")
    within_s: int | None = Field(None, description="answer_rate: the median answer came "
                                                   "within this many seconds")


class StorefrontOut(BaseModel):
    shop: str
    name: str
    market: str | None
    markets: list[str]
    products: list[ProductOut]
    trust: dict[str, TrustFigurePublic] = Field(
        default_factory=dict, description="The seller's figures over 90 days with enough "
        "cases behind them: on_time, answer_rate, landed_held")


class CartOut(BaseModel):
    shop: str
    market: str
    lines: list[CartLineOut]
    all_held: bool
    total: PriceOut | None
    sum_of_items_display: str | None = None
    differs: bool = False
    reasons: list[ReasonOut]
    delivery: LaneOut | None


class AddressFieldOut(BaseModel):
    name: str
    required: bool
    choices: list[list[str]]
