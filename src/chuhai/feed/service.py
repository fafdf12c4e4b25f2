"""Building a market's feed — published videos, live and upcoming rooms, listed products —
personalized only with the person's consent and only if they did not choose the common feed.

Personalization uses the person's own trail — their analytics events (kept only with
analytics consent), their orders, the sellers they follow — read from their region's store
at request time; so without personalization consent none of it is read, and the feed is the
market's common order (the same for every visitor), which is also the non-profiling feed a
buyer may choose at any time. The market's items and their anonymous counts are read once
every few seconds (``CHUHAI_FEED_SNAPSHOT_S``), not per request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, select

from chuhai.analytics.models import AnalyticsEvent, ItemCount
from chuhai.catalog.models import Listing, Product, Sku
from chuhai.checkout.models import Order
from chuhai.core.clock import utcnow
from chuhai.core.db import UnitOfWork
from chuhai.core.shortcache import ShortCache
from chuhai.feed import model as feed_model
from chuhai.feed.ranking import Candidate, Ranked, decayed, interests
from chuhai.feed.recommend import Snapshot, Trail, page
from chuhai.live.models import Follow, Room, RoomSlot
from chuhai.privacy import consent
from chuhai.video.models import Video, VideoMarket, VideoTag

POPULARITY_DAYS = 14
INTEREST_DAYS = 90
PURCHASE_WEIGHT = 3.0
MAX_ITEMS = 5000  # per kind and market in a snapshot
# What an event says of interest in an item (the trail) and of its popularity (the counts)
WEIGHTS = {"room.view": 1.0, "product.view": 1.0, "product.click": 2.0, "feed.click": 2.0,
           "search.click": 1.0, "video.view": 1.0, "video.complete": 2.0, "video.like": 3.0,
           "video.share": 3.0, "cart.add": 4.0}
OPENED = ("feed.click", "video.view", "product.click")  # what exploration counts as a click
STALE_AFTER = dt.timedelta(hours=2)


@dataclass(frozen=True)
class Entry:
    """What the feed shows of an item, in every language it has."""

    id: str
    kind: str  # video | room | product
    org_id: str
    status: str
    at: dt.datetime
    titles: dict[str, str]
    language: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class MarketItems:
    snapshot: Snapshot
    entries: dict[str, Entry]


@dataclass(frozen=True)
class Feed:
    market: str
    mode: str  # for_you | popular (what the viewer chose)
    personalized: bool
    signals: int  # how many of the person's own events and purchases shaped the order
    model: str | None  # the model version that ranked it, None when none is trained
    sources: tuple[str, ...]
    items: list[tuple[Entry, Ranked]]
    more: bool


_SNAPSHOTS: dict[float, ShortCache[str, MarketItems]] = {}


def snapshots(ttl_s: float) -> ShortCache[str, MarketItems]:
    cache = _SNAPSHOTS.get(ttl_s)
    if cache is None:
        cache = _SNAPSHOTS[ttl_s] = ShortCache(ttl_s=ttl_s, max_items=64)
    return cache


async def build(uow: UnitOfWork, *, market: str, subject_id: str | None, region: str | None,
                gpc: bool = False, limit: int = 30, now: dt.datetime | None = None,
                country: str | None = None, mode: str = "for_you", offset: int = 0,
                data_dir: Path | None = None, snapshot_s: float = 0.0) -> Feed:
    """``market``: whose items; ``country``: whose law decides on personalization (a
    customer's home country; the market for guests); ``mode`` "popular": the common feed,
    whatever the consent."""
    market = market.upper()
    now = now or utcnow()
    if snapshot_s <= 0:
        items = await market_items(uow, market, now)
    else:
        items = await snapshots(snapshot_s).get(market, time.monotonic(),
                                                lambda: market_items(uow, market, now))
    personal = mode != "popular" and subject_id is not None and region is not None and \
        await consent.allowed(uow, subject_id=subject_id, region=region,
                              country=(country or market).upper(), purpose="personalization",
                              gpc=gpc)
    trail: Trail | None = None
    signals = 0
    model = None
    if personal:
        assert subject_id is not None and region is not None
        trail, signals = await _trail(uow, subject_id, region, now)
        if data_dir is not None:  # a new version is read from disk once, off the loop
            model = await asyncio.to_thread(feed_model.loaded, data_dir)
    got = await asyncio.to_thread(page, items.snapshot, now, trail=trail, model=model,
                                  offset=offset, size=limit)
    version = model.version if model else None
    if not personal and data_dir is not None:  # only to say which version is in use
        version = await asyncio.to_thread(feed_model.version_in_use, data_dir)
    return Feed(market, mode, personal, signals, version,
                got.sources, [(items.entries[r.item_id], r) for r in got.items], got.more)


async def market_items(uow: UnitOfWork, market: str, now: dt.datetime) -> MarketItems:
    """Every item a buyer of ``market`` may be shown, with its anonymous counts."""
    s = uow.global_
    entries: list[Entry] = []
    chapters: dict[str, set[str]] = defaultdict(set)
    # a scheduled room more than two hours past its start without going live is stale
    rooms = [r for r in (await s.scalars(
        select(Room).where(or_(Room.status == "live",
                               and_(Room.status == "scheduled",
                                    Room.scheduled_at >= now - STALE_AFTER)))
        .order_by(Room.scheduled_at).limit(2000))).all() if market in (r.markets or [])]
    for r in rooms:
        entries.append(Entry(r.id, "room", r.org_id, r.status, r.started_at or r.scheduled_at,
                             dict(r.titles or {})))
    if rooms:
        for room_id, hs in await s.execute(
                select(RoomSlot.room_id, Product.hs_code)
                .join(Product, Product.id == RoomSlot.product_id)
                .where(RoomSlot.room_id.in_([r.id for r in rooms]))):
            chapters[room_id].add((hs or "")[:2])
    rows = (await s.execute(
        select(Video, VideoMarket.published_at)
        .join(VideoMarket, VideoMarket.video_id == Video.id)
        .where(Video.status == "ready", VideoMarket.market == market,
               VideoMarket.state == "published")
        .order_by(VideoMarket.published_at.desc()).limit(MAX_ITEMS))).all()
    for v, published_at in rows:
        # plain values: the snapshot outlives the session that read it
        entries.append(Entry(v.id, "video", v.org_id, "published", published_at or v.created_at,
                             {k: t.get("title", "") for k, t in (v.texts or {}).items()},
                             v.language, {
                                 "media_prefix": v.media_prefix, "duration_s": v.duration_s,
                                 "captions": [(c.lang, c.key, c.source) for c in v.captions],
                                 "tags": [(t.product_id, t.start_s, t.end_s) for t in v.tags],
                                 "likes": v.likes}))
    videos = [v for v, _ in rows]
    if videos:
        for vid, hs in await s.execute(
                select(VideoTag.video_id, Product.hs_code)
                .join(Product, Product.id == VideoTag.product_id)
                .where(VideoTag.video_id.in_([v.id for v in videos]))):
            chapters[vid].add((hs or "")[:2])
    for listing, product in (await s.execute(
            select(Listing, Product).join(Product, Product.id == Listing.product_id)
            .where(Listing.market == market, Listing.visible.is_(True),
                   Product.status == "active")
            .order_by(Product.created_at.desc()).limit(MAX_ITEMS))).all():
        entries.append(Entry(product.id, "product", product.org_id, "published",
                             product.created_at, {listing.language: listing.title},
                             listing.language, {"images": list(product.images or [])}))
        chapters[product.id].add((product.hs_code or "")[:2])
    counts = await _counts(uow, market, now, {e.id for e in entries})
    candidates = []
    for e in entries:
        days, shown, opened = counts.get(e.id, ([], 0, 0))
        candidates.append(Candidate(
            e.id, e.status, e.at, frozenset(c for c in chapters.get(e.id, ()) if c),
            round(decayed(days, now.date()), 4), e.kind, e.org_id,
            shown if e.kind != "room" else 10**9,  # rooms are not explored: they are dated
            opened))
    return MarketItems(Snapshot.of(market, candidates), {e.id: e for e in entries})


async def _counts(uow: UnitOfWork, market: str, now: dt.datetime, ids: set[str]
                  ) -> dict[str, tuple[list[tuple[dt.date, float]], int, int]]:
    """Per item: weighted engagement per day, impressions and opens (anonymous counts)."""
    since = now.date() - dt.timedelta(days=POPULARITY_DAYS)
    days: dict[str, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    shown: Counter[str] = Counter()
    opened: Counter[str] = Counter()
    rows = await uow.global_.execute(
        select(ItemCount.item_id, ItemCount.day, ItemCount.type, func.sum(ItemCount.count))
        .where(ItemCount.market == market, ItemCount.day >= since)
        .group_by(ItemCount.item_id, ItemCount.day, ItemCount.type))
    for item, day, kind, n in rows:
        if item not in ids:
            continue
        n = int(n or 0)
        days[item][day] += WEIGHTS.get(kind, 0.0) * n
        if kind == "feed.impression":
            shown[item] += n
        elif kind in OPENED:
            opened[item] += n
    return {i: (list(days[i].items()), shown[i], opened[i])
            for i in set(days) | set(shown) | set(opened)}


async def _trail(uow: UnitOfWork, subject_id: str, region: str, now: dt.datetime
                 ) -> tuple[Trail, int]:
    """The person's own items (weighted), HS chapters, followed sellers and finished
    videos, from their region's store."""
    since = now - dt.timedelta(days=INTEREST_DAYS)
    session = uow.region(region)
    events = (await session.execute(
        select(AnalyticsEvent.type, AnalyticsEvent.room_id, AnalyticsEvent.product_id,
               AnalyticsEvent.video_id, func.count()).where(
            AnalyticsEvent.subject_id == subject_id, AnalyticsEvent.at >= since)
        .group_by(AnalyticsEvent.type, AnalyticsEvent.room_id, AnalyticsEvent.product_id,
                  AnalyticsEvent.video_id))).all()
    history: dict[str, float] = defaultdict(float)
    finished: set[str] = set()
    seen: Counter[str] = Counter()
    for kind, room, product, video, n in events:
        weight = WEIGHTS.get(kind, 0.0)
        if weight <= 0:
            continue  # shown is not chosen: an impression says nothing of interest
        item = video or room or product
        if item:
            history[item] += weight * n
        if kind == "video.complete" and video:
            finished.add(video)
        if product:
            seen[product] += n
    bought: Counter[str] = Counter()
    for items in (await session.scalars(select(Order.items).where(
            Order.buyer_id == subject_id, Order.created_at >= since))).all():
        for item in items or []:
            bought[str(item.get("sku_id", ""))] += 1
    weights: list[tuple[str, float]] = []
    if seen:
        hs = dict((await uow.global_.execute(
            select(Product.id, Product.hs_code).where(Product.id.in_(list(seen))))).all())
        weights += [((hs.get(pid) or "")[:2], float(n)) for pid, n in seen.items()]
    if bought:
        rows = (await uow.global_.execute(
            select(Sku.id, Product.id, Product.hs_code).join(Product, Product.id == Sku.product_id)
            .where(Sku.id.in_(list(bought))))).all()
        for sid, pid, hs_code in rows:
            weights.append(((hs_code or "")[:2], PURCHASE_WEIGHT * bought[sid]))
            history[pid] += WEIGHTS["cart.add"] * bought[sid]
    followed = frozenset((await session.scalars(select(Follow.org_id).where(
        Follow.customer_id == subject_id))).all())
    categories = interests([(c, w) for c, w in weights if c])
    signals = sum(int(n) for *_, n in events) + sum(bought.values()) + len(followed)
    return Trail({k: v for k, v in history.items() if v > 0}, categories, followed,
                 frozenset(finished)), signals


async def _personalizing(uow: UnitOfWork, region: str, seen: set[tuple[str, str]]
                         ) -> set[str]:
    """Of the people whose events were kept, those whose personalization consent stands
    now (their home country's law; a guest's, the market's): only their trails train the
    model that shapes other people's feeds."""
    from chuhai.accounts.models import Customer

    people = {s for s, _ in seen}
    homes = dict((await uow.region(region).execute(
        select(Customer.id, Customer.home_country).where(Customer.id.in_(people))))
        .all()) if people else {}
    market = dict(seen)
    out = set()
    for subject in people:
        if await consent.allowed(uow, subject_id=subject, region=region,
                                 country=(homes.get(subject) or market[subject]).upper(),
                                 purpose="personalization"):
            out.add(subject)
    return out


# --- training ----------------------------------------------------------------------------


async def training_data(uow: UnitOfWork, regions: list[str], days: int = 180
                        ) -> tuple[list[tuple[str, str, float]], dict[str, str]]:
    """Every region's kept (consented) events as (person, item, weight), read in turn and
    never stored together; and each item's words (titles, descriptions, captions' first
    lines are not read: titles and descriptions say what an item is) for the content
    space."""
    since = utcnow() - dt.timedelta(days=days)
    interactions: list[tuple[str, str, float]] = []
    for region in regions:
        rows = (await uow.region(region).execute(
            select(AnalyticsEvent.subject_id, AnalyticsEvent.market, AnalyticsEvent.type,
                   AnalyticsEvent.room_id, AnalyticsEvent.product_id,
                   AnalyticsEvent.video_id)
            .where(AnalyticsEvent.at >= since))).all()
        agreed = await _personalizing(uow, region, {(r[0], r[1]) for r in rows})
        for subject, _market, kind, room, product, video in rows:
            item = video or room or product
            w = WEIGHTS.get(kind, 0.0)
            if item and w > 0 and subject in agreed:
                interactions.append((subject, item, w))
    texts: dict[str, str] = {}
    s = uow.global_
    for v in (await s.scalars(select(Video).where(Video.status == "ready"))).all():
        texts[v.id] = " ".join(f"{t.get('title', '')}. {t.get('description', '')}"
                               for t in (v.texts or {}).values())[:2000]
    for r in (await s.scalars(select(Room).where(Room.status.in_(("live", "scheduled",
                                                                    "ended"))))).all():
        texts[r.id] = " ".join((r.titles or {}).values())[:2000]
    for p in (await s.scalars(select(Product).where(Product.status == "active"))).all():
        texts[p.id] = f"{p.title}. {p.description}"[:2000]
    return interactions, texts
