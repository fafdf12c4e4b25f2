"""Restock lanes: how long stock takes by sea from a seller's origin to an overseas
warehouse's country, as data (``rules/freight/restock_lanes.toml``), each with its sources
and dates like every fact in the rules.

Why a default at all: a new seller's warehouse has no restock lead time of its own, and a
reorder suggestion that only says "set the lead time" helps no one on day one. The lane's
upper end is used — planning on the typical worst keeps the shelf stocked — plus, for a
port-to-port figure, the sourced allowance for customs and haulage (its upper end too), and
the answer names the lane and its basis, so the seller sees what it rests on and can set
their own figure, which always wins.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

BASES = ("door-to-door", "port-to-port")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Lane:
    id: str
    origin: str
    to: tuple[str, ...]
    mode: str
    basis: str  # door-to-door, or port-to-port (customs and inland haulage on top)
    days: tuple[int, int]  # the range the sources give
    effective_from: date
    source: tuple[str, ...]
    confidence: str
    last_reviewed: date
    note: str
    allowance: tuple[int, int] = (0, 0)  # port-to-port: customs and haulage on top

    @property
    def plan_days(self) -> int:
        """The days a reorder plans on: the range's upper end, door to door."""
        return self.days[1] + self.allowance[1]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "from": self.origin, "mode": self.mode, "basis": self.basis,
                "days": list(self.days), "allowance_days": list(self.allowance),
                "plan_days": self.plan_days, "source": list(self.source),
                "confidence": self.confidence, "as_of": self.effective_from.isoformat(),
                "note": self.note}


def parse(text: str) -> tuple[Lane, ...]:
    """The lanes of a lane file; ``ValueError`` naming the lane for anything unsound."""
    data = tomllib.loads(text)
    extra = data.get("port_to_port_allowance", {})
    allowance = extra.get("days", [0, 0])
    if not (isinstance(allowance, list) and len(allowance) == 2
            and all(isinstance(d, int) and not isinstance(d, bool) for d in allowance)
            and 0 <= allowance[0] <= allowance[1] <= 60) or (extra and not extra.get("source")):
        raise ValueError("port_to_port_allowance: days [low, high], 0 to 60, with a source")
    out: list[Lane] = []
    seen: set[tuple[str, str, str]] = set()
    for raw in data.get("lanes", []):
        lid = str(raw.get("id", "?"))
        days = raw.get("days")
        if not (isinstance(days, list) and len(days) == 2
                and all(isinstance(d, int) and not isinstance(d, bool) for d in days)
                and 0 < days[0] <= days[1] <= 365):
            raise ValueError(f"{lid}: days must be [low, high], 1 to 365")
        if raw.get("basis") not in BASES:
            raise ValueError(f"{lid}: basis must be one of {', '.join(BASES)}")
        countries = [raw.get("from"), *raw.get("to", [])]
        if len(countries) < 2 or not all(isinstance(c, str) and _COUNTRY.match(c)
                                         for c in countries):
            raise ValueError(f"{lid}: from and to are ISO country codes")
        if not raw.get("source") or not isinstance(raw.get("last_reviewed"), date) or \
                not isinstance(raw.get("effective_from"), date):
            raise ValueError(f"{lid}: every lane has a source, an effective_from and a "
                             "last_reviewed date")
        for to in raw["to"]:
            key = (raw["from"], to, str(raw.get("mode", "")))
            if key in seen:
                raise ValueError(f"{lid}: {key[0]}->{to} by {key[2]} is given twice")
            seen.add(key)
        out.append(Lane(lid, raw["from"], tuple(raw["to"]), str(raw.get("mode", "")),
                        raw["basis"], (days[0], days[1]), raw["effective_from"],
                        tuple(str(s) for s in raw["source"]),
                        str(raw.get("confidence", "unverified")), raw["last_reviewed"],
                        str(raw.get("note", "")),
                        (allowance[0], allowance[1]) if raw["basis"] == "port-to-port"
                        else (0, 0)))
    return tuple(out)


@cache
def lanes() -> tuple[Lane, ...]:
    path = resources.files("chuhai") / "rules" / "freight" / "restock_lanes.toml"
    return parse(path.read_text("utf-8"))


def default_lane(origins: Iterable[str], to: str,
                 known: tuple[Lane, ...] | None = None) -> Lane | None:
    """The quickest sourced lane from any of the seller's ``origins`` to country ``to``
    (the seller restocks from the nearest origin); None when no lane is known."""
    found = [lane for lane in (lanes() if known is None else known)
             if lane.origin in set(origins) and to in lane.to]
    return min(found, key=lambda lane: (lane.plan_days, lane.id), default=None)
