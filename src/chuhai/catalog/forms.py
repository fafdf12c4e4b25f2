"""The product form in the console: its fields turned into catalog input, listing prices
read as the console writes them for each market, and validation errors turned back into
plain-words messages next to the fields that caused them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_group_symbol,
    parse_decimal,
)
from pydantic import ValidationError

from chuhai.catalog.models import Product
from chuhai.core.money import Money, MoneyError, minor_digits
from chuhai.markets.profiles import get_profile

LISTING_ROWS = 4
MAX_LISTING_ROWS = 50
_PLAIN = re.compile(r"^\d+(\.\d+)?$")  # the machine form: 1234.56, no grouping
_SPACES = ("\u0020", "\u00a0", "\u202f")

# What the form says instead of Pydantic's generic wording, by (field, error type).
WEIGHT_REQUIRED = ("Weight is required: enter the packed weight in whole grams, e.g. 285 "
                   "(shipping and duties depend on it).")
_MESSAGES = {
    ("weight_g", "missing"): WEIGHT_REQUIRED,
    ("weight_g", "int_parsing"): WEIGHT_REQUIRED,
    ("weight_g", "int_from_float"): WEIGHT_REQUIRED,
    ("weight_g", "int_type"): WEIGHT_REQUIRED,
    ("weight_g", "greater_than"): "Weight must be at least 1 gram.",
    ("weight_g", "less_than_equal"): "Weight must be at most 1,000,000 grams (one tonne).",
}


def market_locale(market: str) -> str | None:
    """The locale the console formats ``market``'s prices in (None: unknown market)."""
    profile = get_profile(market.strip().upper()) if market.strip() else None
    return profile.default_locale if profile else None


def read_local_amount(text: str, locale: str) -> str:
    """A price typed the way the console shows it for ``locale`` (``19,99`` in de_DE,
    ``1,234.50`` in en_US) → the plain decimal text the catalog takes (``19.99``).

    A plain ``19.99`` is accepted everywhere too, unless the locale reads the same text as
    another number (``1.234`` is 1234 in German, 1.234 with a decimal point): such
    ambiguous input is refused with a message that says how to write it."""
    text = text.strip()
    if not text:
        return text
    group = get_group_symbol(locale)
    if group in _SPACES:  # people type an ordinary space where the locale has a narrow one
        for space in _SPACES:
            text = text.replace(space, group)
    example = format_decimal(Decimal("1234.56"), format="#,##0.00", locale=locale)
    if any(c.isalpha() for c in text) or len(text) > 40:
        raise ValueError(f"“{text}” is not a price: write it like {example}.")
    plain = Decimal(text) if _PLAIN.match(text) else None
    try:
        local: Decimal | None = parse_decimal(text, locale, strict=True)
    except NumberFormatError:
        local = None
    if plain is not None and local is not None and plain != local:
        # Only a dot can be read both ways: a decimal point, or this locale's grouping.
        grouped, pointed = _show(local, locale), _show(plain, locale)
        raise ValueError(f"“{text}” is ambiguous: {grouped} if the dot separates thousands, "
                         f"{pointed} if it is a decimal point. Write {grouped} or {pointed}.")
    value = local if local is not None else plain
    if value is None:
        raise ValueError(f"“{text}” is not a price: write it like {example}.")
    return str(value)


def _show(value: Decimal, locale: str) -> str:
    places = max(0, -int(value.as_tuple().exponent))
    pattern = "0." + "0" * places if places else "0"
    return format_decimal(value, format=pattern, locale=locale)


def local_price(amount: Decimal, currency: str, market: str) -> str:
    """``amount`` written as the console shows it for ``market``, without grouping, so
    the edit form shows ``84,99`` for a German listing and reads it back unchanged."""
    locale = market_locale(market) or "en_US"
    try:
        places = minor_digits(currency)
    except MoneyError:
        return str(amount)
    pattern = "0." + "0" * places if places else "0"
    return format_decimal(amount, format=pattern, locale=locale)


@dataclass
class ProductForm:
    """The product form read: ``data`` for ``ProductIn``, the ``errors`` found while
    reading (a listing price that is not a price in its market's number format), and the
    form row each listing came from (rows left blank are skipped)."""

    data: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)

    def with_errors(self, exc: ValidationError | None = None) -> dict[str, str]:
        """Every error keyed by form field name: the model's (``exc``) and the reading's."""
        out = form_errors(exc, self.rows) if exc is not None else {}
        return {**out, **self.errors}


def read_product_form(form: dict[str, str]) -> ProductForm:
    """Form fields → a dict for ``ProductIn`` (blank optional fields left out)."""
    data: dict[str, Any] = {}
    read = ProductForm(data)
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
        price = form.get(f"listing_{i}_price", "").strip()
        locale = market_locale(market)
        if locale:
            try:
                price = read_local_amount(price, locale)
            except ValueError as exc:
                read.errors[f"listing_{i}_price"] = str(exc)
        read.rows.append(i)
        listings.append({
            "market": market,
            "title": form.get(f"listing_{i}_title", "").strip(),
            "description": form.get(f"listing_{i}_description", "").strip(),
            "price": price,
            "visible": form.get(f"listing_{i}_visible") == "on",
        })
    data["listings"] = listings
    return read


def form_errors(exc: ValidationError, rows: list[int] | None = None) -> dict[str, str]:
    """Pydantic errors keyed by form field name (``listing_0_price``, ``skus`` …);
    ``rows[n]`` is the form row of the n-th listing (default: the n-th row)."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if loc and loc[0] == "listings" and len(loc) >= 2:
            n = int(loc[1]) if loc[1].isdigit() else 0
            row = rows[n] if rows and n < len(rows) else n
            key = f"listing_{row}_{loc[2]}" if len(loc) > 2 else f"listing_{row}_market"
        elif loc and loc[0] == "skus":
            key = "skus"
        else:
            key = loc[0] if loc else "form"
        message = _MESSAGES.get((key, err["type"])) or str(err["msg"]).removeprefix(
            "Value error, ")
        out.setdefault(key, message)
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
        form[f"listing_{i}_price"] = local_price(
            Money.from_minor(li.price_minor, li.currency).amount, li.currency, li.market)
        form[f"listing_{i}_visible"] = "on" if li.visible else ""
    return form
