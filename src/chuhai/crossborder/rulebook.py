"""Every rule a quote can use, assembled once, with a per-(market, day) view cached.

A quote runs thousands of times a second, so the work of picking the rules in force for a
market on a day happens once per (market, day) and is kept; the quote itself only filters the
few conditional rules (ship-from, mode) and does arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, TypeVar

from chuhai.crossborder.basket import QuoteError
from chuhai.crossborder.fx import RateTable
from chuhai.crossborder.regime import (
    DutyBand,
    DutyDefault,
    DutyFlat,
    DutyRelief,
    Fee,
    GlobalRate,
    ImportTax,
    RegimeFile,
    SellerCollection,
    TaxRelief,
    Valuation,
)
from chuhai.crossborder.restricted import Restriction, flags
from chuhai.crossborder.tariffs import Tariff

R = TypeVar("R")


@dataclass(frozen=True)
class MarketView:
    """A market's rules in force on one day, sorted by kind."""

    market: str
    currency: str
    day: date
    valuation: Valuation
    duty_reliefs: tuple[DutyRelief, ...]
    tax_reliefs: tuple[TaxRelief, ...]
    taxes: tuple[ImportTax, ...]  # category rates (longest prefix first), then standard
    collections: tuple[SellerCollection, ...]
    flats: tuple[DutyFlat, ...]
    bands: tuple[DutyBand, ...]
    global_rates: tuple[GlobalRate, ...]
    default: DutyDefault | None
    fees: tuple[Fee, ...]
    tariff: Tariff | None

    memo: dict[str, ImportTax | None] = field(default_factory=dict, compare=False)
    picked: dict[tuple[str, str | None, str], list[Any]] = field(default_factory=dict,
                                                                  compare=False)

    def pick(self, kind: str, ship_from: str | None, mode: str) -> list[Any]:
        """``applicable(getattr(self, kind), …)``, memoized per parcel shape."""
        key = (kind, ship_from, mode)
        found = self.picked.get(key)
        if found is None:
            found = applicable(getattr(self, kind), ship_from, mode)
            if len(self.picked) < 10_000:
                self.picked[key] = found
        return found

    def tax_for(self, hs_code: str) -> ImportTax | None:
        """The category rate for the line if one covers it, else the standard rate."""
        if hs_code in self.memo:
            return self.memo[hs_code]
        found = next((t for t in self.taxes if not t.hs_prefixes
                      or any(hs_code.startswith(p) for p in t.hs_prefixes)), None)
        if len(self.memo) < 50_000:
            self.memo[hs_code] = found
        return found


@dataclass
class Rulebook:
    markets: dict[str, RegimeFile]
    unions: dict[str, RegimeFile]
    tariffs: dict[str, Tariff]
    fx: RateTable
    restrictions: list[Restriction] = field(default_factory=list)
    version: str = "unversioned"
    # None: a stale rate still quotes (approximate, with a warning); N: a quote whose rate is
    # more than N days old is refused (fx_rate_stale) — the operator's choice
    fx_max_age_days: int | None = None

    def __post_init__(self) -> None:
        self.view = lru_cache(maxsize=4096)(self._view)
        self.by_market: dict[str, list[Restriction]] = {}
        for r in self.restrictions:
            for m in r.markets:
                self.by_market.setdefault(m, []).append(r)
        self.flags = lru_cache(maxsize=65_536)(self._flags)

    def _flags(self, market: str, day: date, hs_code: str, tags: tuple[str, ...]
               ) -> tuple[Restriction, ...]:
        return tuple(flags(self.by_market.get(market, []), market, day, hs_code, tags))

    def _view(self, market: str, day: date) -> MarketView:
        reg = self.markets.get(market)
        if reg is None:
            raise QuoteError(f"no import rules for market {market!r}; known: "
                             f"{', '.join(sorted(self.markets))}", code="market_unknown",
                             field="destination")
        rules = [*reg.rules, *(self.unions[reg.union].rules if reg.union else [])]
        live = [r for r in rules if r.in_force(day)]

        def of(kind: type[R]) -> list[R]:
            return [r for r in live if isinstance(r, kind)]

        valuations = of(Valuation)
        if not valuations:
            raise QuoteError(f"no {market} import rules in force on {day}",
                             code="rules_not_in_force", field="date")
        taxes = sorted(of(ImportTax), key=lambda t: -max((len(p) for p in t.hs_prefixes),
                                                         default=0))
        defaults = of(DutyDefault)
        tariff_key = reg.tariff or market
        return MarketView(
            market=market, currency=reg.currency or "", day=day, valuation=valuations[0],
            duty_reliefs=tuple(of(DutyRelief)), tax_reliefs=tuple(of(TaxRelief)),
            taxes=tuple(taxes), collections=tuple(of(SellerCollection)),
            flats=tuple(of(DutyFlat)), bands=tuple(of(DutyBand)),
            global_rates=tuple(of(GlobalRate)), default=defaults[0] if defaults else None,
            fees=tuple(of(Fee)), tariff=self.tariffs.get(tariff_key))


def applicable(rules: Sequence[R], ship_from: str | None, mode: str) -> list[R]:
    """Rules whose ship-from and mode conditions hold, the most specific first.

    Canada's C$150 courier threshold for parcels from the US or Mexico and its C$20 threshold
    for everything else are both in force; the one with more conditions met wins.
    """
    out = []
    for r in rules:
        sf, md = getattr(r, "ship_from", None), getattr(r, "mode", None)
        if (sf is None or ship_from in sf) and (md is None or md == mode):
            out.append(((sf is not None) + (md is not None), r))
    out.sort(key=lambda p: -p[0])
    return [r for _, r in out]
