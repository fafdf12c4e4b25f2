"""Fulfilment routing: which warehouse(s) ship an order. Pure: no I/O.

A warehouse serves a market through a *lane* — a delivery-time range and a shipping cost in
the market's currency. An order is best shipped whole from one warehouse (one parcel, one
customs declaration); among warehouses that can, the earliest promised delivery wins, then the
lower cost. Only when no single warehouse has everything is the order split, taking each item
from the fastest, cheapest warehouses that still have it; the buyer is promised the slowest
leg's dates and pays each parcel's cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from chuhai.core.errors import Conflict


@dataclass(frozen=True)
class Lane:
    min_days: int
    max_days: int
    cost_minor: int
    currency: str


@dataclass(frozen=True)
class Depot:
    """A warehouse as routing sees it."""

    id: str
    code: str
    lanes: Mapping[str, Lane]


@dataclass(frozen=True)
class Leg:
    warehouse_id: str
    items: tuple[tuple[str, int], ...]  # (sku_id, quantity)
    lane: Lane


@dataclass(frozen=True)
class Route:
    legs: tuple[Leg, ...]
    min_days: int
    max_days: int
    cost_minor: int
    currency: str

    @property
    def split(self) -> bool:
        return len(self.legs) > 1


class NoRoute(Conflict):
    def __init__(self, market: str, short: Sequence[str]) -> None:
        super().__init__(f"no warehouse serving {market} has enough of: {', '.join(short)}",
                         code="no_fulfilment_route")
        self.short = list(short)


@dataclass
class _Plan:
    take: dict[str, dict[str, int]] = field(default_factory=dict)  # wh -> sku -> qty


def route(market: str, items: Mapping[str, int], depots: Sequence[Depot],
          available: Mapping[tuple[str, str], int]) -> Route:
    """Choose the warehouse(s) for ``items`` (sku → quantity) shipped to ``market``.

    ``available`` maps (sku_id, warehouse_id) to units free to promise.
    """
    wanted = {sku: q for sku, q in items.items() if q > 0}
    if not wanted:
        raise NoRoute(market, ["(nothing ordered)"])
    serving = sorted((d for d in depots if market in d.lanes),
                     key=lambda d: (d.lanes[market].max_days, d.lanes[market].min_days,
                                    d.lanes[market].cost_minor, d.code))
    whole = [d for d in serving
             if all(available.get((sku, d.id), 0) >= q for sku, q in wanted.items())]
    if whole:
        best = whole[0]
        return _route(market, {best.id: dict(wanted)}, serving)
    plan = _Plan()
    short = []
    for sku, q in sorted(wanted.items()):
        need = q
        for d in serving:
            have = available.get((sku, d.id), 0)
            if have <= 0:
                continue
            n = min(have, need)
            plan.take.setdefault(d.id, {})[sku] = n
            need -= n
            if need == 0:
                break
        if need:
            short.append(sku)
    if short:
        raise NoRoute(market, short)
    return _route(market, plan.take, serving)


def _route(market: str, take: Mapping[str, Mapping[str, int]], serving: Sequence[Depot]
           ) -> Route:
    by_id = {d.id: d for d in serving}
    legs = tuple(Leg(wh, tuple(sorted(items.items())), by_id[wh].lanes[market])
                 for wh, items in take.items())
    return Route(legs=legs,
                 min_days=max(leg.lane.min_days for leg in legs),
                 max_days=max(leg.lane.max_days for leg in legs),
                 cost_minor=sum(leg.lane.cost_minor for leg in legs),
                 currency=legs[0].lane.currency)
