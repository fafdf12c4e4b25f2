"""``GET /api/feed``: a market's videos, rooms and products, ranked for you if you allow it
and did not choose the common feed; each item says why it is there."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import select

from chuhai.accounts.models import Org
from chuhai.analytics import holdouts
from chuhai.core.errors import DomainError
from chuhai.feed import service
from chuhai.feed.schemas import FeedOut
from chuhai.privacy.consent import gpc_signal
from chuhai.web import i18n
from chuhai.web.deps import UoW, client_ip, limit, set_cookie
from chuhai.web.people import identify

router = APIRouter(prefix="/api", tags=["feed"])
MAX_OFFSET = 1000


def _sign(key: bytes, body: str) -> str:
    return hmac.new(key, b"feed-cursor\x00" + body.encode(), hashlib.sha256).hexdigest()[:24]


def make_cursor(key: bytes, who: str, market: str, mode: str, offset: int) -> str:
    body = base64.urlsafe_b64encode(json.dumps(
        [who, market, mode, offset], separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{body}.{_sign(key, body)}"


def read_cursor(key: bytes, cursor: str | None, who: str, market: str, mode: str) -> int | None:
    """The offset a cursor of this viewer, market and mode points at; None for one that
    is forged, another viewer's or another feed's (the feed then starts again)."""
    if not cursor:
        return 0
    body, _, sig = cursor.partition(".")
    if not hmac.compare_digest(_sign(key, body).encode(), sig.encode("utf-8", "replace")):
        return None
    try:
        got = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        mine = got[:3] == [who, market, mode] and isinstance(got[3], int)
    except (ValueError, TypeError, IndexError):
        return None
    return int(got[3]) if mine and 0 <= got[3] <= MAX_OFFSET else None


@router.get("/feed", response_model=FeedOut)
async def get_feed(request: Request, uow: UoW, market: str | None = None,
                   lang: Annotated[str | None, Query(max_length=16)] = None,
                   size: Annotated[int, Query(ge=1, le=100)] = 30,
                   cursor: Annotated[str | None, Query(max_length=300)] = None,
                   mode: Literal["for_you", "popular"] | None = None) -> dict[str, Any]:
    """``personalized`` tells whether your own history shaped the order (personalization
    consent, and ``mode`` not ``popular``); otherwise every visitor in the market sees the
    same order. ``mode=popular`` is the non-profiling feed (kept as your choice in a
    cookie); ``cursor`` (from ``next``) reads on."""
    await limit(request, f"feed:{client_ip(request)}", 120, 60)
    return await answer(request, uow, market, lang, size, cursor, mode)


async def answer(request: Request, uow: UoW, market: str | None, lang: str | None,
                 size: int, cursor: str | None = None, mode: str | None = None
                 ) -> dict[str, Any]:
    """One page of the viewer's feed, shaped as the API answers it."""
    person = await identify(request, uow, market)
    enrolled = await holdouts.enroll(uow, person.subject_id, person.region, person.country)
    chosen = mode or ("popular" if request.cookies.get("chuhai_feed") == "popular"
                      else "for_you")
    if enrolled.common_feed:  # held out of personalization: the common feed, whatever chosen
        chosen = "popular"
    who = person.subject_id or f"ip:{client_ip(request)}"
    key: bytes = request.app.state.signing_key
    offset = read_cursor(key, cursor, who, person.market, chosen)
    settings = request.app.state.settings
    feed = await service.build(uow, market=person.market, subject_id=person.subject_id,
                               region=person.region, gpc=gpc_signal(request.headers),
                               limit=size, country=person.country, mode=chosen,
                               offset=offset or 0, data_dir=settings.data_dir,
                               snapshot_s=settings.feed_snapshot_s)
    await uow.commit()
    if enrolled.no_feed or enrolled.hidden_orgs:  # held out of interest: no feed, or none
        feed = replace(feed, items=[] if enrolled.no_feed else [  # of these sellers' items
            (e, r) for e, r in feed.items if e.org_id not in enrolled.hidden_orgs],
            more=feed.more and not enrolled.no_feed)
    want = lang or person.language
    slugs = await _slugs(uow, feed)
    out = shape(request, feed, await _product_cards(request, uow, feed, slugs, want),
                slugs, want, chosen,
                make_cursor(key, who, feed.market, chosen, (offset or 0) + size)
                if feed.more and (offset or 0) + size <= MAX_OFFSET else None,
                restarted=offset is None)
    # held out of the feed, or of every seller it had items of: say so, not "nothing yet"
    out["held_out"] = enrolled.no_feed or (bool(enrolled.hidden_orgs) and not feed.items)
    return out


