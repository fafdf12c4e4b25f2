"""Where an order came from. Pure: no I/O.

Every order carries its **last touch**: the surface the buyer's path into checkout began on
(the feed, a video, a live room, search, the storefront, an outside link with UTM
parameters, or nothing at all: direct). Pages pass it along the path themselves — a link
carries ``via=…``, the cart add carries the touch, the cart hands it to the order — so it
needs no profile and no consent: it describes the order, not the person.

With analytics consent the order also keeps its **touchpoints**: the buyer's own engagement
events inside the org's windows (clicks 7 days, views 1 day by default), ending with the last
touch. Credit is computed when read, so an order can be re-credited under another model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from chuhai.core.errors import InvalidInput

Channel = Literal["feed", "video", "live", "search", "browse", "external", "direct"]
CHANNELS: tuple[str, ...] = ("feed", "video", "live", "search", "browse", "external", "direct")
# The model's claim is about these groups: interest (the feed, video, live) against search
# (search and the storefront's own browsing) against everything that came from outside.
GROUP_OF: dict[str, str] = {
    "feed": "interest", "video": "interest", "live": "interest",
    "search": "search", "browse": "search",
    "external": "direct", "direct": "direct",
}
GROUPS: tuple[str, ...] = ("interest", "search", "direct")
MODELS: tuple[str, ...] = ("last_touch", "first_touch", "linear", "position")
UTM_KEYS: tuple[str, ...] = ("utm_source", "utm_medium", "utm_campaign")
MAX_UTM = 100
DEFAULT_CLICK_DAYS = 7
DEFAULT_VIEW_DAYS = 1
MAX_WINDOW_DAYS = 90
_ID = re.compile(r"^[a-z]{2,5}_[A-Za-z0-9_-]{4,34}$")
# Campaign names, not people: no "@", so an e-mail address cannot ride in on a link and be
# kept with an order (which is not erased with a person).
_UTM = re.compile(r"^[\w .:/+-]{1,100}$")

# Which engagement events are touchpoints, on which surface, and whether a click or a view.
EVENT_TOUCH: dict[str, tuple[str, str]] = {
    "feed.click": ("feed", "click"),
    "feed.impression": ("feed", "view"),
    "video.view": ("video", "view"),
    "video.complete": ("video", "view"),
    "video.like": ("video", "click"),
    "video.share": ("video", "click"),
    "room.view": ("live", "view"),
    "search.click": ("search", "click"),
}


@dataclass(frozen=True)
class Touch:
    """How the buyer came: a channel, the item that brought them (a feed item, a video, a
    room) and, for an outside link, its UTM parameters."""

    channel: str
    item_id: str | None = None
    utm: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"channel": self.channel}
        if self.item_id:
            out["item_id"] = self.item_id
        if self.utm:
            out["utm"] = dict(self.utm)
        return out


DIRECT = Touch("direct")


def parse_touch(raw: Any) -> Touch | None:
    """A touch a page sent (``{"channel", "item_id"?, "utm"?}``), checked; None when absent.
    Anything else is refused whole with ``bad_touch`` so a page bug shows as an error."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) - {"channel", "item_id", "utm"}:
        raise InvalidInput("touch must be {channel, item_id?, utm?}", code="bad_touch")
    channel = raw.get("channel")
    if channel not in CHANNELS:
        raise InvalidInput(f"touch.channel must be one of {list(CHANNELS)}", code="bad_touch")
    item = raw.get("item_id")
    if item is not None and (not isinstance(item, str) or not _ID.fullmatch(item)):
        raise InvalidInput("touch.item_id is not an id", code="bad_touch")
    utm = raw.get("utm") or {}
    if not isinstance(utm, Mapping) or set(utm) - set(UTM_KEYS):
        raise InvalidInput(f"touch.utm may hold {list(UTM_KEYS)} only", code="bad_touch")
    for key, value in utm.items():
        if not isinstance(value, str) or not _UTM.fullmatch(value):
            raise InvalidInput(f"touch.utm.{key} must be 1-{MAX_UTM} plain characters",
                               code="bad_touch")
    if utm and channel != "external":
        raise InvalidInput("UTM parameters belong to an external touch", code="bad_touch")
    return Touch(channel, item, dict(utm))


