"""Checkout, order and payment bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from chuhai.core.text import NonEmptyText, SafeModel, ascii_digits
from chuhai.inventory.schemas import Id, IdempotencyKey

DUTIES_PENDING = "Duties and taxes not yet calculated"


class ShipTo(SafeModel):
    """A ship-to address; which fields a country needs, and their format, is checked
    against the destination's rules at checkout (``checkout/addresses.py``)."""

    name: NonEmptyText = Field(max_length=120)
    street: NonEmptyText = Field(max_length=200)
    city: str = Field(default="", max_length=100)
    region: str = Field(default="", max_length=100,
                        description="State, province, prefecture or emirate, where the "
                        "destination's addresses have one")
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(min_length=2, max_length=2)
    phone: str = Field(default="", max_length=32,
                       description="A number the carrier can call (optional)")

    @field_validator("country")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()


class CheckoutIn(SafeModel):
    reservation_id: Id
    ship_to: ShipTo
    idempotency_key: IdempotencyKey


class CartCheckoutIn(SafeModel):
    ship_to: ShipTo
    idempotency_key: IdempotencyKey


class PayIn(SafeModel):
    # Digits as the buyer's keyboard typed them (Arabic-Indic, full-width …) mean the same.
    card_number: Annotated[str, BeforeValidator(ascii_digits)] = Field(
        min_length=1, max_length=40, pattern=r"^[0-9 -]+$|^pm_\w+$",
        description="A test card number (test provider) or a Stripe PaymentMethod id "
        "(Stripe); digits of any script are read as ASCII")
    idempotency_key: IdempotencyKey


class TransitionIn(SafeModel):
    to: Literal["allocated", "shipped", "delivered", "cancelled", "refunded", "returned"]
    reason: str = Field(default="", max_length=200)
    tracking: str | None = Field(default=None, max_length=80)


class QuoteOut(BaseModel):
    reservation_id: str
    market: str
    currency: str
    items: list[dict[str, Any]]
    subtotal: str
    shipping: str
    duty: str
    tax: str
    fees: str
    total: str
    duties: str
    landed: dict[str, Any] | None = None
    delivery_min_days: int
    delivery_max_days: int
    warehouse: str
    expires_at: datetime


class OrderEventOut(BaseModel):
    from_status: str | None
    to_status: str
    actor_kind: str
    reason: str
    at: datetime


class PaymentOut(BaseModel):
    id: str
    status: str
    provider: str
    amount: str
    currency: str
    decline_code: str | None
    action_url: str | None


class OrderOut(BaseModel):
    id: str
    status: str
    source: str
    market: str
    currency: str
    items: list[dict[str, Any]]
    subtotal: str
    shipping: str
    duty: str = "0"
    tax: str = "0"
    fees: str = "0"
    total: str
    duties: str
    delivery_min_days: int
    delivery_max_days: int
    reservation_id: str
    room_id: str | None
    channel: str | None = Field(None, description="Where the order came from (its last "
                                "touch): feed, video, live, search, browse, external or "
                                "direct; None for orders placed before attribution")
    tracking: str | None
    created_at: datetime
    ship_to: dict[str, str] | None = None
    events: list[OrderEventOut] = []
    payments: list[PaymentOut] = []
