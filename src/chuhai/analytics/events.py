"""The engagement events a page may send, checked before anything is stored. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chuhai.core.errors import InvalidInput

EVENT_TYPES: frozenset[str] = frozenset({
    "room.view", "product.view", "product.click", "feed.impression", "feed.click",
    "search.click",  # a result opened from a search: what attribution credits to search
    # the feed's engagement: an impression is at least half the item on screen; a video
    # view is 3 s or more of it, complete is watched to the end; cart.add from a card
    "video.view", "video.complete", "video.like", "video.share", "cart.add",
})
ID_KEYS = ("room_id", "product_id", "video_id")
# Recorded by the server itself, never sent by a page: a search (with its query text).
SERVER_TYPES: frozenset[str] = frozenset({"search"})
MAX_BATCH = 50
ID_PATTERN = r"^[a-z]{2,5}_[A-Za-z0-9_-]{4,34}$"
_ID = re.compile(ID_PATTERN)


@dataclass(frozen=True)
class Event:
    type: str
    room_id: str | None
    product_id: str | None
    query: str | None = None  # a search's text (server-recorded ``search`` events only)
    video_id: str | None = None

    @property
    def item_id(self) -> str | None:
        """The feed item it is about: the video, else the room, else the product."""
        return self.video_id or self.room_id or self.product_id


def parse_batch(raw: Any) -> list[Event]:
    """A list of ``{"type", "room_id"?, "product_id"?, "video_id"?}``; anything else is
    refused whole, so a page bug shows up as an error instead of silently skewed counts."""
    if not isinstance(raw, list):
        raise InvalidInput("events must be a list", code="bad_events")
    if len(raw) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} events per request", code="too_many_events")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise InvalidInput(f"event {i} is not an object", code="bad_events")
        extra = set(item) - {"type", *ID_KEYS}
        if extra:  # no free-form properties: nothing personal can ride along
            raise InvalidInput(f"event {i}: unknown fields {sorted(extra)}", code="bad_events")
        kind = item.get("type")
        if kind not in EVENT_TYPES:
            raise InvalidInput(f"event {i}: type must be one of {sorted(EVENT_TYPES)}",
                               code="bad_event_type")
        ids = []
        for key in ID_KEYS:
            value = item.get(key)
            if value is not None and (not isinstance(value, str) or not _ID.fullmatch(value)):
                raise InvalidInput(f"event {i}: {key} is not an id", code="bad_events")
            ids.append(value)
        if ids == [None, None, None]:
            raise InvalidInput(f"event {i}: name a room_id, a product_id or a video_id",
                               code="bad_events")
        out.append(Event(kind, ids[0], ids[1], video_id=ids[2]))
    return out
