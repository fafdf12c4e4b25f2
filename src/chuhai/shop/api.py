"""Shop routes: the storefront and a product for a market, the buyer's cart, its checkout,
and the ship-to form of a country. Thin: parse, call the service, shape the answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from chuhai.analytics import trust_report
from chuhai.checkout import addresses
from chuhai.checkout.api import KEY_REUSED, order_out
from chuhai.checkout.cart_checkout import checkout_cart
from chuhai.checkout.schemas import CartCheckoutIn, OrderOut
from chuhai.core.actor import Actor
from chuhai.core.errors import Conflict, InvalidInput
from chuhai.markets.profiles import get_profile
from chuhai.shop import cart, catalog, views
from chuhai.shop.schemas import (
    AddressFieldOut,
    CartItemIn,
    CartOut,
    CartQuantityIn,
    ProductOut,
    StorefrontOut,
)
from chuhai.web import i18n
from chuhai.web.deps import CurrentActor, UoW, limit, optional_caller

router = APIRouter(prefix="/api", tags=["shop"])
Slug = Annotated[str, Path(max_length=60)]
Market = Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")]


async def _market(request: Request, shop: catalog.Shop, actor: Actor | None,
                  asked: str | None) -> str | None:
    country = await cart.buyer_country(request.app.state.stores, actor) if actor else None
    return catalog.pick_market(shop, buyer_country=country, asked=asked,
                               accept_language=request.headers.get("accept-language"))


@router.get("/shop/{slug}", response_model=StorefrontOut)
async def storefront(slug: Slug, request: Request, uow: UoW, market: Market = None
                     ) -> StorefrontOut:
    """The seller's products listed in the visitor's market, each with its delivered price,
    and the seller's trust figures over 90 days that have enough cases behind them
    (``on_time``, ``answer_rate`` with ``within_s``, ``landed_held``; see
    ``GET /api/analytics/trust`` for their definitions). No market (none asked, none known)
    lists the seller's markets to choose from."""
    shop = await catalog.shop_by_slug(uow.global_, slug)
    caller = await optional_caller(request, uow)
    chosen = await _market(request, shop, caller.actor if caller else None, market)
    items = [] if chosen is None else await catalog.storefront(
        uow.global_, shop, chosen, request.app.state.settings.data_dir)
    loc, lang = i18n.locale_for(chosen or "US"), views.language_for(chosen or "US")
    return StorefrontOut.model_validate({
        "shop": shop.slug, "name": shop.name, "market": chosen, "markets": list(shop.markets),
        "products": [views.product(i, shop.slug, chosen or "", loc, lang) for i in items],
        "trust": await trust_report.public(request.app.state.stores, shop.org_id,
                                           datetime.now(UTC).date())})


@router.get("/shop/{slug}/products/{product_id}", response_model=ProductOut)
async def product(slug: Slug, product_id: Annotated[str, Path(max_length=40)],
                  request: Request, uow: UoW, market: Market = None) -> ProductOut:
    """One product as the market sees it: title, variants, the delivered price and its
    breakdown (with rule ids), the delivery estimate, restricted-goods notices."""
    shop = await catalog.shop_by_slug(uow.global_, slug)
    caller = await optional_caller(request, uow)
    chosen = await _market(request, shop, caller.actor if caller else None, market)
    if chosen is None:
        raise InvalidInput("choose a market: " + ", ".join(shop.markets),
                           code="market_required")
    item = await catalog.listed(uow.global_, shop, product_id, chosen,
                                request.app.state.settings.data_dir)
    return ProductOut.model_validate(views.product(
        item, shop.slug, chosen, i18n.locale_for(chosen), views.language_for(chosen)))


async def _shop(request: Request, slug: str) -> catalog.Shop:
    """The shop, read on a connection given back at once. The cart's services open their
    own sessions; a request holding one connection while it waits for a second starves the
    pool under a burst (as ``web.deps.require_actor`` explains) — 16 concurrent adds did."""
    async with request.app.state.stores.session() as s:
        return await catalog.shop_by_slug(s, slug)


