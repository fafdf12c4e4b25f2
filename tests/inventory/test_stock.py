"""The stock ledger in the database: every change is one entry, the levels are their sum.

The rules (docs/selling.md, "Stock"): a change that would leave on hand, allocated or
reserved below zero, or take more than is *available* (on hand less allocated less
reserved), is refused with ``insufficient_stock`` and changes nothing. Receipts, counts,
returns and shipments may be entered by hand; allocations, reservations and sales come
from drops and orders only. ``check`` recomputes each level from the ledger and names the
ones whose cached figure disagrees.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork
from chuhai.core.errors import InvalidInput, NotFound
from chuhai.inventory import stock
from chuhai.inventory.ledger import EntryKind, InsufficientStock, Levels
from chuhai.inventory.models import StockLevel
from tests.factories import Shop, make_shop


@pytest.fixture
async def shop(stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> Shop:
    return await make_shop(stores, settings, app_client, stock=10)


async def _record(stores: Stores, shop: Shop, kind: EntryKind, quantity: int,
                  **kw: str) -> Levels:
    async with stores.session() as s:
        levels = await stock.record(s, org_id=shop.tenant.actor.org(), sku_id=shop.sku_id,
                                    warehouse_id=shop.us_west, kind=kind, quantity=quantity,
                                    actor_id="test", **kw)
        await s.commit()
        return levels


async def _levels(stores: Stores, shop: Shop) -> Levels:
    async with stores.session() as s:
        return await stock.levels_of(s, shop.sku_id, shop.us_west)


async def test_each_entry_moves_its_buckets_and_returns_the_new_levels(
        stores: Stores, shop: Shop) -> None:
    assert await _levels(stores, shop) == Levels(10, 0, 0)
    assert await _record(stores, shop, EntryKind.ALLOCATE, 4) == Levels(10, 4, 0)
    assert await _record(stores, shop, EntryKind.SELL, 1) == Levels(10, 3, 1)
    assert await _record(stores, shop, EntryKind.RESERVE, 2) == Levels(10, 3, 3)
    assert await _record(stores, shop, EntryKind.SHIP, 1) == Levels(9, 3, 2)
    assert await _record(stores, shop, EntryKind.RELEASE, 3) == Levels(9, 0, 2)
    assert await _record(stores, shop, EntryKind.RELEASE, 2,
                         from_bucket="reserved") == Levels(9, 0, 0)
    assert await _levels(stores, shop) == Levels(9, 0, 0)
    async with stores.session() as s:
        total, bad = await stock.check(s)  # every level of every org (other tests' too)
    assert total >= 3 and [m for m in bad if m.sku_id == shop.sku_id] == []


@pytest.mark.parametrize(("kind", "quantity", "before"), [
    (EntryKind.ALLOCATE, 11, None),     # more than on hand
    (EntryKind.ALLOCATE, 7, (EntryKind.RESERVE, 4)),  # on hand, but not available
    (EntryKind.RESERVE, 7, (EntryKind.ALLOCATE, 4)),
    (EntryKind.SHIP, 1, None),          # nothing reserved to ship
    (EntryKind.RELEASE, 1, None),       # nothing allocated to release
    (EntryKind.ADJUST, -11, None),      # a count below zero
    (EntryKind.ADJUST, -7, (EntryKind.ALLOCATE, 4)),  # would strand allocated units
])
async def test_an_entry_that_would_take_more_than_is_there_is_refused_and_changes_nothing(
        stores: Stores, shop: Shop, kind: EntryKind, quantity: int,
        before: tuple[EntryKind, int] | None) -> None:
    if before:
        await _record(stores, shop, *before)
    was = await _levels(stores, shop)
    with pytest.raises(InsufficientStock) as err:
        await _record(stores, shop, kind, quantity)
    assert err.value.code == "insufficient_stock"
    assert await _levels(stores, shop) == was
    async with stores.session() as s:
        bad = (await stock.check(s))[1]  # no entry was written for the refusal
    assert [m for m in bad if m.sku_id == shop.sku_id] == []


async def test_exactly_what_is_available_can_be_taken(stores: Stores, shop: Shop) -> None:
    await _record(stores, shop, EntryKind.RESERVE, 3)
    assert await _record(stores, shop, EntryKind.ALLOCATE, 7) == Levels(10, 7, 3)
    assert (await _levels(stores, shop)).available == 0


async def test_only_receipts_counts_returns_and_shipments_are_entered_by_hand(
        stores: Stores, shop: Shop) -> None:
    actor = shop.tenant.actor
    uow = UnitOfWork(stores)
    try:
        for kind in (EntryKind.ALLOCATE, EntryKind.RESERVE, EntryKind.SELL, EntryKind.RELEASE):
            with pytest.raises(InvalidInput) as err:
                await stock.manual_entry(uow, actor, sku_id=shop.sku_id,
                                         warehouse_id=shop.us_west, kind=kind, quantity=1)
            assert err.value.code == "entry_kind_not_manual"
        assert await stock.manual_entry(uow, actor, sku_id=shop.sku_id,
                                        warehouse_id=shop.us_west, kind=EntryKind.ADJUST,
                                        quantity=-2) == Levels(8, 0, 0)
        assert await stock.manual_entry(uow, actor, sku_id=shop.sku_id,
                                        warehouse_id=shop.us_west, kind=EntryKind.RETURN,
                                        quantity=1) == Levels(9, 0, 0)
        with pytest.raises(NotFound) as nf:
            await stock.manual_entry(uow, actor, sku_id=shop.sku_id, warehouse_id="wh_nope",
                                     kind=EntryKind.RECEIVE, quantity=1)
        assert nf.value.code == "warehouse_not_found"
        with pytest.raises(NotFound) as nf:
            await stock.manual_entry(uow, actor, sku_id="sku_nope", warehouse_id=shop.us_west,
                                     kind=EntryKind.RECEIVE, quantity=1)
        assert nf.value.code == "sku_not_found"
    finally:
        await uow.close()


async def test_levels_and_availability_are_listed_per_sku_and_warehouse(
        stores: Stores, shop: Shop) -> None:
    await _record(stores, shop, EntryKind.ALLOCATE, 4)
    await _record(stores, shop, EntryKind.RESERVE, 1)
    uow = UnitOfWork(stores)
    try:
        rows = await stock.list_levels(uow, shop.tenant.actor, sku_id=shop.sku_id)
        assert [(r.warehouse_code, r.levels) for r in rows] == [
            ("DE-1", Levels(10, 0, 0)), ("SZ", Levels(10, 0, 0)), ("US-W", Levels(10, 4, 1))]
        only = await stock.list_levels(uow, shop.tenant.actor, warehouse_id=shop.us_west)
        assert [(r.sku_id, r.warehouse_id) for r in only] == [(shop.sku_id, shop.us_west)]
        available = await stock.available_map(uow.global_, shop.tenant.actor.org(),
                                              [shop.sku_id])
        assert available == {(shop.sku_id, shop.us_west): 5, (shop.sku_id, shop.de): 10,
                             (shop.sku_id, shop.origin): 10}
    finally:
        await uow.close()


async def test_check_names_a_cached_level_that_disagrees_with_the_ledger(
        stores: Stores, shop: Shop) -> None:
    async with stores.session() as s:
        await s.execute(update(StockLevel).where(StockLevel.warehouse_id == shop.us_west)
                        .values(on_hand=12))
        total, bad = await stock.check(s)
        await s.rollback()
    assert total >= 3
    assert [(m.warehouse_id, m.cached, m.ledger) for m in bad if m.sku_id == shop.sku_id] == [
        (shop.us_west, Levels(12, 0, 0), Levels(10, 0, 0))]
