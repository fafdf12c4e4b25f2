"""What the buyer's side reads of a seller: the shop by slug, its markets, a product as
listed in one market, and the default delivery lane there — with its delivered price.

Reads only (global store). The price comes from ``shop.pricing`` so that the storefront, the
product page, the pinned card and the cart say the same number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.accounts.models import Org
from chuhai.catalog.models import Listing, Product, Sku
from chuhai.core.actor import PLATFORM_ORG_ID
from chuhai.core.clock import utcnow
from chuhai.core.errors import NotFound
from chuhai.crossborder.loader import rulebook
from chuhai.crossborder.restricted import flags
from chuhai.inventory import routing, stock
from chuhai.inventory.models import Warehouse
from chuhai.shop import pricing
from chuhai.shop.pricing import Delivery, Goods, Price


@dataclass(frozen=True)
class Shop:
    org_id: str
    slug: str
    name: str
    registrations: frozenset[str]
    markets: tuple[str, ...]  # where at least one product is listed and visible


async def shop_by_slug(s: AsyncSession, slug: str) -> Shop:
    org = await s.scalar(select(Org).where(Org.slug == slug[:60]))
    if org is None or org.id == PLATFORM_ORG_ID:
        raise NotFound("shop", slug[:60], code="shop_not_found")
    markets = (await s.scalars(select(Listing.market).where(
        Listing.org_id == org.id, Listing.visible.is_(True)).distinct())).all()
    return Shop(org.id, org.slug, org.name, frozenset(org.registrations or ()),
                tuple(sorted(markets)))


def pick_market(shop: Shop, *, buyer_country: str | None, accept_language: str | None,
                asked: str | None) -> str | None:
    """The market a visitor sees: the one asked for (a chooser's link), else the signed-in
    buyer's country, else the region of their first ``Accept-Language`` tag that names one
    the seller lists in; None means: show the chooser."""
    for candidate in (asked, buyer_country):
        if candidate and len(candidate) == 2 and candidate.upper() in shop.markets:
            return candidate.upper()
    for tag in (accept_language or "").split(",")[:10]:
        if _quality(tag) <= 0:
            continue  # q=0 means "not acceptable"
        parts = tag.split(";")[0].strip().replace("_", "-").split("-")
        if len(parts) >= 2 and len(parts[-1]) == 2 and parts[-1].upper() in shop.markets:
            return parts[-1].upper()
    return None


def _quality(tag: str) -> float:
    for param in tag.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


@dataclass(frozen=True)
class Listed:
    """A product as listed in one market, with its SKUs and what they cost there."""

    product: Product
    listing: Listing
    skus: tuple[Sku, ...]
    available: dict[str, int]  # sku id -> units free in the warehouse chosen for it
    delivery: Delivery | None
    warehouse_id: str | None
    price: Price
    notices: tuple[str, ...]  # restricted-goods notices for the market


async def warehouses(s: AsyncSession, org_id: str) -> list[Warehouse]:
    return list((await s.scalars(select(Warehouse).where(Warehouse.org_id == org_id)
                                 .order_by(Warehouse.code))).all())


def default_delivery(market: str, sku_ids: list[str], houses: list[Warehouse],
                     available: dict[tuple[str, str], int]
                     ) -> tuple[Delivery | None, str | None]:
    """The lane routing would use for one unit of the first SKU in stock: the delivery
    every shown price includes. With nothing in stock, the fastest lane serving the market
    (the price stays honest about delivery; the buy button says out of stock)."""
    depots = [stock.depot(w) for w in houses]
    for sku_id in sku_ids:
        try:
            leg = routing.route(market, {sku_id: 1}, depots, available).legs[0]
        except routing.NoRoute:
            continue
        code = next(w.code for w in houses if w.id == leg.warehouse_id)
        return (Delivery(code, leg.lane.min_days, leg.lane.max_days, leg.lane.cost_minor),
                leg.warehouse_id)
    serving = sorted((d for d in depots if market in d.lanes),
                     key=lambda d: (d.lanes[market].max_days, d.lanes[market].cost_minor))
    if not serving:
        return None, None
    lane = serving[0].lanes[market]
    return Delivery(serving[0].code, lane.min_days, lane.max_days, lane.cost_minor), \
        serving[0].id


def goods_of(product: Product, sku: Sku | None, listing: Listing, quantity: int = 1) -> Goods:
    weight = sku.weight_g if sku is not None and sku.weight_g else product.weight_g
    return Goods(product.hs_code, product.origin_country, weight, listing.price_minor,
                 listing.currency, quantity)


async def listed(s: AsyncSession, shop: Shop, product_id: str, market: str,
                 data_dir: Path | None = None) -> Listed:
    """A product of the shop as the market sees it; ``product_not_listed`` when the seller
    does not list it there."""
    product = await s.scalar(select(Product).where(Product.id == product_id[:40],
                                                   Product.org_id == shop.org_id))
    if product is None or product.status != "active":
        raise NotFound("product", product_id[:40], code="product_not_found")
    listing = next((li for li in product.listings if li.market == market and li.visible),
                   None)
    if listing is None:
        raise NotFound(f"product in {market}", product_id[:40], code="product_not_listed")
    return await listed_with_price(s, shop, product, listing, market, data_dir)


async def listed_with_price(s: AsyncSession, shop: Shop, product: Product, listing: Listing,
                  market: str, data_dir: Path | None,
                  houses: list[Warehouse] | None = None) -> Listed:
    skus = tuple(product.skus)
    houses = houses if houses is not None else await warehouses(s, shop.org_id)
    avail = await stock.available_map(s, shop.org_id, [k.id for k in skus])
    delivery, wh_id = default_delivery(market, [k.id for k in skus], houses, avail)
    rules = rulebook(data_dir)
    today = utcnow().date()
    shown = pricing.price(rules, market, today, [goods_of(product, skus[0] if skus else None,
                                                          listing)], delivery,
                          shop.registrations)
    notices = tuple(r.message for r in flags(rules.restrictions, market, today,
                                             product.hs_code, ()))
    return Listed(product, listing, skus,
                  {k.id: avail.get((k.id, wh_id), 0) if wh_id else 0 for k in skus},
                  delivery, wh_id, shown, notices)


async def storefront(s: AsyncSession, shop: Shop, market: str, data_dir: Path | None = None,
                     limit: int = 60) -> list[Listed]:
    """Every active product the shop lists in the market, newest first."""
    rows = (await s.scalars(select(Product).join(
        Listing, Listing.product_id == Product.id).where(
        Product.org_id == shop.org_id, Product.status == "active", Listing.market == market,
        Listing.visible.is_(True)).order_by(Product.created_at.desc(), Product.id)
        .limit(limit))).all()
    houses = await warehouses(s, shop.org_id)
    out = []
    for p in rows:
        listing = next(li for li in p.listings if li.market == market)
        out.append(await listed_with_price(s, shop, p, listing, market, data_dir, houses))
    return out
