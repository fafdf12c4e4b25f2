"""A campaign (global: the seller's words, no people) and its queued messages (regional:
which person gets which campaign is personal data, kept in their home region)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.clock import UTCDateTime, utcnow
from chuhai.core.db import NOT_PERSONAL, PSEUDONYMOUS_ID, GlobalBase, RegionalBase


class Campaign(GlobalBase):
    __tablename__ = "marketing_campaigns"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    markets: Mapped[list[str]] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(200), info=NOT_PERSONAL)
    body: Mapped[str] = mapped_column(Text, info=NOT_PERSONAL)
    created_by: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MarketingMessage(RegionalBase):
    """One person's copy, queued for the mail transport (status ``queued``)."""

    __tablename__ = "marketing_messages"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, info=NOT_PERSONAL)
    campaign_id: Mapped[str] = mapped_column(String(40), index=True, info=NOT_PERSONAL)
    org_id: Mapped[str] = mapped_column(String(40), info=NOT_PERSONAL)
    subject_id: Mapped[str] = mapped_column(String(40), index=True, info=PSEUDONYMOUS_ID)
    channel: Mapped[str] = mapped_column(String(12), default="email", info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(12), default="queued", info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                 info=NOT_PERSONAL)
