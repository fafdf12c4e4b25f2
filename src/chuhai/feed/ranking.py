"""Ranking the feed. Pure: candidates and what is known of the viewer in, an order out.

Two modes. **Common** (the non-profiling feed: a buyer's choice, everyone without
personalization consent, the cold start): the same order for everyone in a market — live
rooms first, then what the market engages with (decayed over days), then the new and the
soon-starting; a little exploration lifts items few have seen yet, drawn from a seed that
belongs to the market and the hour, never to a person. **Personal**: the same score plus
what the viewer's own trail says — sellers they follow, items a collaborative model finds
near their history, items whose words are near what they watched (content embeddings),
the product categories they look at — and items they already finished are left out.
Either way no seller appears twice in a row when another can come between, and
personalization reorders but never hides an item it did not finish.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

LIVE_BONUS = 3.0
AFFINITY_WEIGHT = 4.0
FOLLOW_BONUS = 2.5
COLLAB_WEIGHT = 3.0
CONTENT_WEIGHT = 2.0
NEW_BONUS = 1.0
NEW_DAYS = 7.0
EXPLORE_WEIGHT = 1.0
EXPLORE_UNTIL = 200  # impressions after which an item is known well enough
SIMILAR_AT = 0.15  # a model or content score from which "similar" is a reason worth saying
NEW_SLOT_EVERY = 4  # the 4th, 8th, 12th … place goes to a new item


@dataclass(frozen=True)
class Candidate:
    item_id: str
    status: str  # live | scheduled (rooms); published (videos, products)
    starts_at: dt.datetime  # a room's start; when a video or product was published
    categories: frozenset[str] = frozenset()  # HS chapters of its products
    views: float = 0.0  # anonymous engagement in the market, decayed over days
    kind: str = "room"  # room | video | product
    seller: str = ""
    impressions: int = 0  # how often it was shown (anonymous counts)
    clicks: int = 0  # how often it was opened or its card tapped


@dataclass(frozen=True)
class Viewer:
    """What the viewer's own trail says (personal mode only)."""

    categories: Mapping[str, float] = field(default_factory=dict)  # shares, sum 1
    followed: frozenset[str] = frozenset()  # sellers
    collab: Mapping[str, float] = field(default_factory=dict)  # item → model score 0..1
    content: Mapping[str, float] = field(default_factory=dict)  # item → cosine 0..1
    finished: frozenset[str] = frozenset()  # items watched to the end


@dataclass(frozen=True)
class Ranked:
    item_id: str
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


def decayed(counts: Iterable[tuple[dt.date, float]], today: dt.date,
            half_life_days: float = 3.0) -> float:
    """Engagement counted per day, each day's worth halving every ``half_life_days``."""
    return float(sum(n * 0.5 ** (max((today - day).days, 0) / half_life_days)
                     for day, n in counts))


def explore_seed(market: str, now: dt.datetime) -> int:
    """The market's exploration seed for this hour: the same for every viewer."""
    return zlib.crc32(f"{market}:{now:%Y%m%d%H}".encode())


def exploration(c: Candidate, seed: int) -> float:
    """Thompson sampling on early engagement: a draw from the item's click-through
    posterior (Beta(1 + clicks, 1 + misses)), weighted down as impressions accumulate,
    so a new seller's item gets seen and keeps its place only if people open it. The draw
    depends on the seed and the item alone, so every viewer of the market gets the same."""
    if c.impressions >= EXPLORE_UNTIL:
        return 0.0
    misses = max(c.impressions - c.clicks, 0)
    rng = random.Random(seed ^ zlib.crc32(c.item_id.encode()))
    draw = rng.betavariate(1 + max(c.clicks, 0), 1 + misses)
    return EXPLORE_WEIGHT * draw * (1 - c.impressions / EXPLORE_UNTIL)


def score(c: Candidate, now: dt.datetime, viewer: Viewer | None,
          seed: int | None = None) -> Ranked:
    reasons = []
    s = math.log1p(max(c.views, 0.0))
    if c.views >= 1:
        reasons.append("popular")
    if c.status == "live":
        s += LIVE_BONUS
        reasons.append("live")
    elif c.status == "scheduled":
        hours = max((c.starts_at - now).total_seconds() / 3600, 0.0)
        s += 1.0 / (1.0 + hours)
    else:
        age = max((now - c.starts_at).total_seconds() / 86400, 0.0)
        if age < NEW_DAYS:
            s += NEW_BONUS * (1 - age / NEW_DAYS)
            reasons.append("new")
    if seed is not None:
        s += exploration(c, seed)
    if viewer is not None:
        if c.seller and c.seller in viewer.followed:
            s += FOLLOW_BONUS
            reasons.append("followed")
        cf = viewer.collab.get(c.item_id, 0.0)
        if cf > 0:
            s += COLLAB_WEIGHT * cf
        near = viewer.content.get(c.item_id, 0.0)
        if near > 0:
            s += CONTENT_WEIGHT * near
        if max(cf, near) >= SIMILAR_AT:
            reasons.append("similar")
        affinity = sum(viewer.categories.get(cat, 0.0) for cat in c.categories)
        if affinity > 0:
            s += AFFINITY_WEIGHT * affinity
            reasons.append("interest")
    return Ranked(c.item_id, round(s, 6), tuple(reasons))


def rank(candidates: Iterable[Candidate], now: dt.datetime,
         profile: Mapping[str, float] | None = None, *, viewer: Viewer | None = None,
         seed: int | None = None) -> list[Ranked]:
    """The order, best first. ``profile`` alone (category shares) is the simplest viewer;
    ``seed`` turns exploration on (the market's seed, so the order stays common)."""
    if viewer is None and profile:
        viewer = Viewer(categories=profile)
    pool = list(candidates)
    if viewer is not None and viewer.finished:
        pool = [c for c in pool if c.item_id not in viewer.finished]
    out = [score(c, now, viewer, seed) for c in pool]
    out.sort(key=lambda r: (-r.score, r.item_id))
    return out


def is_new(c: Candidate, now: dt.datetime) -> bool:
    """Published in the last days and not yet shown enough to know how it does."""
    return (c.status == "published" and c.impressions < EXPLORE_UNTIL
            and (now - c.starts_at).total_seconds() < NEW_DAYS * 86400)


def with_new_slots(ranked: Sequence[Ranked], new: set[str], every: int = NEW_SLOT_EVERY
                   ) -> list[Ranked]:
    """Every ``every``-th place goes to the best-ranked new item not placed yet: however
    far the established items' engagement puts them ahead, a new item (a new seller's)
    reaches the first pages — the one the viewer's taste ranks highest among the new."""
    fresh = [r for r in ranked if r.item_id in new]
    rest = [r for r in ranked if r.item_id not in new]
    out: list[Ranked] = []
    while fresh or rest:
        if fresh and (len(out) % every == every - 1 or not rest):
            out.append(fresh.pop(0))
        else:
            out.append(rest.pop(0))
    return out


def diversify(ranked: Sequence[Ranked], seller_of: Mapping[str, str],
              lookahead: int = 20) -> list[Ranked]:
    """No seller twice in a row when another item (within ``lookahead``) can come between;
    otherwise the order is kept."""
    rest = list(ranked)
    out: list[Ranked] = []
    while rest:
        last = seller_of.get(out[-1].item_id, "") if out else None
        pick = 0
        if last:
            pick = next((i for i, r in enumerate(rest[:lookahead])
                         if seller_of.get(r.item_id, "") != last), 0)
        out.append(rest.pop(pick))
    return out
