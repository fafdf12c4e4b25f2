"""Room request/response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from chuhai.core.text import SafeModel
from chuhai.markets.profiles import get_profile

# An absolute http(s) URL or a path on this server (e.g. /media/live/…/index.m3u8).
MediaUrl = Annotated[str, Field(max_length=500, pattern=r"^(https?://|/)\S+$")]


class SlotIn(SafeModel):
    product_id: str = Field(max_length=40)
    planned_minutes: int = Field(ge=1, le=240)


class RoomIn(SafeModel):
    titles: dict[Annotated[str, Field(min_length=2, max_length=16)],
                 Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=20, description="Title per language, e.g. {'en': …, 'de': …}")
    host_ids: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list,
                                                                 max_length=5)
    markets: list[str] = Field(min_length=1, max_length=30)
    scheduled_at: AwareDatetime
    playback_url: MediaUrl | None = None
    disclosure: str | None = Field(
        None, min_length=3, max_length=200,
        description="A paid partnership or gifted products, e.g. 'Paid partnership with "
                    "SonicWave': shown to viewers, and hosts are reminded to repeat it.")
    run_of_show: list[SlotIn] = Field(default_factory=list, max_length=100)
    planned_minutes: int | None = Field(
        None, ge=1, le=720, description="How long the room is planned to run once live; by "
        "default the run of show's minutes added up (none without one). A pinned product's "
        "sell-out estimate counts down to this end.")

    @field_validator("markets")
    @classmethod
    def _markets(cls, value: list[str]) -> list[str]:
        out = []
        for m in value:
            m = m.strip().upper()
            if get_profile(m) is None:
                raise ValueError(f"{m!r} is not a market chuhai has a profile for")
            if m not in out:
                out.append(m)
        return out


class RoomPatch(SafeModel):
    titles: dict[Annotated[str, Field(min_length=2, max_length=16)],
                 Annotated[str, Field(min_length=1, max_length=200)]] | None = None
    playback_url: MediaUrl | None = None
    recording_url: MediaUrl | None = None
    scheduled_at: AwareDatetime | None = None
    disclosure: str | None = Field(None, min_length=3, max_length=200)
    planned_minutes: int | None = Field(None, ge=1, le=720)


class SlotOut(BaseModel):
    product_id: str
    planned_minutes: int
    position: int


class RoomOut(BaseModel):
    id: str
    titles: dict[str, str]
    host_ids: list[str]
    markets: list[str]
    scheduled_at: datetime
    status: str
    playback_url: str | None
    recording_url: str | None
    disclosure: str | None = None
    started_at: datetime | None
    ended_at: datetime | None
    planned_minutes: int | None = None
    run_of_show: list[SlotOut]
    viewer_url: str
    host_url: str


class ReplayOut(BaseModel):
    room: RoomOut
    chapters: list[dict[str, Any]]
    chat: list[dict[str, Any]]


class FollowOut(BaseModel):
    following: bool = Field(description="Whether you now follow the room's seller")
