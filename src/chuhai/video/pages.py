"""The buyer's side of short video: a phone-first vertical player (swipe to the next clip)
and the feed it reads — each published video with its tagged products priced for the
buyer's market, delivered, duties and taxes included, in the buyer's language.

Only videos published in the market are shown; a product not listed there is left off the
video rather than shown at a price that does not apply.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import update

from chuhai.analytics.attribution import touch_from_link
from chuhai.core.errors import DomainError, NotFound
from chuhai.markets.profiles import get_profile
from chuhai.shop import catalog, views
from chuhai.shop.pages import _address, _ctx, _enroll, _page, _problem_page, _who
from chuhai.video import service
from chuhai.video.models import Video
from chuhai.video.schemas import CountOut, FeedOut
from chuhai.video.storage import Storage, storage_for
from chuhai.web import i18n
from chuhai.web.browser_policy import origin_of
from chuhai.web.deps import UoW, client_ip, limit

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/shop", tags=["shop"])
FEED_SIZE = 30


async def feed_items(request: Request, uow: UoW, shop: catalog.Shop, market: str,
                     locale: str, lang: str, store: Storage | None = None
                     ) -> list[dict[str, Any]]:
    store = store or storage_for(request.app.state.settings)
    data_dir = request.app.state.settings.data_dir
    cards: dict[str, dict[str, Any] | None] = {}
    out = []
    for v in await service.published_in(uow.global_, shop.org_id, market, FEED_SIZE):
        tags = []
        for t in v.tags:
            if t.product_id not in cards:
                try:
                    item = await catalog.listed(uow.global_, shop, t.product_id, market,
                                                data_dir)
                    cards[t.product_id] = views.product(item, shop.slug, market, locale, lang)
                except DomainError:
                    cards[t.product_id] = None  # not sold in this market: no card
            card = cards[t.product_id]
            if card is not None:
                tags.append({"start_s": t.start_s, "end_s": t.end_s, "product": card})
        text = service.text_for(v, lang)
        out.append({
            "id": v.id, "title": text.get("title", ""), "description": text.get(
                "description", ""), "language": v.language if lang not in v.texts else lang,
            "duration_s": v.duration_s, "width": v.width, "height": v.height,
            "master_url": store.url(f"{v.media_prefix}/master.m3u8"),
            "poster_url": store.url(f"{v.media_prefix}/poster.jpg"),
            "captions": [{"lang": c.lang, "url": store.url(c.key), "source": c.source}
                         for c in v.captions],
            "original_language": v.language,
            "tags": tags, "likes": v.likes,
            "url": _address(request, f"/shop/{shop.slug}/videos", market, lang) + f"&v={v.id}",
        })
    return out


@router.get("/shop/{slug}/videos")
async def videos_page(slug: str, request: Request, uow: UoW, market: str = "",
                      v: str = "") -> Response:
    who = await _who(request, uow)
    try:
        shop = await catalog.shop_by_slug(uow.global_, slug[:60])
    except DomainError as exc:
        return _problem_page(request, who, exc)
    chosen = catalog.pick_market(shop, buyer_country=who.country, asked=market[:3] or None,
                                 accept_language=request.headers.get("accept-language"))
    ctx = _ctx(request, who, chosen)
    if chosen is None:
        return _page(request, "shop_markets.html", shop=shop, **ctx,
                     choices=[(m, get_profile(m)) for m in shop.markets])
    items = await feed_items(request, uow, shop, chosen, ctx["locale"], ctx["lang"])
    first = next((i for i, x in enumerate(items) if x["id"] == v[:40]), 0)
    items = items[first:] + items[:first]  # a shared link opens on its video
    public = storage_for(request.app.state.settings).url("")
    origin = origin_of(public) if public.startswith(("http://", "https://")) else None
    media = (origin,) if origin else ()
    await _enroll(request, uow, who, chosen)
    touch = touch_from_link(request.query_params, "video", v[:40] or None)
    return _page(request, "videos.html", shop=shop, videos=items, media=media,
                 canonical=_address(request, f"/shop/{shop.slug}/videos", chosen, ctx["lang"]),
                 touch=touch.as_dict(), **ctx)


@api.get("/{slug}/videos", response_model=FeedOut)
async def videos_feed(slug: str, request: Request, uow: UoW, market: str = ""
                      ) -> dict[str, Any]:
    """The published videos of a shop in ``market`` (``?lang=`` picks the language)."""
    shop = await catalog.shop_by_slug(uow.global_, slug[:60])
    code = market[:2].upper()
    if code not in shop.markets:
        raise NotFound("market of this shop", code or "?", code="market_not_served")
    profile = get_profile(code)
    language = i18n.from_request(request, market_languages=profile.languages if profile
                                 else ())
    locale = i18n.locale_for(code, language)
    return {"market": code, "items": await feed_items(request, uow, shop, code, locale,
                                                     language)}


async def _count(request: Request, uow: UoW, video_id: str, column: str) -> dict[str, int]:
    await limit(request, f"video-{column}:{client_ip(request)}:{video_id[:40]}", 3, 3600)
    col = getattr(Video, column)
    res = await uow.global_.execute(update(Video).where(Video.id == video_id[:40],
                                                        Video.status == "ready")
                                    .values({column: col + 1}))
    if res.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound("video", video_id[:40], code="video_not_found")
    video = await uow.global_.get(Video, video_id[:40])
    assert video is not None
    await uow.global_.refresh(video)
    return {column: int(getattr(video, column))}


@api.post("/videos/{video_id}/like", response_model=CountOut)
async def like(video_id: str, request: Request, uow: UoW) -> dict[str, int]:
    """A like (counted, not tied to a person; a few per address and hour)."""
    return await _count(request, uow, video_id, "likes")


@api.post("/videos/{video_id}/view", response_model=CountOut)
async def viewed(video_id: str, request: Request, uow: UoW) -> dict[str, int]:
    return await _count(request, uow, video_id, "views")
