"""Drops: allocation, the reservation step, limits, idempotency, expiry and the waitlist."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork
from chuhai.core.errors import Conflict, InvalidInput
from chuhai.inventory import drops, stock, sweeper
from chuhai.inventory.ledger import Levels
from chuhai.inventory.schemas import DropIn, ReserveIn
from tests.factories import Shop, buyer, make_shop


@pytest.fixture
async def shop(stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> Shop:
    return await make_shop(stores, settings, app_client)


async def new_drop(stores: Stores, shop: Shop, quantity: int = 5, limit: int = 2,
                   start: bool = True) -> tuple[str, str]:
    uow = UnitOfWork(stores)
    drop = await drops.create_drop(uow, shop.tenant.actor, DropIn.model_validate({
        "title": "Earbuds at 29", "per_buyer_limit": limit,
        "lines": [{"sku_id": shop.sku_id, "market": "US", "warehouse_id": shop.us_west,
                   "quantity": quantity, "price": "29.00"}]}))
    if start:
        await drops.start_drop(uow, shop.tenant.actor, drop.id, countdown_s=0,
                               now=utcnow() - timedelta(seconds=1))
    await uow.commit()
    line = (await drops.lines_of(uow.global_, drop.id))[0]
    await uow.close()
    return drop.id, line.id


def ask(line: str, key: str, qty: int = 1, waitlist: bool = False) -> ReserveIn:
    return ReserveIn(line_id=line, quantity=qty, idempotency_key=key, waitlist=waitlist)


async def levels(stores: Stores, shop: Shop, wh: str) -> Levels:
    async with stores.session() as s:
        return await stock.levels_of(s, shop.sku_id, wh)


async def test_creating_a_drop_allocates_its_units_in_the_named_warehouse(
        stores: Stores, shop: Shop) -> None:
    await new_drop(stores, shop, quantity=5, start=False)
    assert await levels(stores, shop, shop.us_west) == Levels(100, 5, 0)


async def test_a_reservation_takes_units_and_a_replayed_key_returns_the_same_one(
        stores: Stores, shop: Shop) -> None:
    drop_id, line = await new_drop(stores, shop)
    first = await drops.reserve(stores, buyer(1), drop_id, ask(line, "key-000001"))
    again = await drops.reserve(stores, buyer(1), drop_id, ask(line, "key-000001"))
    assert again.id == first.id and first.status == "held" and first.price_minor == 2900
    async with stores.session() as s:
        assert (await drops.lines_of(s, drop_id))[0].remaining == 4
    with pytest.raises(InvalidInput) as err:
        await drops.reserve(stores, buyer(1), drop_id, ask(line, "key-000001", qty=2))
    assert err.value.code == "idempotency_key_reused"


async def test_a_retry_after_the_sell_out_or_at_the_limit_gets_the_first_reservation_back(
        stores: Stores, shop: Shop) -> None:
    """The UPDATE comes first, so a retry can meet "sold out" or the buyer's limit before
    its key is seen: both refusals look the key up and answer with the original."""
    drop_id, line = await new_drop(stores, shop, quantity=2, limit=2)
    first = await drops.reserve(stores, buyer(7), drop_id, ask(line, "key-first-1", qty=2))
    assert (await drops.reserve(stores, buyer(7), drop_id,
                                ask(line, "key-first-1", qty=2))).id == first.id  # sold out
    with pytest.raises(Conflict) as err:
        await drops.reserve(stores, buyer(8), drop_id, ask(line, "key-other-1"))
    assert err.value.code == "sold_out"
    async with stores.session() as s:
        assert (await drops.lines_of(s, drop_id))[0].remaining == 0


async def test_the_per_buyer_limit_counts_across_reservations(stores: Stores, shop: Shop
                                                              ) -> None:
    drop_id, line = await new_drop(stores, shop, limit=2)
    await drops.reserve(stores, buyer(2), drop_id, ask(line, "key-a-0001"))
    await drops.reserve(stores, buyer(2), drop_id, ask(line, "key-b-0001"))
    with pytest.raises(Conflict) as err:
        await drops.reserve(stores, buyer(2), drop_id, ask(line, "key-c-0001"))
    assert err.value.code == "buyer_limit_reached"


@pytest.mark.parametrize("qty", [3, 4])
async def test_one_request_for_more_than_the_limit_is_refused_and_takes_nothing(
        stores: Stores, shop: Shop, qty: int) -> None:
    drop_id, line = await new_drop(stores, shop, quantity=5, limit=2)
    with pytest.raises(Conflict) as err:
        await drops.reserve(stores, buyer(31), drop_id, ask(line, f"key-big-{qty}", qty=qty))
    assert err.value.code == "buyer_limit_reached"
    async with stores.session() as s:
        assert (await drops.lines_of(s, drop_id))[0].remaining == 5
    held = await drops.reserve(stores, buyer(31), drop_id, ask(line, "key-two-1", qty=2))
    assert held.quantity == 2
    await drops.cancel_reservation(stores, buyer(31), held.id)  # leave no hold behind


async def test_sold_out_with_a_waitlist_place_then_expiry_offers_the_units_in_order(
        stores: Stores, shop: Shop) -> None:
    drop_id, line = await new_drop(stores, shop, quantity=1)
    held = await drops.reserve(stores, buyer(3), drop_id, ask(line, "key-hold-01"))
    with pytest.raises(Conflict) as err:
        await drops.reserve(stores, buyer(4), drop_id, ask(line, "key-wait-01", waitlist=True))
    assert err.value.code == "sold_out" and err.value.extra["waitlist_position"] == 1
    with pytest.raises(Conflict) as err:
        await drops.reserve(stores, buyer(5), drop_id, ask(line, "key-wait-02", waitlist=True))
    assert err.value.extra["waitlist_position"] == 2
    later = held.expires_at + timedelta(seconds=1)
    report = await sweeper.sweep(stores, now=later)
    assert [r.id for r in report.expired] == [held.id]
    assert [r.buyer_id for r in report.offered] == ["cus_test4"]
    assert report.offered[0].source == "waitlist"
    again = await sweeper.sweep(stores, now=later)  # idempotent: nothing left to do
    assert again.empty


async def test_a_drop_refuses_before_it_opens_with_drop_not_started(
        stores: Stores, shop: Shop) -> None:
    drop_id, line = await new_drop(stores, shop, start=False)
    with pytest.raises(Conflict) as err:  # scheduled: the host has not started it
        await drops.reserve(stores, buyer(6), drop_id, ask(line, "key-early-1"))
    assert err.value.code == "drop_not_started"

    start = utcnow()
    uow = UnitOfWork(stores)
    await drops.start_drop(uow, shop.tenant.actor, drop_id, countdown_s=30, now=start)
    await uow.commit()
    await uow.close()
    with pytest.raises(Conflict) as err:  # started, but the countdown is still running
        await drops.reserve(stores, buyer(6), drop_id, ask(line, "key-early-2"),
                            now=start + timedelta(seconds=29))
    assert err.value.code == "drop_not_started"
    assert "starts_at" in err.value.extra
    opened = await drops.reserve(stores, buyer(6), drop_id, ask(line, "key-early-3"),
                                 now=start + timedelta(seconds=30))
    assert opened.status == "held"


async def test_a_drop_refuses_once_its_time_is_up_with_drop_ended(stores: Stores, shop: Shop
                                                                  ) -> None:
    drop_id, line = await new_drop(stores, shop, quantity=5)
    async with stores.session() as s:
        ends_at = (await drops.get_drop(s, None, drop_id)).ends_at
    assert ends_at is not None
    last = await drops.reserve(stores, buyer(9), drop_id, ask(line, "key-last-01"),
                               now=ends_at - timedelta(seconds=1))
    assert last.status == "held"
    for late in (ends_at, ends_at + timedelta(hours=1)):  # the sweeper has not run yet
        with pytest.raises(Conflict) as err:
            await drops.reserve(stores, buyer(10), drop_id,
                                ask(line, f"key-late-{late.minute:02d}"), now=late)
        assert err.value.code == "drop_ended"
    # A retry of the reservation made in time still gets it back after the end.
    again = await drops.reserve(stores, buyer(9), drop_id, ask(line, "key-last-01"),
                                now=ends_at + timedelta(minutes=1))
    assert again.id == last.id
    async with stores.session() as s:
        assert (await drops.lines_of(s, drop_id))[0].remaining == 4


async def test_a_drop_the_host_ended_refuses_with_drop_ended(stores: Stores, shop: Shop
                                                             ) -> None:
    drop_id, line = await new_drop(stores, shop, quantity=5)
    uow = UnitOfWork(stores)
    await drops.end_drop(uow, shop.tenant.actor, drop_id)
    await uow.commit()
    await uow.close()
    with pytest.raises(Conflict) as err:
        await drops.reserve(stores, buyer(11), drop_id, ask(line, "key-ended-1"))
    assert err.value.code == "drop_ended"
    async with stores.session() as s:
        assert (await drops.lines_of(s, drop_id))[0].remaining == 5


async def test_settling_an_ended_drop_returns_unsold_units_to_the_warehouse(
        stores: Stores, shop: Shop) -> None:
    drop_id, line = await new_drop(stores, shop, quantity=5)
    res = await drops.reserve(stores, buyer(7), drop_id, ask(line, "key-settle-1", qty=2))
    uow = UnitOfWork(stores)
    await drops.end_drop(uow, shop.tenant.actor, drop_id)
    await uow.commit()
    await uow.close()
    report = await sweeper.sweep(stores)
    assert report.settled_drops == []  # units are still held by a buyer
    report = await sweeper.sweep(stores, now=res.expires_at + timedelta(seconds=1))
    assert report.settled_drops == [drop_id]
    assert await levels(stores, shop, shop.us_west) == Levels(100, 0, 0)
    async with stores.session() as s:
        _total, bad = await stock.check(s)
    assert bad == []
