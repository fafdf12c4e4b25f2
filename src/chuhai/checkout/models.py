"""Orders and payments, kept in the buyer's regional store (they hold the ship-to address).

What the seller's systems need without personal data — ids, status, amounts — goes out
through the outbox as webhook events; the address stays here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.clock import UTCDateTime, utcnow
from chuhai.core.db import NOT_PERSONAL, PSEUDONYMOUS_ID, RegionalBase, pd


class Order(RegionalBase):
    __tablename__ = "orders"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, info=NOT_PERSONAL)
    region: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    org_id: Mapped[str] = mapped_column(String(40), index=True, info=NOT_PERSONAL)
    buyer_id: Mapped[str] = mapped_column(String(40), index=True, info=PSEUDONYMOUS_ID)
    reservation_id: Mapped[str] = mapped_column(String(40), unique=True, info=NOT_PERSONAL)
    source: Mapped[str] = mapped_column(String(10), info=NOT_PERSONAL)  # drop | auction
    room_id: Mapped[str | None] = mapped_column(String(40), info=NOT_PERSONAL)
    market: Mapped[str] = mapped_column(String(2), info=NOT_PERSONAL)
    currency: Mapped[str] = mapped_column(String(3), info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(16), index=True, info=NOT_PERSONAL)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, info=NOT_PERSONAL)
    subtotal_minor: Mapped[int] = mapped_column(BigInteger, info=NOT_PERSONAL)
    shipping_minor: Mapped[int] = mapped_column(BigInteger, info=NOT_PERSONAL)
    total_minor: Mapped[int] = mapped_column(BigInteger, info=NOT_PERSONAL)
    # The landed-cost quote at checkout: duty, tax and fees collected (in total_minor), and
    # the charges, rule ids and rules version they came from (for audit and refunds).
    duty_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0",
                                            info=NOT_PERSONAL)
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0",
                                           info=NOT_PERSONAL)
    fees_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0",
                                            info=NOT_PERSONAL)
    landed: Mapped[dict[str, Any] | None] = mapped_column(JSON, info=NOT_PERSONAL)
    duties_note: Mapped[str] = mapped_column(String(200), info=NOT_PERSONAL)
    warehouse_id: Mapped[str] = mapped_column(String(40), info=NOT_PERSONAL)
    delivery_min_days: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    delivery_max_days: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    ship_name: Mapped[str] = mapped_column(String(120), info=pd("user.name"))
    ship_street: Mapped[str] = mapped_column(String(200),
                                             info=pd("user.contact.address.street"))
    ship_city: Mapped[str] = mapped_column(String(100), info=pd("user.contact.address.city"))
    ship_postal_code: Mapped[str] = mapped_column(
        String(20), info=pd("user.contact.address.postal_code"))
    ship_country: Mapped[str] = mapped_column(String(2),
                                              info=pd("user.contact.address.country"))
    # The state, province or prefecture where the destination's format has one (JP, US…),
    # and the phone the carrier calls (E.164); empty on older rows.
    ship_region: Mapped[str] = mapped_column(String(100), default="", server_default="",
                                             info=pd("user.contact.address.state"))
    ship_phone: Mapped[str] = mapped_column(String(20), default="", server_default="",
                                            info=pd("user.contact.phone_number"))
    # Where the order came from (analytics/attribution.py): the last touch for everyone
    # (describes the order: NOT personal), and with analytics consent the buyer's own
    # touchpoints in the org's windows — browsing history, erased with the person.
    channel: Mapped[str | None] = mapped_column(String(16), info=NOT_PERSONAL)
    touch: Mapped[dict[str, Any] | None] = mapped_column(JSON, info=NOT_PERSONAL)
    touchpoints: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSON(none_as_null=True), info=pd("user.behavior.browsing_history"))
    tracking: Mapped[str | None] = mapped_column(String(80), info=NOT_PERSONAL)
    # While one payment of the order is being charged: no second charge starts before this
    # (checkout/service.py ``pay``); it lapses on its own if the node dies mid-charge.
    paying_until: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    idempotency_key: Mapped[str] = mapped_column(String(80), info=NOT_PERSONAL)
    # The keyed fingerprint of the checkout body (core/idempotency.py): derived from the
    # address, so declared with it and cleared with it on erasure. None on older rows.
    request_hash: Mapped[str | None] = mapped_column(String(64),
                                                     info=pd("user.contact.address"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info=NOT_PERSONAL)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                 info=NOT_PERSONAL)
    __table_args__ = (UniqueConstraint("buyer_id", "idempotency_key"),)


class OrderLine(RegionalBase):
    """One SKU of an order: its quantity, the unit price it was sold at, and the stock
    reservation that holds its units until payment converts it."""

    __tablename__ = "order_lines"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True, info=NOT_PERSONAL)
    region: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    order_id: Mapped[str] = mapped_column(String(40), index=True,
                                          info={**NOT_PERSONAL, "refs": "orders.id"})
    position: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    sku_id: Mapped[str] = mapped_column(String(40), info=NOT_PERSONAL)
    quantity: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger, info=NOT_PERSONAL)
    reservation_id: Mapped[str] = mapped_column(String(40), unique=True, info=NOT_PERSONAL)


class OrderEvent(RegionalBase):
    """One transition of an order: who moved it, from what to what, when, and why."""

    __tablename__ = "order_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True, info=NOT_PERSONAL)
    region: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    # a reference without a foreign key (orders live in the same regional store, but rows
    # are written in their own transactions): declared so the data walk follows it
    order_id: Mapped[str] = mapped_column(String(40), index=True,
                                          info={**NOT_PERSONAL, "refs": "orders.id"})
    from_status: Mapped[str | None] = mapped_column(String(16), info=NOT_PERSONAL)
    to_status: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    actor_id: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    actor_kind: Mapped[str] = mapped_column(String(10), info=NOT_PERSONAL)
    reason: Mapped[str] = mapped_column(String(200), default="", info=NOT_PERSONAL)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info=NOT_PERSONAL)
    # the rollups read transitions by kind and time (paid, delivered, refunded in an hour)
    __table_args__ = (Index("ix_order_events_status_at", "to_status", "at"),)


class Payment(RegionalBase):
    __tablename__ = "payments"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, info=NOT_PERSONAL)
    region: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    # a reference without a foreign key (orders live in the same regional store, but rows
    # are written in their own transactions): declared so the data walk follows it
    order_id: Mapped[str] = mapped_column(String(40), index=True,
                                          info={**NOT_PERSONAL, "refs": "orders.id"})
    provider: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    provider_ref: Mapped[str] = mapped_column(String(80), default="", info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    amount_minor: Mapped[int] = mapped_column(BigInteger, info=NOT_PERSONAL)
    currency: Mapped[str] = mapped_column(String(3), info=NOT_PERSONAL)
    card_last4: Mapped[str] = mapped_column(String(4), default="",
                                            info=pd("user.financial.credit_card"))
    decline_code: Mapped[str | None] = mapped_column(String(40), info=NOT_PERSONAL)
    action_url: Mapped[str | None] = mapped_column(String(300), info=NOT_PERSONAL)
    idempotency_key: Mapped[str] = mapped_column(String(80), info=NOT_PERSONAL)
    # The keyed fingerprint of the pay body, card number included: declared and cleared
    # like the card's last digits. None on older rows.
    request_hash: Mapped[str | None] = mapped_column(String(64),
                                                     info=pd("user.financial.credit_card"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info=NOT_PERSONAL)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                 info=NOT_PERSONAL)
    __table_args__ = (UniqueConstraint("order_id", "idempotency_key"),)
