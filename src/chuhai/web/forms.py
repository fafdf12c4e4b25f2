"""Turning console form fields into catalog input, and validation errors back into
messages next to the fields that caused them."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from chuhai.catalog.models import Product
from chuhai.core.money import Money

LISTING_ROWS = 4
MAX_LISTING_ROWS = 50


def product_form_data(form: dict[str, str]) -> dict[str, Any]:
    """Form fields → a dict for ``ProductIn`` (blank optional fields left out)."""
    data: dict[str, Any] = {}
    for key in ("code", "title", "description", "brand", "hs_code", "origin_country",
                "customs_value", "customs_currency"):
        data[key] = form.get(key, "").strip()
    for key in ("weight_g", "length_mm", "width_mm", "height_mm"):
        value = form.get(key, "").strip()
        if value or key == "weight_g":
            data[key] = value
    data["certifications"] = [c for c in form.get("certifications", "").replace(",", ";")
                              .split(";") if c.strip()]
    data["images"] = [u.strip() for u in form.get("images", "").splitlines() if u.strip()]
    skus = []
    for line in form.get("skus", "").splitlines():
        parts = [p.strip() for p in line.split(";") if p.strip()]
        if not parts:
            continue
        attrs = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        skus.append({"code": parts[0], "attributes": {k.strip(): v.strip()
                                                      for k, v in attrs.items()}})
    data["skus"] = skus
    listings = []
    for i in range(MAX_LISTING_ROWS):
        market = form.get(f"listing_{i}_market", "").strip()
        if not market:
            continue
        listings.append({
            "market": market,
            "title": form.get(f"listing_{i}_title", "").strip(),
            "description": form.get(f"listing_{i}_description", "").strip(),
            "price": form.get(f"listing_{i}_price", "").strip(),
            "visible": form.get(f"listing_{i}_visible") == "on",
        })
    data["listings"] = listings
    return data


def form_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic errors keyed by form field name (``listing_0_price``, ``skus`` …)."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if loc and loc[0] == "listings" and len(loc) >= 2:
            key = f"listing_{loc[1]}_{loc[2]}" if len(loc) > 2 else f"listing_{loc[1]}_market"
        elif loc and loc[0] == "skus":
            key = "skus"
        else:
            key = loc[0] if loc else "form"
        out.setdefault(key, str(err["msg"]).removeprefix("Value error, "))
    return out


def product_to_form(product: Product) -> dict[str, str]:
    form = {
        "code": product.code, "title": product.title, "description": product.description,
        "brand": product.brand, "hs_code": product.hs_code,
        "origin_country": product.origin_country, "weight_g": str(product.weight_g),
        "length_mm": str(product.length_mm or ""), "width_mm": str(product.width_mm or ""),
        "height_mm": str(product.height_mm or ""),
        "customs_value": str(Money.from_minor(product.customs_value_minor,
                                             product.customs_currency).amount),
        "customs_currency": product.customs_currency,
        "certifications": "; ".join(product.certifications),
        "images": "\n".join(product.images),
        "skus": "\n".join("; ".join([s.code] + [f"{k}={v}" for k, v in s.attributes.items()])
                          for s in product.skus),
    }
    for i, li in enumerate(product.listings[:MAX_LISTING_ROWS]):
        form[f"listing_{i}_market"] = li.market
        form[f"listing_{i}_title"] = li.title
        form[f"listing_{i}_description"] = li.description
        form[f"listing_{i}_price"] = str(Money.from_minor(li.price_minor, li.currency).amount)
        form[f"listing_{i}_visible"] = "on" if li.visible else ""
    return form
