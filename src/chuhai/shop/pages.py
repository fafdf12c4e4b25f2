"""The buyer's pages: a seller's storefront, a product, the cart with its checkout.

Server-rendered with the delivered price in the buyer's locale; the cart's changes and the
payment run in ``static/js/shop.js`` against the shop API. Search engines get one canonical
address per market, ``hreflang`` alternates for the others, schema.org Product/Offer
JSON-LD and Open Graph tags.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from chuhai.core.actor import ActorKind
from chuhai.core.errors import DomainError
from chuhai.live.models import Room
from chuhai.markets.profiles import get_profile
from chuhai.shop import cart, catalog, views
from chuhai.web import browser_policy
from chuhai.web.deps import Caller, UoW, optional_caller
from chuhai.web.pages import _render

router = APIRouter(include_in_schema=False)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _alternates(request: Request, path: str, markets: tuple[str, ...] | list[str]
                ) -> list[dict[str, str]]:
    out = []
    for m in markets:
        profile = get_profile(m)
        lang = profile.default_language if profile else "en"
        out.append({"hreflang": f"{lang}-{m}", "href": f"{_base(request)}{path}?market={m}"})
    return out


async def _who(request: Request, uow: UoW) -> tuple[Caller | None, str | None]:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.CUSTOMER:
        return caller, None
    return caller, await cart.buyer_country(request.app.state.stores, caller.actor)


def _ctx(caller: Caller | None, market: str | None) -> dict[str, Any]:
    signed_in = caller is not None and caller.actor.kind is ActorKind.CUSTOMER
    lang = views.language_for(market or "US")
    return {"caller": caller, "signed_in": signed_in,
            "csrf": caller.csrf if caller and caller.csrf else "", "market": market,
            "lang": lang, "locale": views.locale_for(market or "US")}


def _page(request: Request, name: str, status: int = 200, images: bool = True,
          **ctx: Any) -> Response:
    page = _render(request, name, status, **ctx)
    return browser_policy.apply(page, request, images=["https:"] if images else [])


@router.get("/shop/{slug}")
async def storefront_page(slug: str, request: Request, uow: UoW, market: str = "",
                          choose: str = "") -> Response:
    caller, country = await _who(request, uow)
    try:
        shop = await catalog.shop_by_slug(uow.global_, slug[:60])
    except DomainError as exc:
        return _render(request, "shop_error.html", exc.status, shop=None, market=None,
                       message=exc.message)
    chosen = None if choose else catalog.pick_market(
        shop, buyer_country=country, asked=market[:3] or None,
        accept_language=request.headers.get("accept-language"))
    ctx = _ctx(caller, chosen)
    if chosen is None:
        return _page(request, "shop_markets.html", shop=shop, **ctx,
                     choices=[(m, get_profile(m)) for m in shop.markets])
    items = await catalog.storefront(uow.global_, shop, chosen,
                                     request.app.state.settings.data_dir)
    products = [views.product(i, shop.slug, chosen, ctx["locale"], ctx["lang"])
                for i in items]
    rooms = [r for r in (await uow.global_.scalars(select(Room).where(
        Room.org_id == shop.org_id, Room.status.in_(("live", "scheduled")))
        .order_by(Room.scheduled_at))).all() if chosen in (r.markets or [])]
    path = f"/shop/{shop.slug}"
    return _page(request, "storefront.html", shop=shop, products=products, rooms=rooms,
                 canonical=f"{_base(request)}{path}?market={chosen}",
                 alternates=_alternates(request, path, shop.markets), **ctx)


@router.get("/shop/{slug}/products/{product_id}")
async def product_page(slug: str, product_id: str, request: Request, uow: UoW,
                       market: str = "") -> Response:
    caller, country = await _who(request, uow)
    try:
        shop = await catalog.shop_by_slug(uow.global_, slug[:60])
        chosen = catalog.pick_market(shop, buyer_country=country, asked=market[:3] or None,
                                     accept_language=request.headers.get("accept-language"))
        ctx = _ctx(caller, chosen)
        if chosen is None:
            return _page(request, "shop_markets.html", shop=shop, **ctx,
                         choices=[(m, get_profile(m)) for m in shop.markets])
        item = await catalog.listed(uow.global_, shop, product_id[:40], chosen,
                                    request.app.state.settings.data_dir)
    except DomainError as exc:
        return _render(request, "shop_error.html", exc.status, shop=None, market=None,
                       message=exc.message)
    p = views.product(item, shop.slug, chosen, ctx["locale"], ctx["lang"])
    path = f"/shop/{shop.slug}/products/{item.product.id}"
    canonical = f"{_base(request)}{path}?market={chosen}"
    return _page(request, "product.html", shop=shop, product=p, canonical=canonical,
                 alternates=_alternates(request, path, p["markets"]),
                 ld_json=_ld_json(p, shop, canonical), **ctx)


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
    caller, country = await _who(request, uow)
    try:
        shop = await catalog.shop_by_slug(uow.global_, slug[:60])
    except DomainError as exc:
        return _render(request, "shop_error.html", exc.status, shop=None, market=None,
                       message=exc.message)
    ctx = _ctx(caller, country if country in shop.markets else None)
    return _page(request, "cart.html", shop=shop, **ctx)
