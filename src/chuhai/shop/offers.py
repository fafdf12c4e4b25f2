"""Delivered prices for a room's offers: each drop line and auction at the price a buyer in
its market pays — goods, delivery from the line's warehouse, duty, taxes and fees — so the
drop shows the number checkout will ask, not the bare goods price.

A drop line's price and lane do not change while it sells, so its delivered price is kept
per line (the room's ticker announces stock twice a second).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.accounts.models import Org
from chuhai.catalog.models import Product, Sku
from chuhai.core.clock import utcnow
from chuhai.crossborder.loader import rulebook
from chuhai.inventory.models import Auction, Drop, DropLine, Warehouse
from chuhai.markets.profiles import get_profile
from chuhai.shop import pricing
from chuhai.shop.pricing import Delivery, Goods

_CACHE: dict[tuple[str, int], dict[str, Any]] = {}


async def _delivered(s: AsyncSession, org_id: str, sku_id: str, market: str,
                     warehouse_id: str, price_minor: int, currency: str,
                     data_dir: Path | None) -> dict[str, Any]:
    row = (await s.execute(select(Product, Sku.weight_g, Warehouse, Org.registrations).join(
        Sku, Sku.product_id == Product.id).join(Org, Org.id == Product.org_id).join(
        Warehouse, Warehouse.id == warehouse_id).where(
        Sku.id == sku_id, Product.org_id == org_id))).first()
    if row is None:
        return {}
    product, sku_weight, wh, regs = row
    lane = wh.lanes.get(market)
    delivery = None if lane is None else Delivery(wh.code, int(lane["min_days"]),
                                                   int(lane["max_days"]),
                                                   int(lane["cost_minor"]))
    shown = pricing.price(rulebook(data_dir), market, utcnow().date(), [Goods(
        product.hs_code, product.origin_country, sku_weight or product.weight_g, price_minor,
        currency)], delivery, frozenset(regs or ()))
    profile = get_profile(market)
    locale = profile.default_locale if profile else "en_US"
    language = profile.default_language if profile else "en"
    return {"delivered": shown.as_dict(locale, language)}


async def drop_lines(s: AsyncSession, drop: Drop, lines: list[DropLine],
                     data_dir: Path | None = None) -> dict[str, dict[str, Any]]:
    """line id → {"delivered": price dict} for every line of the drop."""
    out = {}
    for ln in lines:
        key = (ln.id, ln.price_minor)
        if key not in _CACHE:
            if len(_CACHE) > 5000:
                _CACHE.clear()
            _CACHE[key] = await _delivered(s, drop.org_id, ln.sku_id, ln.market,
                                           ln.warehouse_id, ln.price_minor, ln.currency,
                                           data_dir)
        out[ln.id] = _CACHE[key]
    return out


async def auction(s: AsyncSession, a: Auction, data_dir: Path | None = None
                  ) -> dict[str, Any]:
    """The delivered price of the auction's current price (the start price before bids)."""
    current = a.price_minor if a.price_minor is not None else a.start_minor
    return await _delivered(s, a.org_id, a.sku_id, a.market, a.warehouse_id, current,
                            a.currency, data_dir)
