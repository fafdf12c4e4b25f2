"""Short videos, their product tags, their markets, and the uploads they come from.

Global tables: a video is a seller's catalog content, like a product; it holds no buyer's
personal data (likes and views are counts).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chuhai.core.clock import UTCDateTime, utcnow
from chuhai.core.db import GlobalBase

# processing → ready (or failed); publishing is per market (VideoMarket.state)
STATUSES = ("processing", "ready", "failed")


class Video(GlobalBase):
    __tablename__ = "videos"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="processing", index=True)
    language: Mapped[str] = mapped_column(String(16), default="en")
    auto_captions: Mapped[bool] = mapped_column(Boolean, default=False)  # speech → captions
    # {"en": {"title": …, "description": …}, "de": {…}}: what a buyer reads, per language
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    source_key: Mapped[str] = mapped_column(String(200))  # the original, in private storage
    source_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    rotation: Mapped[int] = mapped_column(Integer, default=0)
    # where the ladder lives: "videos/<id>/<revision>" (a new revision per processing run,
    # so media URLs never change content and can be cached for a year)
    media_prefix: Mapped[str] = mapped_column(String(200), default="")
    renditions: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    strip_frames: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(120))  # "host:pid" of the worker
    likes: Mapped[int] = mapped_column(Integer, default=0)
    views: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    tags: Mapped[list[VideoTag]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="VideoTag.start_s",
        lazy="selectin")
    markets: Mapped[list[VideoMarket]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="VideoMarket.market",
        lazy="selectin")
    captions: Mapped[list[VideoCaption]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="VideoCaption.lang",
        lazy="selectin")


class VideoTag(GlobalBase):
    """A product shown from ``start_s`` to ``end_s``: its card appears then."""

    __tablename__ = "video_tags"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"),
                                          index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    video: Mapped[Video] = relationship(back_populates="tags")


class VideoMarket(GlobalBase):
    """A market the seller chose: ``ready`` (chosen, not shown), ``published`` (shown to
    its buyers) or ``held`` (screening stopped it — issue 23)."""

    __tablename__ = "video_markets"
    __table_args__ = (UniqueConstraint("video_id", "market"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"))
    market: Mapped[str] = mapped_column(String(2), index=True)
    state: Mapped[str] = mapped_column(String(12), default="ready")
    findings: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    video: Mapped[Video] = relationship(back_populates="markets")


class VideoCaption(GlobalBase):
    __tablename__ = "video_captions"
    __table_args__ = (UniqueConstraint("video_id", "lang"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(12), default="upload")  # upload|asr|translation
    key: Mapped[str] = mapped_column(String(200))
    cues: Mapped[int] = mapped_column(Integer, default=0)
    # a translation: the language it was made from, and whether that one was corrected
    # since and no translator could carry the correction over yet
    from_lang: Mapped[str | None] = mapped_column(String(16))
    stale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    video: Mapped[Video] = relationship(back_populates="captions")


class VideoUpload(GlobalBase):
    """A resumable upload in progress: bytes land in ``<data dir>/uploads/<id>.part``."""

    __tablename__ = "video_uploads"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    filename: Mapped[str] = mapped_column(String(200), default="")
    video_id: Mapped[str | None] = mapped_column(String(40))  # set once it became a video
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    meta: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
