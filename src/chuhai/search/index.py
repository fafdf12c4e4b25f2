"""Keeping the search index in step with the catalog.

A product's documents (one per visible listing) are rebuilt whenever its ``updated_at`` is
newer than what they were built from; the catalog bumps it on every change to the product,
its SKUs or its listings. ``refresh`` finds those products (an index on
``products.updated_at``; a minute of overlap so a transaction that committed late is not
missed) and is called before a search and by ``chuhai search reindex``; deleting a product
or listing deletes its documents (foreign keys). Each document carries the delivered price
the storefront shows (shop/catalog.py), so price facets are what the buyer pays.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.accounts.models import Org
from chuhai.catalog.models import Listing, Product
from chuhai.inventory.models import StockEntry, Warehouse
from chuhai.search import text
from chuhai.search.models import SearchDocument
from chuhai.shop import catalog

log = logging.getLogger("chuhai.search")
OVERLAP = timedelta(minutes=1)
BATCH = 200


@dataclass
class Progress:
    indexed: int = 0
    removed: int = 0


async def stale_products(s: AsyncSession, limit: int | None = None) -> list[str]:
    """Products changed since their documents were built (or never indexed)."""
    mark = await s.scalar(select(func.max(SearchDocument.source_updated_at)))
    q = select(Product.id, Product.updated_at).order_by(Product.updated_at)
    if mark is not None:
        q = q.where(Product.updated_at > mark - OVERLAP)
    rows = (await s.execute(q.limit(limit) if limit else q)).all()
    if not rows:
        return []
    built = dict((await s.execute(
        select(SearchDocument.product_id, func.min(SearchDocument.source_updated_at))
        .where(SearchDocument.product_id.in_([r[0] for r in rows]))
        .group_by(SearchDocument.product_id))).all())
    return [pid for pid, at in rows if built.get(pid) != at]


async def refresh(s: AsyncSession, data_dir: Path | None = None,
                  limit: int | None = None) -> Progress:
    """Rebuild the documents of every stale product (in batches; the caller commits)."""
    progress = Progress()
    ids = await stale_products(s, limit)
    for i in range(0, len(ids), BATCH):
        p = await index_products(s, ids[i:i + BATCH], data_dir)
        progress.indexed += p.indexed
        progress.removed += p.removed
    return progress


async def index_products(s: AsyncSession, product_ids: list[str],
                         data_dir: Path | None = None) -> Progress:
    """Replace the documents of ``product_ids`` with their listings as they are now."""
    progress = Progress()
    if not product_ids:
        return progress
    gone = await s.execute(delete(SearchDocument).where(
        SearchDocument.product_id.in_(product_ids)))
    progress.removed = int(gone.rowcount or 0)  # type: ignore[attr-defined]
    products = (await s.scalars(select(Product).where(Product.id.in_(product_ids)))).all()
    sold = await _units_sold(s, [k.id for p in products for k in p.skus])
    shops: dict[str, tuple[catalog.Shop, list[Warehouse]] | None] = {}
    for product in products:
        if product.status != "active":
            continue
        if product.org_id not in shops:  # each seller read once per batch
            shop = await _shop(s, product.org_id)
            shops[product.org_id] = None if shop is None else (
                shop, await catalog.warehouses(s, shop.org_id))
        seller = shops[product.org_id]
        if seller is None:
            continue
        shop, houses = seller
        for listing in product.listings:
            if not listing.visible:
                continue
            s.add(await _document(s, shop, product, listing, houses, data_dir,
                                  sum(sold.get(k.id, 0) for k in product.skus)))
            progress.indexed += 1
    await s.flush()
    return progress


async def _shop(s: AsyncSession, org_id: str) -> catalog.Shop | None:
    slug = await s.scalar(select(Org.slug).where(Org.id == org_id))
    try:
        return await catalog.shop_by_slug(s, slug) if slug else None
    except Exception:  # the platform org, or an org without a shop: nothing to search
        return None


async def _units_sold(s: AsyncSession, sku_ids: list[str]) -> dict[str, int]:
    if not sku_ids:
        return {}
    rows = await s.execute(select(StockEntry.sku_id, func.sum(StockEntry.d_reserved))
                           .where(StockEntry.sku_id.in_(sku_ids), StockEntry.kind == "sell")
                           .group_by(StockEntry.sku_id))
    return {k: int(n or 0) for k, n in rows.all()}


async def _document(s: AsyncSession, shop: catalog.Shop, product: Product, listing: Listing,
                    houses: list[Warehouse], data_dir: Path | None,
                    popularity: int) -> SearchDocument:
    try:
        shown = await catalog.listed_with_price(s, shop, product, listing, listing.market, data_dir,
                                      houses)
        landed = shown.price.total_minor
    except Exception:  # no rules for the market yet: the listed price, said so in the log
        log.warning("no delivered price for %s in %s; indexing the listed price",
                    product.id, listing.market, exc_info=True)
        landed = listing.price_minor
    attributes = [str(v) for k in product.skus for v in (k.attributes or {}).values()]
    doc = text.document(title=listing.title, brand=product.brand,
                        description=listing.description or product.description,
                        attributes=attributes, language=listing.language,
                        market=listing.market, org_id=product.org_id)
    return SearchDocument(
        listing_id=listing.id, product_id=product.id, org_id=product.org_id,
        market=listing.market, language=listing.language, title=listing.title[:200],
        image=(product.images or [""])[0][:500], hs_chapter=(product.hs_code or "00")[:2],
        landed_minor=landed, currency=listing.currency, popularity=popularity,
        title_tokens=doc.title_tokens, body_tokens=doc.body_tokens,
        words=" ".join(doc.words), source_updated_at=product.updated_at)
