"""Money as ``Decimal`` + ISO 4217 code, stored as integer minor units; never float.

The number of minor digits comes from CLDR through babel (JPY 0, USD 2, KWD 3), so a new
currency needs no code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

import pycountry
from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision

# Far above any price or order total, far below where Decimal arithmetic or a BIGINT of
# minor units (KWD has 3 digits) could overflow.
MAX_DIGITS = 15


class MoneyError(ValueError):
    """An amount or currency that cannot be money."""

    code = "invalid_input"


class UnknownLocale(MoneyError):
    """A locale tag CLDR has no data for: money cannot be displayed in it."""

    code = "unknown_locale"


@cache
def minor_digits(currency: str) -> int:
    """Digits after the decimal point in ``currency``'s minor unit.

    Cached: quotes round every charge, and the lookup costs more than the rounding. Only
    valid codes are cached (an invalid one raises), so the cache is bounded by ISO 4217.
    """
    if pycountry.currencies.get(alpha_3=currency) is None:
        raise MoneyError(f"{currency!r} is not an ISO 4217 currency")
    return int(get_currency_precision(currency))


def parse_amount(text: str | int | Decimal, currency: str) -> Decimal:
    """Read a decimal amount, refusing what would lose precision in the currency or is too
    large to be money. The one parser every price, bid and value goes through."""
    if isinstance(text, float):
        raise MoneyError("amounts must not be floats")
    raw = str(text).strip()
    if len(raw) > 40:
        raise MoneyError("amount text is too long")
    try:
        amount = Decimal(raw)
    except InvalidOperation as exc:
        raise MoneyError(f"{text!r} is not a number") from exc
    if not amount.is_finite():
        raise MoneyError(f"{text!r} is not a finite amount")
    if amount and amount.adjusted() >= MAX_DIGITS:  # adjusted(): no arithmetic, no overflow
        raise MoneyError(f"{text!r} is too large for an amount of money")
    digits = minor_digits(currency)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits:
        # Trailing zeros are exact ("0.00" yen is zero yen); only a digit that would be
        # rounded away ("3.7" yen) loses precision.
        exact = amount.quantize(minor_step(currency))
        if exact != amount:
            raise MoneyError(f"{currency} has {digits} decimal place(s); {text!r} has more")
        amount = exact
    return amount


@dataclass(frozen=True, order=False)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        return cls(parse_amount(amount, currency), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        return cls(Decimal(minor).scaleb(-minor_digits(currency)), currency)

    def to_minor(self) -> int:
        return to_minor(self.amount, self.currency)

    def format(self, locale: str = "en_US") -> str:
        return format_currency(self.amount, self.currency, locale=_locale(locale))


@cache
def _locale(tag: str) -> Locale:
    # Locale.parse on every call costs as much as the formatting itself (bench/catalog_list).
    try:
        return Locale.parse(tag)
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise UnknownLocale(f"{tag!r} is not a locale chuhai can display money in") from exc


@cache
def minor_step(currency: str) -> Decimal:
    """The currency's smallest unit as a Decimal exponent (0.01, 1, 0.001), for quantize."""
    return Decimal(1).scaleb(-minor_digits(currency))


def quantize(amount: Decimal, currency: str, *, bankers: bool = False) -> Decimal:
    """Round to the currency's minor unit (half-up unless ``bankers``)."""
    step = minor_step(currency)
    return amount.quantize(step, rounding=ROUND_HALF_EVEN if bankers else ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str) -> int:
    digits = minor_digits(currency)
    return int(quantize(amount, currency).scaleb(digits))


def format_minor(minor: int, currency: str, locale: str = "en_US") -> str:
    return Money.from_minor(minor, currency).format(locale)
