"""The search index: one row per visible listing, with its terms as tokens (search/text.py)
and what a result and its facets show without another query. SQLite keeps the tokens in an
FTS5 table kept in step by triggers; PostgreSQL in a generated ``tsvector`` with a GIN index
(migration 0011_global)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.clock import UTCDateTime, utcnow
from chuhai.core.db import GlobalBase


class SearchDocument(GlobalBase):
    __tablename__ = "search_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), unique=True)
    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[str] = mapped_column(String(40))
    market: Mapped[str] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    image: Mapped[str] = mapped_column(String(500), default="")
    hs_chapter: Mapped[str] = mapped_column(String(2))
    landed_minor: Mapped[int] = mapped_column(BigInteger)  # what the buyer pays, delivered
    currency: Mapped[str] = mapped_column(String(3))
    popularity: Mapped[int] = mapped_column(Integer, default=0)  # units sold
    title_tokens: Mapped[str] = mapped_column(Text)
    body_tokens: Mapped[str] = mapped_column(Text)
    words: Mapped[str] = mapped_column(Text, default="")  # the vocabulary typos go to
    source_updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (Index("ix_search_documents_popular", "market", "popularity"),)