def touch_from_link(params: Mapping[str, str], surface: str | None = None,
                    item_id: str | None = None) -> Touch:
    """The touch a page was opened with. A ``via`` from one of our own links wins (the path
    began there); then UTM parameters of an outside link; then the page's own surface (a
    video's player is the ``video`` surface); else the buyer came direct. Lenient: a link
    is typed by people, so a malformed part is dropped, never an error."""
    via = params.get("via", "")
    via_item = params.get("via_item", "")
    if via in CHANNELS and via not in ("external", "direct"):
        return Touch(via, via_item if _ID.fullmatch(via_item) else None)
    utm = {k: params[k][:MAX_UTM] for k in UTM_KEYS
           if params.get(k) and _UTM.fullmatch(params[k][:MAX_UTM])}
    if utm:
        return Touch("external", None, utm)
    if surface in CHANNELS:
        return Touch(surface, item_id if item_id and _ID.fullmatch(item_id) else None)
    return DIRECT


@dataclass(frozen=True)
class Touchpoint:
    channel: str
    kind: str  # click | view
    at: datetime

    def as_dict(self) -> dict[str, str]:
        return {"channel": self.channel, "kind": self.kind, "at": self.at.isoformat()}


def touchpoints(events: Iterable[tuple[str, datetime]], last: Touch, at: datetime, *,
                click_days: int = DEFAULT_CLICK_DAYS, view_days: int = DEFAULT_VIEW_DAYS
                ) -> list[Touchpoint]:
    """The buyer's engagement events (type, time) that fall in the windows before ``at``,
    oldest first, closed by the last touch itself (a click at ``at``)."""
    out = []
    for kind, when in events:
        found = EVENT_TOUCH.get(kind)
        if found is None or when > at:
            continue
        window = timedelta(days=click_days if found[1] == "click" else view_days)
        if at - when <= window:
            out.append(Touchpoint(found[0], found[1], when))
    out.sort(key=lambda t: t.at)
    out.append(Touchpoint(last.channel, "click", at))
    return out


def credit(path: Sequence[str], model: str) -> dict[str, float]:
    """Each channel's share of one order under ``model``; shares sum to 1.

    ``position`` is the 40/20/40 U-shape: the first and the last touch 40 % each, the rest
    shared evenly among the middle (with two touches, 50/50)."""
    if model not in MODELS:
        raise InvalidInput(f"model must be one of {list(MODELS)}", code="bad_model")
    if not path:
        return {}
    shares: dict[str, float] = {}

    def add(channel: str, share: float) -> None:
        shares[channel] = shares.get(channel, 0.0) + share

    n = len(path)
    if model == "last_touch" or n == 1:
        add(path[-1], 1.0)
    elif model == "first_touch":
        add(path[0], 1.0)
    elif model == "linear":
        for c in path:
            add(c, 1.0 / n)
    elif n == 2:
        add(path[0], 0.5)
        add(path[1], 0.5)
    else:
        add(path[0], 0.4)
        add(path[-1], 0.4)
        for c in path[1:-1]:
            add(c, 0.2 / (n - 2))
    return shares


def check_windows(click_days: Any, view_days: Any) -> tuple[int, int]:
    """An org's attribution windows: whole days, 1 to 90, views no longer than clicks."""
    for name, value in (("click_days", click_days), ("view_days", view_days)):
        if isinstance(value, bool) or not isinstance(value, int) or not (
                1 <= value <= MAX_WINDOW_DAYS):
            raise InvalidInput(f"{name} must be a whole number of days, 1 to "
                               f"{MAX_WINDOW_DAYS}", code="bad_window")
    if view_days > click_days:
        raise InvalidInput("the view window cannot be longer than the click window",
                           code="bad_window")
    return int(click_days), int(view_days)
