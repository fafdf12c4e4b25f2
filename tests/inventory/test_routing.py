"""Fulfilment routing: one warehouse when possible, otherwise a split over the fastest ones."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chuhai.core.errors import Conflict
from chuhai.inventory.routing import Depot, Lane, Leg, NoRoute, Route, route

Stock = dict[tuple[str, str], int]


def lane(min_days: int, max_days: int, cost_minor: int, currency: str = "USD") -> Lane:
    return Lane(min_days=min_days, max_days=max_days, cost_minor=cost_minor, currency=currency)


def depot(wid: str, **lanes: Lane) -> Depot:
    return Depot(id=wid, code=wid.upper(), lanes=lanes)


def taken(r: Route) -> dict[str, dict[str, int]]:
    """warehouse -> sku -> quantity, independent of the order of legs."""
    return {leg.warehouse_id: dict(leg.items) for leg in r.legs}


def delivered(r: Route) -> Counter[str]:
    total: Counter[str] = Counter()
    for leg in r.legs:
        for sku, qty in leg.items:
            total[sku] += qty
    return total


# ---------------------------------------------------------------------------------------------
# Whole orders
# ---------------------------------------------------------------------------------------------


def test_a_single_warehouse_with_everything_beats_a_faster_split() -> None:
    fast_a = depot("fast_a", US=lane(1, 2, 500))
    fast_b = depot("fast_b", US=lane(1, 2, 500))
    slow = depot("slow", US=lane(7, 12, 900))
    stock: Stock = {("mug", "fast_a"): 5, ("tee", "fast_b"): 5,
                    ("mug", "slow"): 1, ("tee", "slow"): 2}

    r = route("US", {"mug": 1, "tee": 2}, [fast_a, fast_b, slow], stock)

    assert not r.split
    assert taken(r) == {"slow": {"mug": 1, "tee": 2}}
    assert (r.min_days, r.max_days, r.cost_minor) == (7, 12, 900)


def test_the_whole_order_route_describes_its_single_leg() -> None:
    wh = depot("sz", DE=lane(3, 6, 1299, "EUR"))
    stock: Stock = {("b", "sz"): 4, ("a", "sz"): 4}

    r = route("DE", {"b": 2, "a": 1}, [wh], stock)

    assert r.legs == (Leg("sz", (("a", 1), ("b", 2)), lane(3, 6, 1299, "EUR")),)
    assert r == Route(legs=r.legs, min_days=3, max_days=6, cost_minor=1299, currency="EUR")
    assert r.split is False


def test_among_whole_order_warehouses_the_earliest_latest_delivery_wins_over_price() -> None:
    cheap_slow = depot("cheap_slow", US=lane(2, 9, 100))
    dear_fast = depot("dear_fast", US=lane(4, 5, 2000))
    stock: Stock = {("mug", "cheap_slow"): 3, ("mug", "dear_fast"): 3}

    r = route("US", {"mug": 3}, [cheap_slow, dear_fast], stock)

    assert taken(r) == {"dear_fast": {"mug": 3}}


def test_among_equally_fast_whole_order_warehouses_the_cheaper_wins() -> None:
    dear = depot("dear", US=lane(3, 6, 900))
    cheap = depot("cheap", US=lane(3, 6, 400))
    stock: Stock = {("mug", "dear"): 3, ("mug", "cheap"): 3}

    for order in ([dear, cheap], [cheap, dear]):
        r = route("US", {"mug": 2}, order, stock)
        assert taken(r) == {"cheap": {"mug": 2}}
        assert r.cost_minor == 400


def test_a_faster_warehouse_that_lacks_something_does_not_get_the_whole_order() -> None:
    fast = depot("fast", US=lane(1, 2, 100))
    slow = depot("slow", US=lane(5, 8, 100))
    stock: Stock = {("mug", "fast"): 1, ("mug", "slow"): 2}

    r = route("US", {"mug": 2}, [fast, slow], stock)

    assert taken(r) == {"slow": {"mug": 2}}


def test_full_ties_are_broken_by_warehouse_code_whatever_the_input_order() -> None:
    x = Depot(id="w1", code="B-WH", lanes={"US": lane(2, 4, 300)})
    y = Depot(id="w2", code="A-WH", lanes={"US": lane(2, 4, 300)})
    stock: Stock = {("mug", "w1"): 1, ("mug", "w2"): 1}

    assert taken(route("US", {"mug": 1}, [x, y], stock)) == {"w2": {"mug": 1}}
    assert taken(route("US", {"mug": 1}, [y, x], stock)) == {"w2": {"mug": 1}}


def test_items_ordered_in_zero_quantity_are_not_shipped_or_required() -> None:
    wh = depot("wh", US=lane(2, 4, 300))
    r = route("US", {"mug": 2, "tee": 0, "cap": -1}, [wh], {("mug", "wh"): 2})
    assert taken(r) == {"wh": {"mug": 2}}


# ---------------------------------------------------------------------------------------------
# Splits
# ---------------------------------------------------------------------------------------------


def test_when_no_warehouse_has_everything_the_order_is_split() -> None:
    a = depot("a", US=lane(1, 3, 500))
    b = depot("b", US=lane(4, 9, 700))
    stock: Stock = {("mug", "a"): 5, ("tee", "b"): 5}

    r = route("US", {"mug": 2, "tee": 1}, [a, b], stock)

    assert r.split
    assert len(r.legs) == 2
    assert taken(r) == {"a": {"mug": 2}, "b": {"tee": 1}}
    assert {leg.warehouse_id: leg.lane for leg in r.legs} == {"a": a.lanes["US"],
                                                              "b": b.lanes["US"]}


def test_a_split_promises_the_slowest_legs_dates_and_charges_every_parcel() -> None:
    a = depot("a", US=lane(6, 7, 500))    # slowest minimum
    b = depot("b", US=lane(2, 10, 700))   # slowest maximum
    c = depot("c", US=lane(1, 2, 50))
    stock: Stock = {("mug", "a"): 1, ("tee", "b"): 1, ("cap", "c"): 1}

    r = route("US", {"mug": 1, "tee": 1, "cap": 1}, [a, b, c], stock)

    assert len(r.legs) == 3
    assert r.min_days == 6
    assert r.max_days == 10
    assert r.cost_minor == 500 + 700 + 50
    assert r.currency == "USD"


def test_a_split_takes_each_item_from_the_fastest_warehouses_that_have_it() -> None:
    fast = depot("fast", US=lane(1, 2, 300))
    middle = depot("middle", US=lane(3, 5, 300))
    slow = depot("slow", US=lane(8, 12, 300))
    stock: Stock = {("mug", "fast"): 3, ("mug", "middle"): 10, ("mug", "slow"): 10,
                    ("tee", "fast"): 1}

    r = route("US", {"mug": 5, "tee": 1}, [slow, middle, fast], stock)

    assert taken(r) == {"fast": {"mug": 3, "tee": 1}, "middle": {"mug": 2}}
    assert r.max_days == 5
    assert r.cost_minor == 600


def test_a_split_prefers_the_cheaper_of_equally_fast_warehouses() -> None:
    dear = depot("dear", US=lane(2, 4, 900))
    cheap = depot("cheap", US=lane(2, 4, 100))
    stock: Stock = {("mug", "dear"): 5, ("mug", "cheap"): 5, ("tee", "dear"): 1}

    # Nobody has 6 mugs, so the order must split; the cheap warehouse gives its mugs first.
    r = route("US", {"mug": 6}, [dear, cheap], stock)

    assert taken(r) == {"cheap": {"mug": 5}, "dear": {"mug": 1}}


def test_one_sku_may_be_spread_over_several_warehouses() -> None:
    depots = [depot(f"w{i}", US=lane(i, i + 1, 100)) for i in range(1, 4)]
    stock: Stock = {("mug", "w1"): 2, ("mug", "w2"): 2, ("mug", "w3"): 2}

    r = route("US", {"mug": 5}, depots, stock)

    assert taken(r) == {"w1": {"mug": 2}, "w2": {"mug": 2}, "w3": {"mug": 1}}
    assert delivered(r) == Counter({"mug": 5})


# ---------------------------------------------------------------------------------------------
# Markets and refusals
# ---------------------------------------------------------------------------------------------


def test_warehouses_that_do_not_serve_the_market_are_ignored() -> None:
    elsewhere = depot("elsewhere", JP=lane(1, 1, 1))  # everything in stock, fastest, but no US
    serving = depot("serving", US=lane(5, 9, 800))
    stock: Stock = {("mug", "elsewhere"): 100, ("tee", "elsewhere"): 100,
                    ("mug", "serving"): 1, ("tee", "serving"): 1}

    r = route("US", {"mug": 1, "tee": 1}, [elsewhere, serving], stock)

    assert taken(r) == {"serving": {"mug": 1, "tee": 1}}


def test_stock_in_a_warehouse_outside_the_market_cannot_complete_a_split() -> None:
    elsewhere = depot("elsewhere", JP=lane(1, 1, 1))
    serving = depot("serving", US=lane(5, 9, 800))
    stock: Stock = {("mug", "elsewhere"): 100, ("mug", "serving"): 1}

    with pytest.raises(NoRoute) as err:
        route("US", {"mug": 2}, [elsewhere, serving], stock)
    assert err.value.short == ["mug"]


def test_no_route_lists_exactly_the_short_skus() -> None:
    a = depot("a", US=lane(1, 3, 100))
    b = depot("b", US=lane(2, 4, 100))
    stock: Stock = {("mug", "a"): 1, ("mug", "b"): 1,   # 2 in total, 3 wanted: short
                    ("tee", "a"): 1, ("tee", "b"): 1,   # 2 in total, 2 wanted: fine
                    ("cap", "a"): 0}                    # none at all: short

    with pytest.raises(NoRoute) as err:
        route("US", {"tee": 2, "mug": 3, "cap": 1}, [a, b], stock)

    assert err.value.short == ["cap", "mug"]
    assert err.value.code == "no_fulfilment_route"
    assert isinstance(err.value, Conflict)
    assert err.value.status == 409
    assert "US" in str(err.value)
    assert "cap" in str(err.value)
    assert "mug" in str(err.value)


def test_no_serving_warehouse_at_all_means_no_route() -> None:
    with pytest.raises(NoRoute) as err:
        route("BR", {"mug": 1}, [depot("a", US=lane(1, 2, 3))], {("mug", "a"): 5})
    assert err.value.short == ["mug"]
    assert err.value.code == "no_fulfilment_route"


def test_negative_availability_counts_as_none() -> None:
    a = depot("a", US=lane(1, 2, 100))
    b = depot("b", US=lane(3, 4, 100))
    r = route("US", {"mug": 2}, [a, b], {("mug", "a"): -5, ("mug", "b"): 2})
    assert taken(r) == {"b": {"mug": 2}}


def test_an_empty_order_without_a_serving_warehouse_is_refused() -> None:
    with pytest.raises(NoRoute) as err:
        route("US", {}, [depot("a", JP=lane(1, 2, 3))], {})
    assert err.value.code == "no_fulfilment_route"


@pytest.mark.parametrize("items", [{}, {"mug": 0}])
def test_an_empty_order_is_refused_even_when_a_warehouse_serves_the_market(
        items: dict[str, int]) -> None:
    with pytest.raises(NoRoute) as err:
        route("US", items, [depot("a", US=lane(1, 2, 300))], {("mug", "a"): 5})
    assert err.value.code == "no_fulfilment_route"


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

SKUS = ["s1", "s2", "s3", "s4"]
MARKETS = ["US", "DE"]


@st.composite
def depots_strategy(draw: st.DrawFn) -> list[Depot]:
    n = draw(st.integers(0, 5))
    out = []
    for i in range(n):
        lanes: dict[str, Lane] = {}
        for market in draw(st.sets(st.sampled_from(MARKETS))):
            lo = draw(st.integers(1, 10))
            hi = draw(st.integers(lo, 15))
            lanes[market] = lane(lo, hi, draw(st.integers(0, 3000)))
        out.append(Depot(id=f"w{i}", code=draw(st.sampled_from(["A", "B", "C"])) + str(i),
                         lanes=lanes))
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, int], list[Depot], Stock]:
    depots = draw(depots_strategy())
    items = draw(st.dictionaries(st.sampled_from(SKUS), st.integers(1, 8), min_size=1))
    stock: Stock = {}
    for d in depots:
        for sku in SKUS:
            if draw(st.booleans()):
                stock[(sku, d.id)] = draw(st.integers(-2, 8))
    return items, depots, stock


def check_route(market: str, items: Mapping[str, int], depots: list[Depot], stock: Stock,
                r: Route) -> None:
    serving = {d.id: d for d in depots if market in d.lanes}
    # Every leg ships from a warehouse that serves the market, over that market's lane.
    for leg in r.legs:
        assert leg.warehouse_id in serving
        assert leg.lane == serving[leg.warehouse_id].lanes[market]
    assert len({leg.warehouse_id for leg in r.legs}) == len(r.legs)
    # Never more than is available from any (sku, warehouse); never nothing.
    for leg in r.legs:
        for sku, qty in leg.items:
            assert 0 < qty <= stock.get((sku, leg.warehouse_id), 0)
    # Exactly what was ordered.
    assert delivered(r) == Counter(items)
    # The promise and the price follow from the legs.
    assert r.min_days == max(leg.lane.min_days for leg in r.legs)
    assert r.max_days == max(leg.lane.max_days for leg in r.legs)
    assert r.cost_minor == sum(leg.lane.cost_minor for leg in r.legs)
    assert r.split == (len(r.legs) > 1)
    # One parcel whenever one warehouse can ship everything, and then the fastest such one.
    whole = [d for d in serving.values()
             if all(stock.get((sku, d.id), 0) >= q for sku, q in items.items())]
    if whole:
        assert not r.split
        best_max = min(d.lanes[market].max_days for d in whole)
        assert r.max_days == best_max
        cheapest_at_best = min(d.lanes[market].cost_minor for d in whole
                               if d.lanes[market].max_days == best_max
                               and d.lanes[market].min_days == r.min_days)
        assert r.cost_minor == cheapest_at_best
    else:
        assert r.split


@settings(max_examples=400)
@given(scenario=scenarios(), market=st.sampled_from(MARKETS))
def test_a_route_never_overdraws_stock_and_delivers_exactly_the_order(
        scenario: tuple[dict[str, int], list[Depot], Stock], market: str) -> None:
    items, depots, stock = scenario
    serving_ids = {d.id for d in depots if market in d.lanes}
    total = {sku: sum(max(stock.get((sku, wid), 0), 0) for wid in serving_ids) for sku in SKUS}
    expected_short = sorted(sku for sku, q in items.items() if total[sku] < q)
    try:
        r = route(market, items, depots, stock)
    except NoRoute as err:
        assert err.short == expected_short
        assert err.short, "refused although every SKU could be covered"
        return
    assert expected_short == [], "routed although some SKU is short"
    check_route(market, items, depots, stock, r)


@given(scenario=scenarios(), market=st.sampled_from(MARKETS), data=st.data())
def test_the_route_does_not_depend_on_the_order_depots_are_listed_in(
        scenario: tuple[dict[str, int], list[Depot], Stock], market: str,
        data: st.DataObject) -> None:
    items, depots, stock = scenario
    # Give every depot a distinct code so the ordering of candidates is total.
    depots = [Depot(d.id, f"C{d.id}", d.lanes) for d in depots]
    shuffled = data.draw(st.permutations(depots))
    try:
        first = route(market, items, depots, stock)
    except NoRoute as err:
        with pytest.raises(NoRoute) as again:
            route(market, items, shuffled, stock)
        assert again.value.short == err.short
        return
    second = route(market, items, shuffled, stock)
    assert taken(first) == taken(second)
    assert (first.min_days, first.max_days, first.cost_minor) == (
        second.min_days, second.max_days, second.cost_minor)
