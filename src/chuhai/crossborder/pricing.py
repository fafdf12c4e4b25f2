"""Prices for another market: convert, round to the currency's minor unit, charm, display.

Charm pricing is a seller's choice per market (12.99 in the US, 12,90 € in Germany, ¥1,280
in Japan), so it is an option, never applied silently. A charm ending only ever rounds *up*
to the next price with that ending: a converted price never drops below its FX value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Literal

from chuhai.core.money import Money, minor_digits, minor_step
from chuhai.crossborder.fx import RateTable

Charm = Literal["none", "99", "95", "90", "80", "00"]
CHARMS: tuple[str, ...] = ("none", "99", "95", "90", "80", "00")


def charm_price(amount: Decimal, currency: str, charm: Charm = "none") -> Decimal:
    """The smallest price ≥ ``amount`` ending in ``charm``.

    For currencies with minor units the ending is the cents (12.31 → 12.99 with "99"); for
    currencies without (JPY, KRW) it is the last two digits of the major unit (1,231 → 1,280
    with "80"). "00" rounds up to a whole unit (or to a hundred for JPY/KRW).
    """
    step = minor_step(currency)
    exact = amount.quantize(step, rounding=ROUND_HALF_UP)
    if charm == "none":
        return exact
    ending = Decimal(charm)
    if minor_digits(currency) == 0:
        base = (exact / 100).to_integral_value(rounding=ROUND_CEILING) * 100
        candidate = base - 100 + ending if charm != "00" else base
        if candidate < exact:
            candidate += 100
        return candidate.quantize(step)
    scale = Decimal(10) ** minor_digits(currency)
    whole = exact.to_integral_value(rounding=ROUND_CEILING)
    candidate = whole - 1 + ending / scale if charm != "00" else whole
    if candidate < exact:
        candidate += 1
    return candidate.quantize(step)


@dataclass(frozen=True)
class Converted:
    amount: Decimal
    currency: str
    display: str
    rate_date: date | None


def convert_price(fx: RateTable, amount: Decimal, src: str, dst: str, day: date,
                  locale: str, charm: Charm = "none") -> Converted:
    """``amount`` of ``src`` as a price in ``dst`` on ``day``, charmed and formatted."""
    exact = fx.convert(amount, src, dst, day)
    price = charm_price(exact, dst, charm)
    used = None if dst == src == "EUR" else fx.per_eur(dst if dst != "EUR" else src, day).on
    return Converted(price, dst, Money(price, dst).format(locale), used)
