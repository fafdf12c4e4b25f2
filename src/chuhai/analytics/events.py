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
})
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


def parse_batch(raw: Any) -> list[Event]:
    """A list of ``{"type", "room_id"?, "product_id"?}``; anything else is refused whole, so
    a page bug shows up as an error instead of silently skewed counts."""
    if not isinstance(raw, list):
        raise InvalidInput("events must be a list", code="bad_events")
    if len(raw) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} events per request", code="too_many_events")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise InvalidInput(f"event {i} is not an object", code="bad_events")
        extra = set(item) - {"type", "room_id", "product_id"}
        if extra:  # no free-form properties: nothing personal can ride along
            raise InvalidInput(f"event {i}: unknown fields {sorted(extra)}", code="bad_events")
        kind = item.get("type")
        if kind not in EVENT_TYPES:
            raise InvalidInput(f"event {i}: type must be one of {sorted(EVENT_TYPES)}",
                               code="bad_event_type")
        ids = []
        for key in ("room_id", "product_id"):
            value = item.get(key)
            if value is not None and (not isinstance(value, str) or not _ID.fullmatch(value)):
                raise InvalidInput(f"event {i}: {key} is not an id", code="bad_events")
            ids.append(value)
        if ids == [None, None]:
            raise InvalidInput(f"event {i}: name a room_id or a product_id", code="bad_events")
        out.append(Event(kind, ids[0], ids[1]))
    return out
