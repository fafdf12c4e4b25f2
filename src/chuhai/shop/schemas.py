"""Bodies of the shop API (the cart); answers are the plain dicts of ``shop.views``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from chuhai.core.text import SafeModel
from chuhai.inventory.schemas import Id, IdempotencyKey


class CartItemIn(SafeModel):
    sku_id: Id
    quantity: int = Field(default=1, ge=1, le=1000)
    idempotency_key: IdempotencyKey


class CartQuantityIn(SafeModel):
    quantity: int = Field(ge=0, le=1000, description="0 removes the item")
    idempotency_key: IdempotencyKey


class PriceOut(BaseModel):
    currency: str
    total: str
    total_display: str
    label: str
    goods_display: str
    delivery_display: str
    duty_display: str
    tax_display: str
    fees_display: str
    quoted: bool
    restricted: bool
    deliverable: bool
    rules: list[str]
    reason: str


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
    delivery: dict[str, Any] | None
    skus: list[dict[str, Any]]
    in_stock: bool
    notices: list[str]
    markets: list[str]


class StorefrontOut(BaseModel):
    shop: str
    name: str
    market: str | None
    markets: list[str]
    products: list[ProductOut]


class CartOut(BaseModel):
    shop: str
    market: str
    lines: list[dict[str, Any]]
    all_held: bool
    total: PriceOut | None
    sum_of_items_display: str | None = None
    differs: bool = False
    reasons: list[dict[str, str]]
    delivery: dict[str, Any] | None


class AddressFieldOut(BaseModel):
    name: str
    required: bool
    choices: list[list[str]]
