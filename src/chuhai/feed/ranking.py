"""Ranking the feed. Pure: candidates and an optional interest profile in, an order out.

Without an interest profile (no personalization consent, or nothing known yet) the order is
the same for everyone in a market: live before upcoming, then audience, then how soon a room
starts. With one, a room's affinity — how much of what the person looked at or bought falls
in the room's product categories (HS chapters) — is added, so the ranking changes per person
but never hides a room."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

LIVE_BONUS = 3.0
AFFINITY_WEIGHT = 4.0


@dataclass(frozen=True)
class Candidate:
    room_id: str
    status: str  # live | scheduled
    starts_at: dt.datetime
    categories: frozenset[str]
    views: int  # anonymous room views in the market over the last days


@dataclass(frozen=True)
class Ranked:
    room_id: str
    score: float
    reasons: tuple[str, ...]


def interests(weights: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Category → share of the person's attention (sums to 1)."""
    total: dict[str, float] = {}
    for category, w in weights:
        if category and w > 0:
            total[category] = total.get(category, 0.0) + w
    mass = sum(total.values())
    return {c: w / mass for c, w in total.items()} if mass else {}


def rank(candidates: Iterable[Candidate], now: dt.datetime,
         profile: Mapping[str, float] | None = None) -> list[Ranked]:
    out = []
    for c in candidates:
        reasons = []
        score = math.log1p(max(c.views, 0))
        if c.views:
            reasons.append("popular")
        if c.status == "live":
            score += LIVE_BONUS
            reasons.append("live")
        else:
            hours = max((c.starts_at - now).total_seconds() / 3600, 0.0)
            score += 1.0 / (1.0 + hours)
        if profile:
            affinity = sum(profile.get(cat, 0.0) for cat in c.categories)
            if affinity > 0:
                score += AFFINITY_WEIGHT * affinity
                reasons.append("interest")
        out.append(Ranked(c.room_id, round(score, 6), tuple(reasons)))
    out.sort(key=lambda r: (-r.score, r.room_id))
    return out
