"""Drops: the terms a drop is created with, what its creation and sell-out announce, the
refusal of a request over the limit, a sale converting a reservation, and the drop's terms
as buyers read them.

The rules (docs/selling.md, "Drops"): a reservation is held for the drop's ``hold_minutes``;
creating a drop announces ``drop.scheduled`` (its id, title and room) and taking a line's
last unit announces ``drop.sold_out`` for that line, once. A request over the per-buyer
limit is refused with ``buyer_limit_reached``, naming the limit. A paid reservation is
converted: the line counts the units as sold and the ledger moves them from allocated to
reserved for shipping; a reservation no longer held converts to nothing. A drop's terms are
read once for every buyer arriving together, and a drop that was just started sells at
once, even to a buyer whose earlier attempt was refused a moment before.

The per-buyer count is one SQL statement built once per process and dialect and kept; the
tests here build it afresh (``fresh_statements``), so that what they check is the statement
the code under test builds, not one a test before them left behind — mutation testing runs
each mutant in a process forked from one that already built it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork
from chuhai.core.outbox import GlobalOutbox
from chuhai.inventory import drops, stock
from chuhai.inventory.ledger import Levels
from chuhai.inventory.models import DropLine, Reservation
from chuhai.inventory.schemas import DropIn
from tests.factories import Shop, make_shop
from tests.inventory.test_drop_rules import MIN, T0, new_drop, refused, remaining, reserve


@pytest.fixture
async def shop(stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> Shop:
    return await make_shop(stores, settings, app_client)


@pytest.fixture(autouse=True)
def fresh_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drops, "_COUNT_BUYER", {})


async def events(stores: Stores, type_: str) -> list[dict[str, object]]:
    async with stores.session() as s:
        rows = (await s.scalars(select(GlobalOutbox).where(GlobalOutbox.type == type_)
                                .order_by(GlobalOutbox.created_at))).all()
    return [r.payload["data"] for r in rows]


# --- creating a drop -------------------------------------------------------------------------

async def test_a_reservation_is_held_for_the_drops_hold_time(stores: Stores, shop: Shop
                                                              ) -> None:
    uow = UnitOfWork(stores)
    drop = await drops.create_drop(uow, shop.tenant.actor, DropIn.model_validate({
        "title": "Three-minute holds", "hold_minutes": 3, "duration_minutes": 30,
        "lines": [{"sku_id": shop.sku_id, "market": "US", "warehouse_id": shop.us_west,
                   "quantity": 5, "price": "29.00"}]}))
    await drops.start_drop(uow, shop.tenant.actor, drop.id, countdown_s=0, now=T0)
    await uow.commit()
    [line] = await drops.lines_of(uow.global_, drop.id)
    await uow.close()
    assert drop.hold_minutes == 3

    held = await reserve(stores, "ann", drop.id, line.id, at=T0 + MIN)

    assert held.expires_at == T0 + MIN + 3 * MIN


async def test_creating_a_drop_announces_it_with_its_title(stores: Stores, shop: Shop
                                                            ) -> None:
    drop_id, _lines = await new_drop(stores, shop, start=False)
    assert await events(stores, "drop.scheduled") == [
        {"drop_id": drop_id, "title": "Earbuds at 29", "room_id": None}]


# --- selling out -----------------------------------------------------------------------------

async def test_taking_a_lines_last_unit_announces_that_line_sold_out_once(
        stores: Stores, shop: Shop) -> None:
    drop_id, [de, us] = await new_drop(stores, shop, markets=("US", "DE"), quantity=3, limit=3)
    await reserve(stores, "ann", drop_id, us, 1)
    await reserve(stores, "bob", drop_id, us, 1)
    await reserve(stores, "carl", drop_id, de, 2)
    assert await events(stores, "drop.sold_out") == []  # one unit left on each line

    await reserve(stores, "dan", drop_id, us, 1)

    assert await remaining(stores, drop_id) == [1, 0]
    assert await events(stores, "drop.sold_out") == [{"drop_id": drop_id, "line_id": us}]
    assert (await refused(stores, "eve", drop_id, us)).code == "sold_out"
    assert await events(stores, "drop.sold_out") == [{"drop_id": drop_id, "line_id": us}]


# --- the per-buyer limit ---------------------------------------------------------------------

async def test_a_refusal_over_the_limit_names_the_limit(stores: Stores, shop: Shop) -> None:
    """In one request, and across a buyer's reservations."""
    drop_id, [line] = await new_drop(stores, shop, quantity=10, limit=3)
    at_once = await refused(stores, "ann", drop_id, line, 4)
    await reserve(stores, "bob", drop_id, line, 2)
    over_time = await refused(stores, "bob", drop_id, line, 2)
    for err in (at_once, over_time):
        assert (err.status, err.code, err.message, err.extra["limit"]) == (
            409, "buyer_limit_reached", "at most 3 unit(s) per buyer in this drop", 3)
    assert (await reserve(stores, "bob", drop_id, line, 1)).quantity == 1  # up to the limit
    assert await remaining(stores, drop_id) == [7]


# --- converting a reservation ----------------------------------------------------------------

async def test_a_converted_reservation_counts_as_sold_on_its_line_and_once_only(
        stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop, quantity=5, limit=3)
    held = await reserve(stores, "ann", drop_id, line, 2)
    other = await reserve(stores, "bob", drop_id, line, 1)
    at = T0 + 2 * MIN

    async with stores.session() as s:
        assert await drops.convert(s, held.id, "ord_1", at) is True
        assert await drops.convert(s, held.id, "ord_2", at) is False  # no longer held
        await s.commit()

    async with stores.session() as s:
        ln = await s.scalar(select(DropLine).where(DropLine.id == line))
        res = await s.scalar(select(Reservation).where(Reservation.id == held.id))
        untouched = await s.scalar(select(Reservation).where(Reservation.id == other.id))
        levels = await stock.levels_of(s, shop.sku_id, shop.us_west)
    assert ln is not None and (ln.quantity, ln.remaining, ln.sold) == (5, 2, 2)
    assert res is not None and (res.status, res.order_id, res.settled_at) == (
        "converted", "ord_1", at)
    assert untouched is not None and untouched.status == "held"
    assert levels == Levels(100, 3, 2)  # two units left the drop's allocation for shipping


# --- the drop's terms as buyers read them ----------------------------------------------------

async def test_buyers_arriving_together_share_one_read_of_the_drops_terms(
        stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop)
    cache = drops.OfferCache()

    first, second = await asyncio.gather(cache.get(stores, drop_id, line, T0 + MIN),
                                         cache.get(stores, drop_id, line, T0 + MIN))

    assert first is second
    assert (first.drop.id, first.line.id, first.drop.status) == (drop_id, line, "live")


async def test_a_drop_sells_as_soon_as_it_is_started_even_right_after_a_refusal(
        stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop, start=False)
    at = T0 + MIN
    assert (await refused(stores, "ann", drop_id, line, at=at)).code == "drop_not_started"

    uow = UnitOfWork(stores)
    await drops.start_drop(uow, shop.tenant.actor, drop_id, countdown_s=0, now=at)
    await uow.commit()
    await uow.close()

    held = await reserve(stores, "ann", drop_id, line, at=at)  # the same moment
    assert held.status == "held" and held.expires_at == at + timedelta(minutes=10)
