"""Restricted and prohibited goods per market: ``rules/restricted/*.toml``.

A rule matches an item by HS prefix or by a product tag the seller sets (``lithium_battery``,
``cosmetic`` …). ``refuse`` means chuhai will not sell it into that market; ``warn`` means it
may be sold but needs a licence, a registration or a carrier's consent, which the message
names. Listings show the flags; checkout refuses or warns.
"""

from __future__ import annotations

import tomllib
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from chuhai.markets.profiles import CountryCode

TAGS = frozenset({
    "lithium_battery", "battery_in_equipment", "cosmetic", "food", "supplement", "vape",
    "knife", "aerosol", "flammable", "plant_seed", "wood_untreated", "radio_equipment", "drone",
    "medicine", "alcohol", "tobacco", "weapon_replica", "cultural_relic", "counterfeit"})


class Restriction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Z]{2}\.restricted\.[a-z0-9_]+$")
    markets: list[CountryCode] = Field(min_length=1)
    hs_prefixes: list[str] = []
    tags: list[str] = []
    action: Literal["refuse", "warn"]
    message: str = Field(min_length=10, max_length=400)
    requirement: str = ""
    effective_from: date
    effective_to: date | None = None
    source: list[HttpUrl] = Field(min_length=1)
    confidence: Literal["primary", "secondary", "unverified"]
    last_reviewed: date
    note: str = ""

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None
                                               or day <= self.effective_to)

    def matches(self, hs_code: str, tags: tuple[str, ...] | frozenset[str]) -> bool:
        return (any(hs_code.startswith(p) for p in self.hs_prefixes)
                or any(t in tags for t in self.tags))

    def as_flag(self) -> dict[str, str]:
        return {"rule": self.id, "action": self.action, "message": self.message,
                "requirement": self.requirement, "source": str(self.source[0])}


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: list[Restriction] = []


def parse_restrictions(text: str, name: str = "<text>") -> list[Restriction]:
    try:
        rules = _File.model_validate(tomllib.loads(text)).rule
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ValueError(f"{name}: {exc}") from exc
    problems = []
    for r in rules:
        unknown = set(r.tags) - TAGS
        if unknown:
            problems.append(f"{r.id}: unknown tag(s) {sorted(unknown)}")
        if not r.hs_prefixes and not r.tags:
            problems.append(f"{r.id}: needs hs_prefixes or tags")
        if any(not (p.isdigit() and 2 <= len(p) <= 10) for p in r.hs_prefixes):
            problems.append(f"{r.id}: hs_prefixes must be 2–10 digits")
    ids = [r.id for r in rules]
    problems += [f"{i}: duplicate id" for i in sorted({i for i in ids if ids.count(i) > 1})]
    if problems:
        raise ValueError(f"{name}: " + "; ".join(problems))
    return rules


def flags(rules: list[Restriction], market: str, day: date, hs_code: str,
          tags: tuple[str, ...] | frozenset[str]) -> list[Restriction]:
    """The rules that hold for one item sold into ``market`` on ``day``, refusals first."""
    found = [r for r in rules if market in r.markets and r.in_force(day)
             and r.matches(hs_code, tags)]
    return sorted(found, key=lambda r: (r.action != "refuse", r.id))
