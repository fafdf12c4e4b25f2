"""Warehouses, the stock ledger, drops, auctions and reservations (global store).

Nothing here is personal: buyers appear only by their pseudonymous subject id (and the
region whose store holds their orders). The hot row of a flash sale is ``drop_lines``; its
``remaining`` is decremented by one conditional UPDATE per reservation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.clock import UTCDateTime, utcnow
from chuhai.core.db import NOT_PERSONAL, PSEUDONYMOUS_ID, GlobalBase


class Warehouse(GlobalBase):
    __tablename__ = "warehouses"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100), info=NOT_PERSONAL)  # a place, not a person
    kind: Mapped[str] = mapped_column(String(10))  # origin | overseas
    country: Mapped[str] = mapped_column(String(2))
    # market -> {"min_days", "max_days", "cost_minor", "currency"}
    lanes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Days from ordering a restock to units sellable here (the seller's own freight lane,
    # e.g. sea from Shenzhen): what a reorder suggestion covers. None: no suggestion.
    restock_lead_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("org_id", "code"),)


class StockLevel(GlobalBase):
    """The cached sum of a (SKU, warehouse)'s ledger entries."""

    __tablename__ = "stock_levels"
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"),
                                        primary_key=True)
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id", ondelete="CASCADE"),
                                              primary_key=True)
    org_id: Mapped[str] = mapped_column(String(40), index=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)


class StockEntry(GlobalBase):
    """One append-only ledger entry; never updated, never deleted."""

    __tablename__ = "stock_entries"
    __table_args__: ClassVar[dict[str, Any]] = {"info": {"append_only": True}}  # SKU kept
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(40), index=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    d_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    d_allocated: Mapped[int] = mapped_column(Integer, default=0)
    d_reserved: Mapped[int] = mapped_column(Integer, default=0)
    ref: Mapped[str] = mapped_column(String(80), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Drop(GlobalBase):
    __tablename__ = "drops"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[str | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    per_buyer_limit: Mapped[int] = mapped_column(Integer, default=2)
    hold_minutes: Mapped[int] = mapped_column(Integer, default=10)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=30)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DropLine(GlobalBase):
    """Units of one SKU allocated to one market from one warehouse, at one price."""

    __tablename__ = "drop_lines"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    drop_id: Mapped[str] = mapped_column(ForeignKey("drops.id", ondelete="CASCADE"),
                                         index=True)
    org_id: Mapped[str] = mapped_column(String(40))
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    market: Mapped[str] = mapped_column(String(2))
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, default=0)
    released: Mapped[int] = mapped_column(Integer, default=0)  # unsold, back to the warehouse
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    __table_args__ = (UniqueConstraint("drop_id", "sku_id", "market"),)


class DropBuyer(GlobalBase):
    """Units one buyer holds or bought in one drop: the per-buyer limit's counter."""

    __tablename__ = "drop_buyers"
    drop_id: Mapped[str] = mapped_column(ForeignKey("drops.id", ondelete="CASCADE"),
                                         primary_key=True)
    buyer_id: Mapped[str] = mapped_column(String(40), primary_key=True, info=PSEUDONYMOUS_ID)
    quantity: Mapped[int] = mapped_column(Integer, default=0)


class Reservation(GlobalBase):
    """Units held for one buyer until ``expires_at``: from a drop line or an auction win."""

    __tablename__ = "reservations"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(40), index=True)
    drop_id: Mapped[str | None] = mapped_column(ForeignKey("drops.id", ondelete="CASCADE"),
                                                index=True)
    line_id: Mapped[str | None] = mapped_column(ForeignKey("drop_lines.id",
                                                           ondelete="CASCADE"))
    auction_id: Mapped[str | None] = mapped_column(
        ForeignKey("auctions.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[str] = mapped_column(String(40))
    warehouse_id: Mapped[str] = mapped_column(String(40))
    market: Mapped[str] = mapped_column(String(2))
    buyer_id: Mapped[str] = mapped_column(String(40), index=True, info=PSEUDONYMOUS_ID)
    buyer_region: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(Integer)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default="held", index=True)
    source: Mapped[str] = mapped_column(String(10), default="buy")  # buy|waitlist|auction
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    order_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("buyer_id", "idempotency_key"),)


class WaitlistEntry(GlobalBase):
    """A buyer waiting for units of a sold-out drop line, served in arrival order."""

    __tablename__ = "waitlist"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    drop_id: Mapped[str] = mapped_column(ForeignKey("drops.id", ondelete="CASCADE"),
                                         index=True)
    line_id: Mapped[str] = mapped_column(ForeignKey("drop_lines.id", ondelete="CASCADE"))
    buyer_id: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    buyer_region: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="waiting")  # |offered|lapsed
    reservation_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("line_id", "buyer_id"),)


class Auction(GlobalBase):
    """A live auction of one unit. ``version`` orders bids: each accepted bid is one
    conditional UPDATE on (id, version), so two bids can never both win the same step."""

    __tablename__ = "auctions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[str | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"))
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"))
    market: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    title: Mapped[str] = mapped_column(String(200))
    start_minor: Mapped[int] = mapped_column(BigInteger)
    reserve_minor: Mapped[int | None] = mapped_column(BigInteger)
    increments: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    duration_s: Mapped[int] = mapped_column(Integer, default=30)
    anti_snipe_s: Mapped[int] = mapped_column(Integer, default=10)
    sudden_death: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=0)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    price_minor: Mapped[int | None] = mapped_column(BigInteger)
    leader_id: Mapped[str | None] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    leader_region: Mapped[str | None] = mapped_column(String(8))
    leader_max_minor: Mapped[int | None] = mapped_column(BigInteger)
    bids: Mapped[int] = mapped_column(Integer, default=0)
    reservation_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Bid(GlobalBase):
    __tablename__ = "bids"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    auction_id: Mapped[str] = mapped_column(ForeignKey("auctions.id", ondelete="CASCADE"),
                                            index=True)
    version: Mapped[int] = mapped_column(Integer)
    bidder_id: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    max_minor: Mapped[int] = mapped_column(BigInteger)
    price_after_minor: Mapped[int] = mapped_column(BigInteger)
    leader_after: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    # The fingerprint of the bid's body (core/idempotency.py); None on older rows.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("auction_id", "version"),
                      UniqueConstraint("auction_id", "bidder_id", "idempotency_key"))

