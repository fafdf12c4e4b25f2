"""Reserving with the admission gate in front: the gate's count follows SQL's.

The rules (inventory/gate.py): the gate lets a request through while its counter has the
units and counts them *in flight*; SQL still decides. When SQL took the units the flight
ends and the buyer's key is remembered (a retry is then answered by SQL at once); when SQL
refused because the line is sold out the units were never there and are not given back;
when SQL refused for another reason (the buyer's limit), or the request was a retry of an
earlier reservation, the units go back to the counter. A line the gate does not know is
left to SQL. Either way the buyer gets SQL's answer.

``CountingGate`` keeps the counters in memory with the Redis gate's semantics (without the
stand-by rule, which only matters under load), so these run without Redis; the same paths
against Redis are in test_concurrency.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import httpx
import pytest

from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.errors import Conflict
from chuhai.inventory import drops
from chuhai.inventory.models import Reservation
from chuhai.inventory.schemas import ReserveIn
from tests.factories import Shop, buyer, make_shop
from tests.inventory.test_drop_rules import MIN, T0, new_drop, remaining


class CountingGate:
    def __init__(self) -> None:
        self.left: dict[str, int] = {}
        self.flight: dict[str, int] = {}
        self.keys: set[tuple[str, str]] = set()

    async def admit(self, line_id: str, quantity: int, buyer_id: str | None = None,
                    key: str | None = None) -> int:
        if buyer_id is not None and key is not None and (buyer_id, key) in self.keys:
            return 2
        if line_id not in self.left:
            return -1
        if self.left[line_id] < quantity:
            return 0
        self.left[line_id] -= quantity
        self.flight[line_id] = self.flight.get(line_id, 0) + quantity
        return 1

    async def settle(self, line_id: str, quantity: int, *, give_back: bool,
                     remember: tuple[str, str] | None = None) -> None:
        self.flight[line_id] = max(0, self.flight.get(line_id, 0) - quantity)
        if remember is not None:
            self.keys.add(remember)
        if give_back is True and line_id in self.left:
            self.left[line_id] += quantity

    async def give_back(self, line_id: str, quantity: int) -> None:
        if line_id in self.left:
            self.left[line_id] += quantity

    async def sync(self, remaining: Mapping[str, int]) -> None:
        for line_id, n in remaining.items():
            self.left[line_id] = max(0, n)
            self.flight[line_id] = 0


@pytest.fixture
async def shop(stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> Shop:
    return await make_shop(stores, settings, app_client)


async def gated(stores: Stores, gate: CountingGate, who: str, drop_id: str, line: str,
                qty: int = 1, *, key: str, at: datetime | None = None) -> Reservation:
    return await drops.reserve(stores, buyer(who), drop_id, ReserveIn(
        line_id=line, quantity=qty, idempotency_key=key), now=at or T0 + MIN, gate=gate)


async def test_a_sale_through_the_gate_ends_its_flight_and_remembers_the_key(
        stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop, quantity=5, limit=3)
    gate = CountingGate()
    await gate.sync({line: 5})

    held = await gated(stores, gate, "ann", drop_id, line, 2, key="gate-ann-1")

    assert (held.status, held.quantity, held.buyer_id) == ("held", 2, "cus_testann")
    assert await remaining(stores, drop_id) == [3]
    assert (gate.left[line], gate.flight[line]) == (3, 0)
    # A retry is recognised by the gate and answered by SQL with the first reservation.
    again = await gated(stores, gate, "ann", drop_id, line, 2, key="gate-ann-1",
                        at=T0 + 2 * MIN)
    assert again.id == held.id
    assert (gate.left[line], gate.flight[line]) == (3, 0)
    assert await remaining(stores, drop_id) == [3]


async def test_a_retry_the_gate_forgot_gets_the_first_reservation_and_gives_the_units_back(
        stores: Stores, shop: Shop) -> None:
    """After a Redis restart the counters are synced from SQL but the keys are gone."""
    drop_id, [line] = await new_drop(stores, shop, quantity=5, limit=3)
    first = await gated(stores, CountingGate(), "ann", drop_id, line, 2, key="gate-ann-2")
    gate = CountingGate()
    await gate.sync({line: 3})

    again = await gated(stores, gate, "ann", drop_id, line, 2, key="gate-ann-2",
                        at=T0 + 2 * MIN)

    assert again.id == first.id
    assert (gate.left[line], gate.flight[line]) == (3, 0)
    assert await remaining(stores, drop_id) == [3]


async def test_sold_out_in_sql_behind_a_stale_gate_gives_nothing_back(
        stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop, quantity=1)
    gate = CountingGate()
    await gate.sync({line: 3})  # stale: SQL has one unit
    await gated(stores, gate, "ann", drop_id, line, key="gate-ann-3")

    with pytest.raises(Conflict) as err:
        await gated(stores, gate, "bob", drop_id, line, key="gate-bob-3")

    assert err.value.code == "sold_out"
    assert (gate.left[line], gate.flight[line]) == (1, 0)  # the units were never there
    assert await remaining(stores, drop_id) == [0]


async def test_a_limit_refusal_after_admission_gives_the_units_back_to_the_gate(
        stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop, quantity=5, limit=2)
    gate = CountingGate()
    await gate.sync({line: 5})
    await gated(stores, gate, "ann", drop_id, line, 2, key="gate-ann-4")

    with pytest.raises(Conflict) as err:
        await gated(stores, gate, "ann", drop_id, line, 1, key="gate-ann-5")

    assert err.value.code == "buyer_limit_reached"
    assert (gate.left[line], gate.flight[line]) == (3, 0)
    assert await remaining(stores, drop_id) == [3]


async def test_a_line_the_gate_does_not_know_is_left_to_sql(stores: Stores, shop: Shop
                                                             ) -> None:
    drop_id, [line] = await new_drop(stores, shop, quantity=2)
    gate = CountingGate()  # never synced: Redis lost the counter

    held = await gated(stores, gate, "ann", drop_id, line, 2, key="gate-ann-6")

    assert (held.status, held.quantity) == ("held", 2)
    assert await remaining(stores, drop_id) == [0]
    with pytest.raises(Conflict) as err:
        await gated(stores, gate, "bob", drop_id, line, key="gate-bob-6")
    assert err.value.code == "sold_out"
    assert gate.left == {}
