"""Response body of ``GET /api/feed``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FeedItemOut(BaseModel):
    room_id: str
    status: str
    title: str = Field(description="In the language asked for, else the room's first title")
    starts_at: str = Field(description="When it started, else when it is scheduled (ISO 8601)")
    score: float
    reasons: list[str] = Field(description="popular | live | interest")


class FeedOut(BaseModel):
    market: str
    personalized: bool = Field(description="Whether your own history shaped the order")
    signals: int = Field(description="How many of your events and purchases shaped it")
    items: list[FeedItemOut]
