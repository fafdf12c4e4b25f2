"""An org's own glossary and translation memory (org content, not personal data: global)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.clock import UTCDateTime, utcnow
from chuhai.core.db import GlobalBase


class GlossaryTerm(GlobalBase):
    """``target`` empty: do-not-translate (brand and product names); otherwise the enforced
    translation of ``source`` into ``target_lang``."""

    __tablename__ = "glossary_terms"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(120))
    source_lang: Mapped[str | None] = mapped_column(String(16))
    target_lang: Mapped[str | None] = mapped_column(String(16))
    target: Mapped[str | None] = mapped_column(String(200))
    case_sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("org_id", "source", "source_lang", "target_lang"),)


class MemoryEntry(GlobalBase):
    """A reviewed translation of one segment, reused exactly or by a close match."""

    __tablename__ = "translation_memory"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    source_lang: Mapped[str] = mapped_column(String(16))
    target_lang: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
