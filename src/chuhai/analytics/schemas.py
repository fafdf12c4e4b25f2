"""Bodies of ``POST /api/events``.

The request is parsed by hand (``events.parse_batch``: a page bug is refused whole, with its
own codes); ``EventsIn`` documents that body from the same constants and is not used to
validate it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from chuhai.analytics.events import EVENT_TYPES, ID_PATTERN, MAX_BATCH

_Id = Annotated[str, Field(pattern=ID_PATTERN)] | None


class EventIn(BaseModel):
    type: str = Field(json_schema_extra={"enum": [t for t in sorted(EVENT_TYPES)]})
    room_id: _Id = Field(None, description="A room_id or a product_id, or both")
    product_id: _Id = None


class EventsIn(BaseModel):
    events: list[EventIn] = Field(max_length=MAX_BATCH)
    market: str | None = Field(None, description="The market browsed (guests); customers "
                                                 "count in their home country")


class EventsOut(BaseModel):
    accepted: int
    mode: str = Field(description="full: kept with your id (analytics consent) | "
                                  "anonymous: counted only")
