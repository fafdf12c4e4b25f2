"""The audit log (global store: it names people only by pseudonymous ids, never by value)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.clock import UTCDateTime
from chuhai.core.db import PSEUDONYMOUS_ID, GlobalBase


class AuditEntry(GlobalBase):
    """One audited act. ``hash`` covers every field and the previous entry's hash, so an
    edited, removed or reordered entry breaks the chain (privacy.audit.verify)."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    org_id: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(40), default="", info=PSEUDONYMOUS_ID)
    region: Mapped[str] = mapped_column(String(16), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(GlobalBase):
    """The chain's head (one row): appenders lock it, so entries are numbered without gaps
    even with several nodes writing; a truncated tail no longer matches it."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))
