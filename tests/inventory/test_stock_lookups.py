"""Looking up what a drop or a stock entry names: the room, the SKU, the warehouse.

The rules (docs/selling.md, "Drops" and "Stock"): a seller sees only their own
organisation's rooms, SKUs and warehouses — one of another organisation's answers exactly
as one that does not exist (404 with ``room_not_found``, ``sku_not_found`` or
``warehouse_not_found`` and the message "<what> <id> was not found"), and nothing is
allocated or entered. A drop may be announced in a room of its own organisation. Routing
sees each warehouse with the lanes it was created with: days, cost and the market's
currency.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork
from chuhai.core.errors import NotFound
from chuhai.inventory import drops, stock
from chuhai.inventory.ledger import EntryKind, Levels
from chuhai.inventory.routing import Depot, Lane
from chuhai.inventory.schemas import DropIn
from chuhai.live import service as live
from chuhai.live.schemas import RoomIn
from tests.factories import Shop, make_shop


@pytest.fixture
async def shops(stores: Stores, settings: Settings, app_client: httpx.AsyncClient
                ) -> tuple[Shop, Shop]:
    """Mine and another organisation's."""
    return (await make_shop(stores, settings, app_client, stock=10),
            await make_shop(stores, settings, app_client, stock=10))


async def room_of(stores: Stores, shop: Shop) -> str:
    uow = UnitOfWork(stores)
    try:
        room = await live.create_room(uow, shop.tenant.actor, RoomIn.model_validate({
            "titles": {"en": "Launch day"}, "markets": ["US"],
            "scheduled_at": utcnow() + timedelta(minutes=5)}))
        await uow.commit()
        return room.id
    finally:
        await uow.close()


def drop_in(shop: Shop, room_id: str | None = None, **line: Any) -> DropIn:
    return DropIn.model_validate({"title": "Earbuds at 29", "room_id": room_id, "lines": [
        {"sku_id": shop.sku_id, "market": "US", "warehouse_id": shop.us_west, "quantity": 2,
         "price": "29.00", **line}]})


async def create(stores: Stores, shop: Shop, data: DropIn) -> str:
    uow = UnitOfWork(stores)
    try:
        drop = await drops.create_drop(uow, shop.tenant.actor, data)
        await uow.commit()
        return drop.id
    finally:
        await uow.close()


async def not_found(stores: Stores, shop: Shop, data: DropIn) -> NotFound:
    with pytest.raises(NotFound) as err:
        await create(stores, shop, data)
    assert err.value.status == 404
    return err.value


async def levels(stores: Stores, shop: Shop) -> Levels:
    async with stores.session() as s:
        return await stock.levels_of(s, shop.sku_id, shop.us_west)


async def test_a_drop_is_announced_in_a_room_of_its_own_organisation_only(
        stores: Stores, shops: tuple[Shop, Shop]) -> None:
    mine, theirs = shops
    my_room, their_room = await room_of(stores, mine), await room_of(stores, theirs)

    drop_id = await create(stores, mine, drop_in(mine, my_room))
    async with stores.session() as s:
        assert (await drops.get_drop(s, mine.tenant.org_id, drop_id)).room_id == my_room

    for room in (their_room, "room_nosuchthing"):
        err = await not_found(stores, mine, drop_in(mine, room))
        assert (err.code, err.message) == ("room_not_found", f"room {room} was not found")
    assert await levels(stores, mine) == Levels(10, 2, 0)  # the first drop's units only


async def test_another_organisations_sku_or_warehouse_is_not_found(
        stores: Stores, shops: tuple[Shop, Shop]) -> None:
    mine, theirs = shops

    err = await not_found(stores, mine, drop_in(mine, sku_id=theirs.sku_id,
                                                warehouse_id=theirs.us_west))
    assert (err.code, err.message) == ("sku_not_found", f"SKU {theirs.sku_id} was not found")
    err = await not_found(stores, mine, drop_in(mine, warehouse_id=theirs.us_west))
    assert (err.code, err.message) == (
        "warehouse_not_found", f"warehouse {theirs.us_west} was not found")

    uow = UnitOfWork(stores)
    try:
        for sku_id, warehouse_id, code, message in (
                (mine.sku_id, theirs.us_west, "warehouse_not_found",
                 f"warehouse {theirs.us_west} was not found"),
                (theirs.sku_id, mine.us_west, "sku_not_found",
                 f"SKU {theirs.sku_id} was not found")):
            with pytest.raises(NotFound) as nf:
                await stock.manual_entry(uow, mine.tenant.actor, sku_id=sku_id,
                                         warehouse_id=warehouse_id, kind=EntryKind.RECEIVE,
                                         quantity=1)
            assert (nf.value.code, nf.value.message) == (code, message)
    finally:
        await uow.close()
    assert await levels(stores, mine) == await levels(stores, theirs) == Levels(10, 0, 0)


async def test_routing_sees_each_warehouse_with_its_lanes_days_cost_and_currency(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> None:
    shop = await make_shop(stores, settings, app_client, stock=1)
    uow = UnitOfWork(stores)
    try:
        houses = {w.code: w for w in await stock.list_warehouses(uow, shop.tenant.actor)}
    finally:
        await uow.close()

    assert stock.depot(houses["SZ"]) == Depot(shop.origin, "SZ", {
        "US": Lane(8, 15, 400, "USD"), "DE": Lane(9, 16, 450, "EUR"),
        "JP": Lane(4, 7, 600, "JPY")})
    assert stock.depot(houses["DE-1"]) == Depot(shop.de, "DE-1", {"DE": Lane(1, 3, 490, "EUR")})
