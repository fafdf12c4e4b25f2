"""Response bodies of the marketing API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CampaignCountsOut(BaseModel):
    queued: int
    blocked: dict[str, int] = Field(description="Reason (refused, default_opt_in, age_gate, "
                                                "no_account …) → people left out")


class CampaignOut(BaseModel):
    id: str
    markets: list[str]
    title: str
    counts: CampaignCountsOut
    created_at: str | None = Field(description="ISO 8601")
