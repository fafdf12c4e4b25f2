"""One page of the feed from a market's snapshot: the two stages, in memory.

Stage one gathers a few hundred candidates from cheap sources — everything live, the
market's most engaged items, the newest, the followed sellers' items, and (personal mode)
the collaborative model's and the content space's nearest items to the viewer's trail.
Stage two scores them (``ranking.rank``) and spaces the sellers out (``ranking.diversify``).
Nothing here touches a database: the service builds the snapshot (cached per market) and
reads the viewer's trail; the benchmark drives the same function at 100,000 items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from chuhai.feed import model as feed_model
from chuhai.feed.ranking import (
    Candidate,
    Ranked,
    Viewer,
    diversify,
    explore_seed,
    is_new,
    rank,
    with_new_slots,
)

POOL = 300  # candidates per source


@dataclass
class Snapshot:
    """A market's items at a moment, with the orders stage one reads from."""

    market: str
    items: dict[str, Candidate]
    popular: list[str] = field(default_factory=list)  # most engaged first
    newest: list[str] = field(default_factory=list)
    live: list[str] = field(default_factory=list)
    by_seller: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, market: str, items: list[Candidate]) -> Snapshot:
        by_id = {c.item_id: c for c in items}
        sellers: dict[str, list[str]] = {}
        for c in sorted(items, key=lambda c: c.starts_at, reverse=True):
            sellers.setdefault(c.seller, []).append(c.item_id)
        return cls(market, by_id,
                   popular=[c.item_id for c in sorted(items, key=lambda c: (-c.views,
                                                                           c.item_id))],
                   newest=[c.item_id for c in sorted(items, key=lambda c: c.starts_at,
                                                     reverse=True)
                           if c.status != "scheduled"],
                   live=[c.item_id for c in items if c.status == "live"],
                   by_seller=sellers)


@dataclass(frozen=True)
class Trail:
    """What the viewer's own (consented) trail says."""

    history: Mapping[str, float] = field(default_factory=dict)  # item → weight
    categories: Mapping[str, float] = field(default_factory=dict)
    followed: frozenset[str] = frozenset()
    finished: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Page:
    items: list[Ranked]
    more: bool
    sources: tuple[str, ...]  # which personal sources had something to say


def candidates(snap: Snapshot, trail: Trail | None, model: feed_model.Model | None,
               pool: int = POOL) -> tuple[list[Candidate], Viewer | None, tuple[str, ...]]:
    ids: dict[str, None] = dict.fromkeys(snap.live)
    ids.update(dict.fromkeys(snap.popular[:pool]))
    ids.update(dict.fromkeys(snap.newest[:pool // 3]))
    if trail is None:
        return [snap.items[i] for i in ids], None, ()
    sources = []
    for seller in trail.followed:
        ids.update(dict.fromkeys(snap.by_seller.get(seller, [])[:50]))
    collab: dict[str, float] = {}
    near: dict[str, float] = {}
    if model is not None and trail.history:
        collab = {i: s for i, s in feed_model.collaborative(model, trail.history, pool).items()
                  if i in snap.items}
        near = {i: s for i, s in feed_model.content(model, trail.history, pool).items()
                if i in snap.items}
        ids.update(dict.fromkeys(collab))
        ids.update(dict.fromkeys(near))
    if collab:
        sources.append("collaborative")
    if near:
        sources.append("content")
    if trail.followed:
        sources.append("followed")
    viewer = Viewer(categories=trail.categories, followed=trail.followed, collab=collab,
                    content=near, finished=trail.finished)
    return [snap.items[i] for i in ids], viewer, tuple(sources)


def page(snap: Snapshot, now: dt.datetime, *, trail: Trail | None = None,
         model: feed_model.Model | None = None, offset: int = 0, size: int = 20,
         pool: int = POOL) -> Page:
    """Items ``offset`` to ``offset + size`` of the feed; ``trail`` None is the common
    (non-profiling) feed."""
    found, viewer, sources = candidates(snap, trail, model, pool)
    ranked = rank(found, now, viewer=viewer, seed=explore_seed(snap.market, now))
    slotted = with_new_slots(ranked, {c.item_id for c in found if is_new(c, now)})
    spaced = diversify(slotted, {i.item_id: i.seller for i in found})
    return Page(spaced[offset:offset + size], len(spaced) > offset + size, sources)