async def _slugs(uow: UoW, feed: service.Feed) -> dict[str, str]:
    orgs = {e.org_id for e, _ in feed.items}
    if not orgs:
        return {}
    return dict((await uow.global_.execute(select(Org.id, Org.slug).where(
        Org.id.in_(orgs)))).all())


def shape(request: Request, feed: service.Feed, prices: dict[str, dict[str, Any] | None],
          slugs: dict[str, str], want: str, chosen: str, nxt: str | None, *,
          restarted: bool = False) -> dict[str, Any]:
    """The feed as the API answers it (and the feed page embeds its first page)."""
    hub = request.app.state.live.hub
    items = []
    for entry, ranked in feed.items:
        reasons = list(ranked.reasons)
        if feed.personalized and feed.model is None:
            reasons.append("no_model")  # the model is not trained yet: popularity leads
        item: dict[str, Any] = {
            "id": entry.id, "kind": entry.kind,
            "room_id": entry.id if entry.kind == "room" else None,
            "status": entry.status, "title": _title(entry.titles, want),
            "starts_at": entry.at.isoformat(), "score": ranked.score, "reasons": reasons,
            "seller": entry.org_id, "shop": slugs.get(entry.org_id, "")}
        if entry.kind == "room":
            item["viewers"] = (hub.snapshot_counters(entry.id).get("viewers", 0)
                               if entry.status == "live" else None)
        elif entry.kind == "video":
            item["video"] = _video(request, entry)
        else:
            item["product"] = prices.get(entry.id)
        items.append(item)
    return {"market": feed.market, "mode": chosen, "personalized": feed.personalized,
            "signals": feed.signals, "model": feed.model, "sources": list(feed.sources),
            "restarted": restarted, "next": nxt, "items": items}


class ChoiceIn(BaseModel):
    mode: Literal["for_you", "popular"]


class ChoiceOut(BaseModel):
    mode: str


@router.post("/feed/choice", response_model=ChoiceOut)
async def choose(body: ChoiceIn, request: Request, response: Response) -> dict[str, str]:
    """Keep the viewer's choice of feed in this browser: ``popular`` is the non-profiling
    feed (the same for everyone in the market), ``for_you`` the personalized one (which
    still needs personalization consent)."""
    set_cookie(response, request, "chuhai_feed", body.mode, max_age=365 * 86400)
    return {"mode": body.mode}


def _title(titles: dict[str, str], want: str) -> str:
    return (titles.get(want) or titles.get(want.split("-")[0]) or titles.get("en")
            or next(iter(titles.values()), ""))


def _video(request: Request, entry: service.Entry) -> dict[str, Any]:
    from chuhai.video.storage import storage_for

    store = storage_for(request.app.state.settings)
    prefix = entry.extra.get("media_prefix", "")
    return {"poster_url": store.url(f"{prefix}/poster.jpg"),
            "master_url": store.url(f"{prefix}/master.m3u8"),
            "duration_s": entry.extra.get("duration_s", 0.0),
            "language": entry.language,
            "captions": [{"lang": lang, "url": store.url(k), "source": src}
                         for lang, k, src in entry.extra.get("captions", [])],
            "products": [p for p, _, _ in entry.extra.get("tags", [])],
            "likes": entry.extra.get("likes", 0)}


async def _product_cards(request: Request, uow: UoW, feed: service.Feed,
                         slugs: dict[str, str], lang: str
                         ) -> dict[str, dict[str, Any] | None]:
    """Each product on the page as its shop shows it in the market: the delivered price
    with duties and taxes, in the buyer's language (None: not sold there after all)."""
    from chuhai.shop import catalog, views

    wanted = [e for e, _ in feed.items if e.kind == "product"]
    if not wanted:
        return {}
    locale = i18n.locale_for(feed.market, lang)
    shops: dict[str, Any] = {}
    out: dict[str, dict[str, Any] | None] = {}
    for e in wanted:
        try:
            if e.org_id not in shops:
                shops[e.org_id] = await catalog.shop_by_slug(uow.global_, slugs[e.org_id])
            shop = shops[e.org_id]
            listed = await catalog.listed(uow.global_, shop, e.id, feed.market,
                                          request.app.state.settings.data_dir)
            card = views.product(listed, shop.slug, feed.market, locale, lang)
            out[e.id] = {"title": card["title"], "url": card["url"], "price": card["price"],
                         "image": (card["images"] or [None])[0],
                         "sku_id": next((k["id"] for k in card["skus"] if k["available"]),
                                        None), "shop": shop.slug}
        except (DomainError, KeyError):
            out[e.id] = None
    return out
