"""Price-reduction claims against the product's own price history.

The EU's Omnibus rule (Price Indication Directive 98/6/EC art. 6a, in force 2022-05-28):
any announced reduction must name as the prior price the lowest price the trader applied
in the 30 days before the reduction; the CJEU (C-330/23 Aldi Süd, 2024-09-26) held that
the percentage must be computed from that price too. When a host names a former price
("was €99, now €49") we compare it with the lowest price of the last 30 days; a higher
"was" price is blocked in EU markets. Pure.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from chuhai.comms.screening.findings import Finding

EU_MARKETS = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"})
OMNIBUS_SOURCES = (
    "https://eur-lex.europa.eu/eli/dir/2019/2161/oj",
    "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:62023CJ0330",
)
OMNIBUS_FROM = dt.date(2022, 5, 28)

# an amount with a currency sign or code on either side: "€99", "99 €", "99,90 EUR", "$49"
_AMOUNT = re.compile(
    r"(?:(?P<pre>[€$£¥₩]|eur|usd|gbp|r\$)\s?(?P<a>\d{1,6}(?:[.,]\d{3})*(?:[.,]\d{1,2})?))"
    r"|(?:(?P<b>\d{1,6}(?:[.,]\d{3})*(?:[.,]\d{1,2})?)\s?(?P<post>[€$£¥₩元円원]|eur|euro|"
    r"euros|usd|gbp|dollars?|pounds?|yuan|rmb|reais))", re.IGNORECASE)


@dataclass(frozen=True)
class PriceHistory:
    """The pinned product's prices in the market's currency (minor units), newest last."""

    currency: str
    current_minor: int
    lowest_30d_minor: int
    exponent: int = 2


def _to_minor(raw: str, exponent: int) -> int:
    # "1.299,00" / "1,299.00" / "99,90" / "99": the last separator followed by 1–2 digits
    # is the decimal point, every other separator groups thousands.
    m = re.match(r"^(.*?)(?:[.,](\d{1,2}))?$", raw)
    whole = re.sub(r"[.,]", "", m.group(1)) if m else raw
    frac = (m.group(2) or "") if m else ""
    minor: int = int(whole or "0") * 10**exponent + int((frac + "00")[:exponent] or "0")
    return minor


def named_amounts(text: str, exponent: int = 2) -> list[tuple[int, int, int]]:
    """(minor units, start, end) of each amount with a currency in the line."""
    out = []
    for m in _AMOUNT.finditer(text):
        raw = m.group("a") or m.group("b")
        out.append((_to_minor(raw, exponent), m.start(), m.end()))
    return out


def check_reduction(text: str, market: str, prices: PriceHistory,
                    on: dt.date) -> list[Finding]:
    if market not in EU_MARKETS or on < OMNIBUS_FROM:
        return []
    amounts = named_amounts(text, prices.exponent)
    if len(amounts) < 1:
        return []
    claimed, start, end = max(amounts)
    if claimed <= prices.current_minor or claimed <= prices.lowest_30d_minor:
        return []
    lowest = prices.lowest_30d_minor / 10**prices.exponent
    return [Finding(
        "EU.omnibus.prior_price", "price_claim", "block", start, end, text[start:end],
        OMNIBUS_SOURCES[0],
        f"Name the lowest price of the last 30 days as the former price: "
        f"{lowest:.{prices.exponent}f} {prices.currency}, and compute any percentage from it.",
        "Directive 98/6/EC art. 6a (Omnibus 2019/2161): the prior price of an announced "
        "reduction is the lowest price applied in the 30 days before it.",
        OMNIBUS_SOURCES)]
