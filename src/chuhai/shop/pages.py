"""The buyer's pages: a seller's storefront, a product, the cart with its checkout.

Server-rendered with the delivered price in the buyer's locale; the cart's changes and the
payment run in ``static/js/shop.js`` against the shop API. Search engines get one canonical
address per market, ``hreflang`` alternates for the others, schema.org Product/Offer
JSON-LD and Open Graph tags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from chuhai.analytics import holdouts, trust_report
from chuhai.analytics.attribution import touch_from_link
from chuhai.core.actor import ActorKind
from chuhai.core.errors import DomainError
from chuhai.core.guest import GUEST_COOKIE, read_guest_id
from chuhai.live.models import Room
from chuhai.markets.profiles import get_profile
from chuhai.search import api as search_api
from chuhai.search import service as search_service
from chuhai.shop import cart, catalog, views
from chuhai.video import service as video_service
from chuhai.video.storage import storage_for
from chuhai.web import browser_policy, i18n, problem_text
from chuhai.web.deps import Caller, UoW, optional_caller
from chuhai.web.pages import _render, remember_language

router = APIRouter(include_in_schema=False)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _languages(market: str) -> list[str]:
    """The market's languages that have buyer pages (its first: the market's own)."""
    profile = get_profile(market)
    codes = [t.split("-")[0] for t in (profile.languages if profile else [])]
    return list(dict.fromkeys(c for c in codes if c in i18n.LANGUAGES)) or ["en"]


def _address(request: Request, path: str, market: str, lang: str) -> str:
    """A page's address in ``market`` and ``lang`` (the market's own language: no ``lang``)."""
    own = _languages(market)[0]
    return f"{_base(request)}{path}?market={market}" + ("" if lang == own else f"&lang={lang}")


def _alternates(request: Request, path: str, markets: tuple[str, ...] | list[str]
                ) -> list[dict[str, str]]:
    """One ``hreflang`` alternate per market and language it is sold in (``de-CH``,
    ``fr-CH`` …), and ``x-default``: the first market's."""
    out = [{"hreflang": f"{lang}-{m}", "href": _address(request, path, m, lang)}
           for m in markets for lang in _languages(m)]
    if markets:
        out.append({"hreflang": "x-default",
                    "href": _address(request, path, markets[0], _languages(markets[0])[0])})
    return out


@dataclass(frozen=True)
class Who:
    caller: Caller | None
    country: str | None  # the signed-in buyer's
    language: str | None  # the signed-in buyer's setting


async def _who(request: Request, uow: UoW) -> Who:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.CUSTOMER:
        return Who(caller, None, None)
    country, language = await cart.buyer_profile(request.app.state.stores, caller.actor)
    return Who(caller, country, language)


def page_language(request: Request, who: Who, market: str | None) -> str:
    """The buyer page's language (``web/i18n.py`` says in which order it is chosen)."""
    profile = get_profile(market) if market else None
    return i18n.from_request(request, user=who.language,
                             market_languages=profile.languages if profile else ())


def _ctx(request: Request, who: Who, market: str | None) -> dict[str, Any]:
    caller = who.caller
    signed_in = caller is not None and caller.actor.kind is ActorKind.CUSTOMER
    lang = page_language(request, who, market)
    return {"caller": caller, "signed_in": signed_in, "buyer_page": True,
            "csrf": caller.csrf if caller and caller.csrf else "", "market": market,
            "lang": lang, "locale": i18n.locale_for(market or "US", lang),
            "other_languages": i18n.alternatives(lang, _languages(market) if market else [])}


def _page(request: Request, name: str, status: int = 200, images: bool = True,
          media: tuple[str, ...] = (), **ctx: Any) -> Response:
    page = _render(request, name, status, **ctx)
    remember_language(page, request, str(ctx.get("lang")))
    extra = ["https:"] if images else []
    return browser_policy.apply(page, request, images=[*extra, *media], media=list(media))


def _problem_page(request: Request, who: Who, exc: DomainError) -> Response:
    """An unknown shop or product, in the buyer's layout and language."""
    return _render(request, "shop_error.html", exc.status, shop=None, market=None,
                   message=exc.message, buyer_page=True,
                   lang=page_language(request, who, None))


@router.get("/shop/{slug}")
async def storefront_page(slug: str, request: Request, uow: UoW, market: str = "",
                          choose: str = "") -> Response:
    who = await _who(request, uow)
    country = who.country
    try:
        shop = await catalog.shop_by_slug(uow.global_, slug[:60])
    except DomainError as exc:
        return _problem_page(request, who, exc)
    chosen = None if choose else catalog.pick_market(
        shop, buyer_country=country, asked=market[:3] or None,
        accept_language=request.headers.get("accept-language"))
    ctx = _ctx(request, who, chosen)
    if chosen is None:
        return _page(request, "shop_markets.html", shop=shop, **ctx,
                     choices=[(m, get_profile(m)) for m in shop.markets])
    found = None
    if "q" in request.query_params:  # the search box: this shop's listings in the market
        found = await _search(request, uow, shop, chosen, ctx["lang"])
        items = []
    else:
        items = await catalog.storefront(uow.global_, shop, chosen,
                                         request.app.state.settings.data_dir)
    products = [views.product(i, shop.slug, chosen, ctx["locale"], ctx["lang"])
                for i in items]
    rooms = [r for r in (await uow.global_.scalars(select(Room).where(
        Room.org_id == shop.org_id, Room.status.in_(("live", "scheduled")))
        .order_by(Room.scheduled_at))).all() if chosen in (r.markets or [])]
    store = storage_for(request.app.state.settings)
    videos = [{"id": v.id, "title": video_service.text_for(v, ctx["lang"]).get("title", ""),
               "poster_url": store.url(f"{v.media_prefix}/poster.jpg"),
               "url": f"/shop/{shop.slug}/videos?market={chosen}&v={v.id}"}
              for v in await video_service.published_in(uow.global_, shop.org_id, chosen, 12)]
    path = f"/shop/{shop.slug}"
    await _enroll(request, uow, who, chosen)
    trust = await trust_report.public(request.app.state.stores, shop.org_id,
                                      datetime.now(UTC).date())
    return _page(request, "storefront.html", shop=shop, products=products, rooms=rooms,
                 videos=videos, trust=trust,
                 found=found, q=request.query_params.get("q", "")[:200],
                 canonical=_address(request, path, chosen, ctx["lang"]),
                 alternates=_alternates(request, path, shop.markets), **ctx)


