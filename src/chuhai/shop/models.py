"""Carts (global store): what a buyer means to buy from one seller, and the holds on it.

A cart names its buyer by pseudonymous subject id only; the units of each line are held by
a reservation (inventory/models.py) taken through the shared primitive (inventory/units.py).
A line outlives its hold: when the hold lapses the line stays in the cart, shown as no longer
held, so the buyer can hold it again instead of finding it gone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.clock import UTCDateTime, utcnow
from chuhai.core.db import PSEUDONYMOUS_ID, GlobalBase


class Cart(GlobalBase):
    """One per buyer and seller: one consignment, one payment."""

    __tablename__ = "carts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    buyer_id: Mapped[str] = mapped_column(String(40), index=True, info=PSEUDONYMOUS_ID)
    buyer_region: Mapped[str] = mapped_column(String(8))
    market: Mapped[str] = mapped_column(String(2))
    # How the buyer came to what they added last (analytics/attribution.py): the order's
    # last touch. Describes the purchase path, not the person; None on older carts.
    touch: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    __table_args__ = (UniqueConstraint("org_id", "buyer_id"),)


class CartLine(GlobalBase):
    """A SKU in a cart: how many, from which warehouse, at what listed price, and the
    reservation that holds the units (None once let go)."""

    __tablename__ = "cart_lines"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    cart_id: Mapped[str] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"),
                                         index=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    warehouse_id: Mapped[str] = mapped_column(String(40))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reservation_id: Mapped[str | None] = mapped_column(String(40))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("cart_id", "sku_id"),)
