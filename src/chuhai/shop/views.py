"""What the buyer's pages and the shop API show: products, the cart and orders as plain
dicts, money always in the buyer's locale (never ``74.85 EUR`` beside ``74,85 €``).
"""

from __future__ import annotations

from typing import Any

from chuhai.checkout.models import Order
from chuhai.core.money import Money
from chuhai.markets.profiles import get_profile
from chuhai.shop.cart import CartView
from chuhai.shop.catalog import Listed
from chuhai.web.i18n import N_, gettext

# What a reason for a basket price differing from its items' prices means to a buyer.
REASONS = {
    "delivery_once": N_("One parcel, one delivery: each item's price included its own "
                        "delivery."),
    "threshold": N_("Together the items cross a customs threshold (%(rule)s), so duty or "
                    "tax is worked out on the whole parcel."),
    "per_parcel": N_("Duty or border fees are charged once for the parcel, not once per "
                     "item."),
}


def language_for(market: str, language: str | None = None) -> str:
    profile = get_profile(market)
    return language or (profile.default_language if profile else "en")


def money(minor: int, currency: str, locale: str) -> str:
    return Money.from_minor(minor, currency).format(locale)


def product(item: Listed, slug: str, market: str, locale: str, language: str
            ) -> dict[str, Any]:
    p, li = item.product, item.listing
    d = item.delivery
    return {
        "id": p.id, "code": p.code, "title": li.title, "description": li.description
        or p.description, "brand": p.brand, "images": list(p.images or ()),
        "language": li.language, "market": market,
        "url": f"/shop/{slug}/products/{p.id}?market={market}",
        "price": item.price.as_dict(locale, language),
        "delivery": None if d is None else {
            "warehouse": d.warehouse_code, "min_days": d.min_days, "max_days": d.max_days},
        "skus": [{"id": k.id, "code": k.code, "attributes": dict(k.attributes or {}),
                  "available": item.available.get(k.id, 0)} for k in item.skus],
        "in_stock": any(n > 0 for n in item.available.values()),
        "notices": list(item.notices),
        "markets": sorted(x.market for x in p.listings if x.visible),
    }


def reason_text(code: str) -> str:
    """A reason, in the language active for this request (``web.i18n``)."""
    if code.startswith("threshold:"):
        return gettext(REASONS["threshold"], rule=code.split(":", 1)[1])
    return gettext(REASONS[code]) if code in REASONS else code


def cart(view: CartView, locale: str, language: str) -> dict[str, Any]:
    lines = [{"sku_id": ln.line.sku_id, "sku_code": ln.sku_code, "title": ln.title,
              "attributes": ln.attributes, "image": ln.image, "product_id": ln.product_id,
              "quantity": ln.line.quantity, "held": ln.held,
              "hold_expires_at": ln.expires_at.isoformat() if ln.expires_at else None,
              "unit_price_display": money(ln.line.price_minor, ln.line.currency, locale),
              "price_alone": ln.single.as_dict(locale, language)} for ln in view.lines]
    out: dict[str, Any] = {"shop": view.shop.slug, "market": view.market, "lines": lines,
                           "all_held": view.all_held, "total": None, "reasons": [],
                           "delivery": None}
    if view.price is not None:
        total = view.price.total
        out["total"] = total.as_dict(locale, language)
        out["sum_of_items_display"] = money(view.price.sum_of_lines_minor, total.currency,
                                            locale)
        out["differs"] = view.price.difference_minor != 0
        out["reasons"] = [{"code": r, "text": reason_text(r)} for r in view.price.reasons]
    if view.delivery is not None:
        out["delivery"] = {"warehouse": view.delivery.warehouse_code,
                           "min_days": view.delivery.min_days,
                           "max_days": view.delivery.max_days}
    return out


def order(o: Order, locale: str) -> dict[str, Any]:
    """An order as its buyer reads it: every amount in their locale."""
    def m(minor: int) -> str:
        return money(minor, o.currency, locale)

    return {"id": o.id, "status": o.status, "source": o.source, "market": o.market,
            "items": [{**i, "unit_price_display": m(int(i["unit_price_minor"])),
                       "line_display": m(int(i["unit_price_minor"]) * int(i["quantity"]))}
                      for i in o.items],
            "subtotal": m(o.subtotal_minor), "shipping": m(o.shipping_minor),
            "duty": m(o.duty_minor), "tax": m(o.tax_minor), "fees": m(o.fees_minor),
            "total": m(o.total_minor), "duties_note": o.duties_note,
            "delivery_min_days": o.delivery_min_days, "delivery_max_days": o.delivery_max_days,
            "tracking": o.tracking, "created_at": o.created_at}
