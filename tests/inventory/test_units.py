"""Taking units (chuhai.inventory.units): the one conditional UPDATE every hold goes through.

The rules: ``take`` takes ``n`` units from a pool's row and answers the units still free
after, or None when fewer than ``n`` were free — and then the row is unchanged; on the
``DROP_LINE`` pool "free" is a line's ``remaining``, on the ``STOCK`` pool it is
``on_hand - allocated - reserved`` (so a cart cannot take what a drop allocated or an order
reserved); ``give`` puts units back; a count that is not positive is a ValueError and a key
that lacks one of the pool's key columns a KeyError, before anything is written.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork
from chuhai.inventory import stock, units
from chuhai.inventory.ledger import EntryKind
from chuhai.inventory.models import DropLine, StockLevel
from tests.factories import Shop, make_shop, start_drop

STOCK_UNITS = 10


@pytest.fixture
async def shop(stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> Shop:
    return await make_shop(stores, settings, app_client, stock=STOCK_UNITS)


async def level(conn: AsyncConnection, sku_id: str, warehouse_id: str) -> tuple[int, int, int]:
    row = (await conn.execute(select(StockLevel.on_hand, StockLevel.allocated,
                                     StockLevel.reserved).where(
        StockLevel.sku_id == sku_id, StockLevel.warehouse_id == warehouse_id))).one()
    return int(row[0]), int(row[1]), int(row[2])


async def remaining(conn: AsyncConnection, line_id: str) -> int:
    return int((await conn.execute(select(DropLine.remaining).where(
        DropLine.id == line_id))).scalar_one())


def stock_key(shop: Shop, warehouse_id: str | None = None) -> dict[str, str]:
    return {"sku_id": shop.sku_id, "warehouse_id": warehouse_id or shop.us_west}


async def drop_line(app_client: httpx.AsyncClient, shop: Shop, quantity: int
                    ) -> dict[str, Any]:
    drop = await start_drop(app_client, shop, ("DE",), quantity=quantity)
    return dict(drop["lines"][0])


# --- STOCK ------------------------------------------------------------------------------

async def test_stock_take_answers_the_units_free_after_and_allocates_them(
        stores: Stores, shop: Shop) -> None:
    async with stores.core() as tx:
        left = await units.take(tx.conn, units.STOCK, stock_key(shop), 3)
        assert left == STOCK_UNITS - 3
        assert await level(tx.conn, shop.sku_id, shop.us_west) == (STOCK_UNITS, 3, 0)


async def test_stock_take_of_every_free_unit_answers_zero_not_none(
        stores: Stores, shop: Shop) -> None:
    async with stores.core() as tx:
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), STOCK_UNITS) == 0


async def test_stock_take_of_more_than_is_free_answers_none_and_changes_nothing(
        stores: Stores, shop: Shop) -> None:
    async with stores.core() as tx:
        before = await level(tx.conn, shop.sku_id, shop.us_west)
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), STOCK_UNITS + 1) is None
        assert await level(tx.conn, shop.sku_id, shop.us_west) == before


async def test_stock_takes_add_up_until_the_last_unit_then_refuse(
        stores: Stores, shop: Shop) -> None:
    async with stores.core() as tx:
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), 6) == 4
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), 5) is None
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), 4) == 0
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), 1) is None
        assert await level(tx.conn, shop.sku_id, shop.us_west) == (STOCK_UNITS, STOCK_UNITS, 0)


async def test_stock_take_touches_only_its_own_warehouse(stores: Stores, shop: Shop) -> None:
    async with stores.core() as tx:
        await units.take(tx.conn, units.STOCK, stock_key(shop, shop.us_west), 4)
        assert await level(tx.conn, shop.sku_id, shop.de) == (STOCK_UNITS, 0, 0)
        assert await level(tx.conn, shop.sku_id, shop.origin) == (STOCK_UNITS, 0, 0)


async def test_stock_take_cannot_take_units_a_drop_allocated(
        stores: Stores, shop: Shop, app_client: httpx.AsyncClient) -> None:
    line = await drop_line(app_client, shop, quantity=3)
    key = stock_key(shop, line["warehouse_id"])
    async with stores.core() as tx:
        assert await level(tx.conn, shop.sku_id, line["warehouse_id"]) == (STOCK_UNITS, 3, 0)
        assert await units.take(tx.conn, units.STOCK, key, STOCK_UNITS - 3 + 1) is None
        assert await units.take(tx.conn, units.STOCK, key, STOCK_UNITS - 3) == 0


async def test_stock_take_cannot_take_units_an_order_reserved(
        stores: Stores, shop: Shop) -> None:
    uow = UnitOfWork(stores)
    try:
        await stock.record(uow.global_, org_id=shop.tenant.org_id, sku_id=shop.sku_id,
                           warehouse_id=shop.us_west, kind=EntryKind.RESERVE, quantity=4,
                           actor_id=shop.tenant.actor.subject_id)
        await uow.commit()
    finally:
        await uow.close()
    async with stores.core() as tx:
        assert await level(tx.conn, shop.sku_id, shop.us_west) == (STOCK_UNITS, 0, 4)
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), 7) is None
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), 6) == 0


async def test_stock_give_puts_taken_units_back(stores: Stores, shop: Shop) -> None:
    async with stores.core() as tx:
        await units.take(tx.conn, units.STOCK, stock_key(shop), 5)
        await units.give(tx.conn, units.STOCK, stock_key(shop), 2)
        assert await level(tx.conn, shop.sku_id, shop.us_west) == (STOCK_UNITS, 3, 0)
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), 7) == 0


async def test_stock_take_on_a_row_that_does_not_exist_answers_none(
        stores: Stores, shop: Shop) -> None:
    async with stores.core() as tx:
        assert await units.take(tx.conn, units.STOCK,
                                {"sku_id": "sku_missing", "warehouse_id": shop.us_west},
                                1) is None


async def test_a_rolled_back_take_leaves_the_stock_as_it_was(
        stores: Stores, shop: Shop) -> None:
    async with stores.core() as tx:
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), 5) == 5
        await tx.rollback()
    async with stores.core() as tx:
        assert await level(tx.conn, shop.sku_id, shop.us_west) == (STOCK_UNITS, 0, 0)


async def test_a_committed_take_is_seen_by_the_next_transaction(
        stores: Stores, shop: Shop) -> None:
    async with stores.core() as tx:
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), 5) == 5
        await tx.commit()
    async with stores.core() as tx:
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), 6) is None
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), 5) == 0


# --- DROP_LINE --------------------------------------------------------------------------

async def test_drop_line_take_answers_the_units_remaining_after(
        stores: Stores, shop: Shop, app_client: httpx.AsyncClient) -> None:
    line = await drop_line(app_client, shop, quantity=3)
    async with stores.core() as tx:
        assert await units.take(tx.conn, units.DROP_LINE, {"id": line["id"]}, 2) == 1
        assert await remaining(tx.conn, line["id"]) == 1


async def test_drop_line_take_of_more_than_remains_answers_none_and_changes_nothing(
        stores: Stores, shop: Shop, app_client: httpx.AsyncClient) -> None:
    line = await drop_line(app_client, shop, quantity=3)
    async with stores.core() as tx:
        assert await units.take(tx.conn, units.DROP_LINE, {"id": line["id"]}, 4) is None
        assert await remaining(tx.conn, line["id"]) == 3


async def test_drop_line_sells_out_exactly_at_its_quantity(
        stores: Stores, shop: Shop, app_client: httpx.AsyncClient) -> None:
    line = await drop_line(app_client, shop, quantity=3)
    key = {"id": line["id"]}
    async with stores.core() as tx:
        assert [await units.take(tx.conn, units.DROP_LINE, key, 1) for _ in range(4)] == [
            2, 1, 0, None]
        assert await remaining(tx.conn, line["id"]) == 0


async def test_drop_line_take_does_not_move_the_warehouse_stock(
        stores: Stores, shop: Shop, app_client: httpx.AsyncClient) -> None:
    # the drop allocated its units when it was made; a reservation only counts them down
    line = await drop_line(app_client, shop, quantity=3)
    async with stores.core() as tx:
        before = await level(tx.conn, shop.sku_id, line["warehouse_id"])
        await units.take(tx.conn, units.DROP_LINE, {"id": line["id"]}, 2)
        assert await level(tx.conn, shop.sku_id, line["warehouse_id"]) == before


async def test_drop_line_give_puts_units_back(
        stores: Stores, shop: Shop, app_client: httpx.AsyncClient) -> None:
    line = await drop_line(app_client, shop, quantity=3)
    key = {"id": line["id"]}
    async with stores.core() as tx:
        await units.take(tx.conn, units.DROP_LINE, key, 3)
        await units.give(tx.conn, units.DROP_LINE, key, 2)
        assert await remaining(tx.conn, line["id"]) == 2
        assert await units.take(tx.conn, units.DROP_LINE, key, 2) == 0


# --- bad calls --------------------------------------------------------------------------

@pytest.mark.parametrize("qty", [0, -1])
async def test_take_of_a_count_that_is_not_positive_is_a_value_error_and_writes_nothing(
        stores: Stores, shop: Shop, qty: int) -> None:
    async with stores.core() as tx:
        with pytest.raises(ValueError):
            await units.take(tx.conn, units.STOCK, stock_key(shop), qty)
        assert await level(tx.conn, shop.sku_id, shop.us_west) == (STOCK_UNITS, 0, 0)


@pytest.mark.parametrize("qty", [0, -1])
async def test_give_of_a_count_that_is_not_positive_is_a_value_error_and_writes_nothing(
        stores: Stores, shop: Shop, qty: int) -> None:
    async with stores.core() as tx:
        await units.take(tx.conn, units.STOCK, stock_key(shop), 2)
        with pytest.raises(ValueError):
            await units.give(tx.conn, units.STOCK, stock_key(shop), qty)
        assert await level(tx.conn, shop.sku_id, shop.us_west) == (STOCK_UNITS, 2, 0)


async def test_a_stock_key_without_its_warehouse_is_a_key_error_and_writes_nothing(
        stores: Stores, shop: Shop) -> None:
    async with stores.core() as tx:
        with pytest.raises(KeyError, match="warehouse_id"):
            await units.take(tx.conn, units.STOCK, {"sku_id": shop.sku_id}, 1)
        with pytest.raises(KeyError, match="warehouse_id"):
            await units.give(tx.conn, units.STOCK, {"sku_id": shop.sku_id}, 1)
        assert await level(tx.conn, shop.sku_id, shop.us_west) == (STOCK_UNITS, 0, 0)


def test_a_drop_line_key_without_its_id_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="id"):
        units.DROP_LINE.params({"line_id": "x"}, 1)


def test_pools_bind_each_key_column_and_the_count() -> None:
    assert units.STOCK.params({"sku_id": "s", "warehouse_id": "w", "extra": "e"}, 2) == {
        "k_sku_id": "s", "k_warehouse_id": "w", "n_units": 2}
    assert units.DROP_LINE.params({"id": "l"}, 5) == {"k_id": "l", "n_units": 5}


async def test_a_give_of_more_than_was_taken_changes_nothing(stores: Stores, shop: Shop
                                                              ) -> None:
    async with stores.core() as tx:
        assert await units.take(tx.conn, units.STOCK, stock_key(shop), 2) == STOCK_UNITS - 2
        assert await units.give(tx.conn, units.STOCK, stock_key(shop), 3) is False
        assert await level(tx.conn, shop.sku_id, shop.us_west) == (STOCK_UNITS, 2, 0)
        assert await units.give(tx.conn, units.STOCK, stock_key(shop), 2) is True
        assert await level(tx.conn, shop.sku_id, shop.us_west) == (STOCK_UNITS, 0, 0)
        await tx.rollback()


async def test_a_drop_line_cannot_be_given_more_than_it_sold(
        stores: Stores, shop: Shop, app_client: httpx.AsyncClient) -> None:
    line = await drop_line(app_client, shop, 3)
    async with stores.core() as tx:
        assert await units.give(tx.conn, units.DROP_LINE, {"id": line["id"]}, 1) is False
        assert await units.take(tx.conn, units.DROP_LINE, {"id": line["id"]}, 2) == 1
        assert await units.give(tx.conn, units.DROP_LINE, {"id": line["id"]}, 3) is False
        assert await units.give(tx.conn, units.DROP_LINE, {"id": line["id"]}, 2) is True
        assert await remaining(tx.conn, line["id"]) == 3
        await tx.rollback()