async def _cart_out(request: Request, actor: Actor, shop: catalog.Shop) -> CartOut:
    """The cart in the buyer's language (their setting, else their browser's, else the
    market's) — the words a cart page shows come from here."""
    stores = request.app.state.stores
    market, setting = await cart.buyer_profile(stores, actor)
    view = await cart.view(stores, actor, shop, market or "", request.app.state.settings.data_dir)
    profile = get_profile(view.market)
    lang = i18n.choose(asked=None, cookie=request.cookies.get(i18n.COOKIE, "")[:16] or None,
                       user=setting, accept_language=request.headers.get("accept-language"),
                       market_languages=profile.languages if profile else ())
    locale = i18n.locale_for(view.market, lang)
    i18n.activate(lang, locale)
    return CartOut.model_validate(views.cart(view, locale, lang))


async def _buyer_market(request: Request, actor: Actor, shop: catalog.Shop) -> str:
    cart.buyer(actor)
    market = await cart.buyer_country(request.app.state.stores, actor)
    if not market or market not in shop.markets:
        raise Conflict(f"this shop does not sell to {market or 'your country'} yet",
                       code="market_not_served")
    return market


@router.get("/shop/{slug}/cart", response_model=CartOut)
async def get_cart(slug: Slug, request: Request, uow: UoW, actor: CurrentActor) -> CartOut:
    """The buyer's cart with this shop, re-quoted as one parcel: if its total differs from
    the sum of the items' own prices, ``reasons`` says why (before checkout, not after)."""
    shop = await _shop(request, slug)
    cart.buyer(actor)
    return await _cart_out(request, actor, shop)


@router.post("/shop/{slug}/cart/items", response_model=CartOut, responses=KEY_REUSED)
async def add_item(slug: Slug, body: CartItemIn, request: Request, uow: UoW,
                   actor: CurrentActor) -> CartOut:
    """Add units of a SKU and hold them (15 minutes, renewed by every change). A retry
    with the same key changes nothing."""
    await limit(request, f"cart:{actor.subject_id}", 120, 60)
    shop = await _shop(request, slug)
    market = await _buyer_market(request, actor, shop)
    touch = body.touch.checked() if body.touch is not None else None
    await cart.set_line(request.app.state.stores, actor, shop, market, body.sku_id,
                        body.quantity, body.idempotency_key, add=True, touch=touch)
    return await _cart_out(request, actor, shop)


@router.put("/shop/{slug}/cart/items/{sku_id}", response_model=CartOut,
            responses=KEY_REUSED)
async def set_item(slug: Slug, sku_id: Annotated[str, Path(max_length=40)],
                   body: CartQuantityIn, request: Request, uow: UoW,
                   actor: CurrentActor) -> CartOut:
    """Set how many units of a SKU the cart holds (0 removes it); also holds a lapsed
    line again."""
    await limit(request, f"cart:{actor.subject_id}", 120, 60)
    shop = await _shop(request, slug)
    market = await _buyer_market(request, actor, shop)
    await cart.set_line(request.app.state.stores, actor, shop, market, sku_id,
                        body.quantity, body.idempotency_key)
    return await _cart_out(request, actor, shop)


@router.post("/shop/{slug}/checkout", response_model=OrderOut, status_code=201,
             responses=KEY_REUSED)
async def checkout(slug: Slug, body: CartCheckoutIn, request: Request, uow: UoW,
                   actor: CurrentActor) -> OrderOut:
    """The cart → one order awaiting payment (pay it with ``POST /api/orders/{id}/pay``).
    The address is checked against the destination's format: ``422 invalid_address``
    names each field."""
    await limit(request, f"checkout:{actor.subject_id}", 30, 60)
    shop = await _shop(request, slug)
    order = await checkout_cart(request.app.state.stores, actor, shop, body,
                                key=request.app.state.signing_key)
    return await order_out(request, order, detail=True, with_address=True)


@router.get("/address-forms/{country}", response_model=list[AddressFieldOut])
async def address_form(country: Annotated[str, Path(pattern=r"^[A-Za-z]{2}$")]
                       ) -> list[AddressFieldOut]:
    """The ship-to fields of a country in its own order, which are required, and the
    names of its states, prefectures or emirates."""
    return [AddressFieldOut(name=f.name, required=f.required,
                            choices=[[v, n] for v, n in f.choices])
            for f in addresses.form(country)]
