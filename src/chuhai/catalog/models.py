"""Catalog tables (global store: a seller's catalog is not personal data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from chuhai.core.clock import UTCDateTime, utcnow
from chuhai.core.db import GlobalBase


class Product(GlobalBase):
    __tablename__ = "products"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    brand: Mapped[str] = mapped_column(String(100), default="")
    hs_code: Mapped[str] = mapped_column(String(10))
    origin_country: Mapped[str] = mapped_column(String(2))
    weight_g: Mapped[int] = mapped_column(Integer)
    length_mm: Mapped[int | None] = mapped_column(Integer)
    width_mm: Mapped[int | None] = mapped_column(Integer)
    height_mm: Mapped[int | None] = mapped_column(Integer)
    customs_value_minor: Mapped[int] = mapped_column(BigInteger)
    customs_currency: Mapped[str] = mapped_column(String(3))
    certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    images: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                 index=True)  # the search index follows it

    skus: Mapped[list[Sku]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Sku.code",
        lazy="selectin",
    )
    listings: Mapped[list[Listing]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Listing.market",
        lazy="selectin",
    )
    __table_args__ = (UniqueConstraint("org_id", "code"),)


class Sku(GlobalBase):
    __tablename__ = "skus"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    code: Mapped[str] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    weight_g: Mapped[int | None] = mapped_column(Integer)
    barcode: Mapped[str | None] = mapped_column(String(32))
    product: Mapped[Product] = relationship(back_populates="skus")
    __table_args__ = (UniqueConstraint("org_id", "code"),)


class Listing(GlobalBase):
    """A product as shown in one market: its language, its title, its price there."""

    __tablename__ = "listings"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    market: Mapped[str] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    visible: Mapped[bool] = mapped_column(Boolean, default=True)
    product: Mapped[Product] = relationship(back_populates="listings")
    prices: WriteOnlyMapped[ListingPrice] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)
    __table_args__ = (UniqueConstraint("product_id", "market"),)


class ListingPrice(GlobalBase):
    """Every price a listing has had, from when: the EU's Omnibus rule judges a "was" price
    against the lowest price of the 30 days before a reduction (see comms.screening.prices)."""

    __tablename__ = "listing_prices"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"),
                                            index=True)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