async def _search(request: Request, uow: UoW, shop: catalog.Shop, market: str,
                  lang: str) -> dict[str, Any]:
    """The storefront's search (search/service.py), shaped as the API answers it; a bad
    filter or cursor is said on the page, in the buyer's language."""
    p = request.query_params
    try:
        await search_api.fresh_index(request, uow)
        page = await search_service.search(
            uow.global_, q=p.get("q", "")[:200], market=market, org_id=shop.org_id,
            filters=search_api.filters(p.get("chapter"), p.get("price_min"),
                                       p.get("price_max")),
            cursor=p.get("cursor") or None, secret=request.app.state.settings.secret_key or "",
            dialect=uow.global_.get_bind().dialect.name)
        await search_api.note_search(request, uow, market, p.get("q", "")[:200])
    except DomainError as exc:
        return {"error": problem_text.detail(exc.code, exc.message, lang, exc.extra),
                "results": [], "facets": {"price": [], "category": []}}
    return await search_api.shaped(uow, page, lang)


@router.get("/shop/{slug}/products/{product_id}")
async def product_page(slug: str, product_id: str, request: Request, uow: UoW,
                       market: str = "") -> Response:
    who = await _who(request, uow)
    country = who.country
    try:
        shop = await catalog.shop_by_slug(uow.global_, slug[:60])
        chosen = catalog.pick_market(shop, buyer_country=country, asked=market[:3] or None,
                                     accept_language=request.headers.get("accept-language"))
        ctx = _ctx(request, who, chosen)
        if chosen is None:
            return _page(request, "shop_markets.html", shop=shop, **ctx,
                         choices=[(m, get_profile(m)) for m in shop.markets])
        item = await catalog.listed(uow.global_, shop, product_id[:40], chosen,
                                    request.app.state.settings.data_dir)
    except DomainError as exc:
        return _problem_page(request, who, exc)
    p = views.product(item, shop.slug, chosen, ctx["locale"], ctx["lang"])
    path = f"/shop/{shop.slug}/products/{item.product.id}"
    canonical = _address(request, path, chosen, ctx["lang"])
    await _enroll(request, uow, who, chosen)
    return _page(request, "product.html", shop=shop, product=p, canonical=canonical,
                 alternates=_alternates(request, path, p["markets"]),
                 ld_json=_ld_json(p, shop, canonical),
                 touch=touch_from_link(request.query_params).as_dict(), **ctx)


async def _enroll(request: Request, uow: UoW, who: Who, market: str) -> None:
    """A buyer active on a shop page is enrolled in the running holdouts like one on the
    feed, so both groups are counted wherever they shop (analytics/holdouts.py): the
    signed-in customer already looked up, else the guest of the signed cookie."""
    caller = who.caller
    if caller is not None and caller.actor.kind is ActorKind.CUSTOMER:
        await holdouts.enroll(uow, caller.actor.subject_id, caller.actor.region,
                              who.country or market)
        return
    profile = get_profile(market)
    guest = read_guest_id(request.app.state.signing_key, request.cookies.get(GUEST_COOKIE))
    if guest and profile is not None:
        await holdouts.enroll(uow, guest, profile.region_store, market)


def _ld_json(p: dict[str, Any], shop: catalog.Shop, url: str) -> str:
    """schema.org Product with one Offer per SKU at the delivered price (what the buyer
    pays); ``<`` is escaped so the JSON cannot close its script element."""
    price = p["price"]
    offers = [{"@type": "Offer", "sku": k["code"], "url": url, "price": price["total"],
               "priceCurrency": price["currency"],
               "availability": "https://schema.org/" + (
                   "InStock" if k["available"] > 0 else "OutOfStock"),
               "seller": {"@type": "Organization", "name": shop.name}}
              for k in p["skus"]]
    data = {"@context": "https://schema.org", "@type": "Product", "name": p["title"],
            "description": p["description"][:500], "sku": p["code"],
            "brand": {"@type": "Brand", "name": p["brand"] or shop.name},
            "image": p["images"][:3], "offers": offers}
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


@router.get("/shop/{slug}/cart")
async def cart_page(slug: str, request: Request, uow: UoW) -> Response:
    who = await _who(request, uow)
    country = who.country
    try:
        shop = await catalog.shop_by_slug(uow.global_, slug[:60])
    except DomainError as exc:
        return _problem_page(request, who, exc)
    ctx = _ctx(request, who, country if country in shop.markets else None)
    return _page(request, "cart.html", shop=shop, **ctx)
