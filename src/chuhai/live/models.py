"""Live-room tables. Rooms, run-of-show, non-personal room events, sanctions and polls are
global; chat lines and questions (what a person wrote) live in the author's regional store,
as do follows."""

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
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.clock import UTCDateTime, utcnow
from chuhai.core.db import NOT_PERSONAL, PSEUDONYMOUS_ID, GlobalBase, RegionalBase, pd


class Room(GlobalBase):
    __tablename__ = "rooms"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    titles: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # language → title
    host_ids: Mapped[list[str]] = mapped_column(JSON, default=list, info=PSEUDONYMOUS_ID)
    markets: Mapped[list[str]] = mapped_column(JSON, default=list)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="scheduled", index=True)
    playback_url: Mapped[str | None] = mapped_column(String(500))
    # A material connection the hosts must disclose (paid partnership, gifted products):
    # shown to every viewer and repeated by the hosts during the stream. None: none.
    disclosure: Mapped[str | None] = mapped_column(String(200))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    slow_mode_s: Mapped[int] = mapped_column(Integer, default=0)
    followers_only: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    poll: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The most viewers at once and the seconds watched by all of them, kept from the live
    # counters when the room ends (while live, the counters themselves say).
    peak_viewers: Mapped[int | None] = mapped_column(Integer)
    # How long the room is planned to run (from going live): what a sell-out estimate
    # counts down to. None: not planned (the estimate then covers the next hour, said so).
    planned_minutes: Mapped[int | None] = mapped_column(Integer)
    watch_seconds: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoomSlot(GlobalBase):
    """Run-of-show: the products the host plans to present, in order."""

    __tablename__ = "room_slots"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    planned_minutes: Mapped[int] = mapped_column(Integer)


class RoomEvent(GlobalBase):
    """Non-personal sequenced events (pins, polls, answers, moderation, status) for replay."""

    __tablename__ = "room_events"
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"),
                                         primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RoomSanction(GlobalBase):
    __tablename__ = "room_sanctions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    kind: Mapped[str] = mapped_column(String(8))  # mute | ban
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    by_subject: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoomMessage(RegionalBase):
    """A chat line or a question, in the author's home region."""

    __tablename__ = "room_messages"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, info=NOT_PERSONAL)
    region: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    room_id: Mapped[str] = mapped_column(String(40), index=True, info=NOT_PERSONAL)
    seq: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    kind: Mapped[str] = mapped_column(String(10), info=NOT_PERSONAL)  # chat | question
    author_id: Mapped[str] = mapped_column(String(40), index=True, info=PSEUDONYMOUS_ID)
    author_name: Mapped[str] = mapped_column(String(120), info=pd("user.name"))
    text: Mapped[str] = mapped_column(Text, info=pd("user.content.public"))
    lang: Mapped[str | None] = mapped_column(String(16), info=pd("user.demographic.language"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                 info=NOT_PERSONAL)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, info=NOT_PERSONAL)
    # language → machine translation of ``text`` (derived from it, so as personal as it is)
    translations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict,
                                                         info=pd("user.content.public"))
    answered: Mapped[bool] = mapped_column(Boolean, default=False, info=NOT_PERSONAL)
    __table_args__ = (UniqueConstraint("room_id", "seq"),)


class Follow(RegionalBase):
    """A customer follows a seller (for followers-only chat)."""

    __tablename__ = "follows"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, info=NOT_PERSONAL)
    region: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    customer_id: Mapped[str] = mapped_column(String(40), index=True, info=PSEUDONYMOUS_ID)
    org_id: Mapped[str] = mapped_column(String(40), info=pd("user.behavior"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                 info=NOT_PERSONAL)
    __table_args__ = (UniqueConstraint("customer_id", "org_id"),)
