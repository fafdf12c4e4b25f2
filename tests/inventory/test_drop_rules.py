"""Drops: cancelling a reservation, per-buyer counts, waitlist places, the drop's window
and its end, and what buyers and the room are shown.

The rules (docs/selling.md, "Drops"): a buyer may let go of their own held reservation —
its units go back to the line at once and no longer count against their limit (in that
drop, for that buyer only); a reservation of someone else's answers as if it did not
exist (404 ``reservation_not_found``), and one no longer held is 409
``reservation_not_held``. A sold-out line's waitlist serves buyers in arrival order; a
buyer's place counts who still waits on that line before them. Outside the drop's window
a reservation is refused: ``drop_not_started`` before it opens, ``drop_ended`` once it is
over, ended by the host, or cancelled. Ending a drop stops selling at once (the event
``drop.ended`` announces it); a drop that was never started is cancelled instead.

Every time is explicit (``now=``): the tests do not depend on the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork
from chuhai.core.errors import Conflict, NotFound
from chuhai.core.outbox import GlobalOutbox
from chuhai.inventory import drops, sweeper
from chuhai.inventory.models import Drop, Reservation
from chuhai.inventory.schemas import DropIn, ReserveIn
from tests.factories import Shop, buyer, make_buyer, make_shop

T0 = utcnow().replace(microsecond=0) - timedelta(hours=1)  # when the drops open
MIN = timedelta(minutes=1)


@pytest.fixture
async def shop(stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> Shop:
    return await make_shop(stores, settings, app_client)


async def new_drop(stores: Stores, shop: Shop, *, markets: tuple[str, ...] = ("US",),
                   quantity: int = 5, limit: int = 2, start: bool = True
                   ) -> tuple[str, list[str]]:
    """A drop of the shop's SKU, one line per market (30 minutes, 10-minute holds),
    started at T0 unless ``start`` is False; its id and line ids (in market order)."""
    uow = UnitOfWork(stores)
    warehouses = {"US": shop.us_west, "DE": shop.de}
    drop = await drops.create_drop(uow, shop.tenant.actor, DropIn.model_validate({
        "title": "Earbuds at 29", "per_buyer_limit": limit, "duration_minutes": 30,
        "hold_minutes": 10,
        "lines": [{"sku_id": shop.sku_id, "market": m, "warehouse_id": warehouses[m],
                   "quantity": quantity, "price": "29.00"} for m in markets]}))
    if start:
        await drops.start_drop(uow, shop.tenant.actor, drop.id, countdown_s=0, now=T0)
    await uow.commit()
    lines = await drops.lines_of(uow.global_, drop.id)
    await uow.close()
    return drop.id, [ln.id for ln in lines]


async def end(stores: Stores, shop: Shop, drop_id: str, now: datetime) -> Drop:
    uow = UnitOfWork(stores)
    try:
        ended = await drops.end_drop(uow, shop.tenant.actor, drop_id, now=now)
        await uow.commit()
        return ended
    finally:
        await uow.close()


_keys = iter(range(1, 10_000))


async def reserve(stores: Stores, who: str, drop_id: str, line: str, qty: int = 1, *,
                  at: datetime = T0 + MIN, waitlist: bool = False) -> Reservation:
    return await drops.reserve(stores, buyer(who), drop_id, ReserveIn(
        line_id=line, quantity=qty, idempotency_key=f"key-{next(_keys):06d}",
        waitlist=waitlist), now=at)


async def refused(stores: Stores, who: str, drop_id: str, line: str, qty: int = 1, *,
                  at: datetime = T0 + MIN, waitlist: bool = False) -> Conflict:
    with pytest.raises(Conflict) as err:
        await reserve(stores, who, drop_id, line, qty, at=at, waitlist=waitlist)
    return err.value


async def remaining(stores: Stores, drop_id: str) -> list[int]:
    async with stores.session() as s:
        return [ln.remaining for ln in await drops.lines_of(s, drop_id)]


async def status_of(stores: Stores, reservation_id: str) -> str:
    async with stores.session() as s:
        found = await s.scalar(select(Reservation.status).where(
            Reservation.id == reservation_id))
    return str(found)


# --- cancelling a reservation ---------------------------------------------------------------

async def test_cancelling_gives_the_units_back_to_the_line_and_to_the_buyers_limit(
        stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop, quantity=5, limit=2)
    held = await reserve(stores, "ann", drop_id, line, 2)
    assert (await refused(stores, "ann", drop_id, line)).code == "buyer_limit_reached"

    cancelled = await drops.cancel_reservation(stores, buyer("ann"), held.id)

    assert (cancelled.id, cancelled.status) == (held.id, "cancelled")
    assert cancelled.settled_at is not None
    assert await status_of(stores, held.id) == "cancelled"
    assert await remaining(stores, drop_id) == [5]
    again = await reserve(stores, "ann", drop_id, line, 2)  # the limit is free again
    assert again.status == "held" and await remaining(stores, drop_id) == [3]


async def test_cancelling_one_reservation_leaves_the_buyers_others_held(
        stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop, quantity=5, limit=3)
    first = await reserve(stores, "ann", drop_id, line, 1)
    second = await reserve(stores, "ann", drop_id, line, 2)

    cancelled = await drops.cancel_reservation(stores, buyer("ann"), second.id)

    assert (cancelled.id, cancelled.quantity) == (second.id, 2)
    assert await status_of(stores, first.id) == "held"
    assert await status_of(stores, second.id) == "cancelled"
    assert await remaining(stores, drop_id) == [4]


async def test_another_buyer_cannot_cancel_my_reservation(stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop)
    mine = await reserve(stores, "ann", drop_id, line)

    with pytest.raises(NotFound) as err:
        await drops.cancel_reservation(stores, buyer("bob"), mine.id)

    assert (err.value.status, err.value.code) == (404, "reservation_not_found")
    assert err.value.message == f"reservation {mine.id} was not found"
    assert await status_of(stores, mine.id) == "held"
    assert await remaining(stores, drop_id) == [4]
    with pytest.raises(NotFound) as err:  # and one that does not exist answers the same
        await drops.cancel_reservation(stores, buyer("bob"), "res_nosuchthing")
    assert err.value.message == "reservation res_nosuchthing was not found"


async def test_a_reservation_no_longer_held_cannot_be_cancelled_and_returns_nothing_twice(
        stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop, quantity=5, limit=2)
    cancelled = await reserve(stores, "ann", drop_id, line)
    lapsed = await reserve(stores, "ann", drop_id, line)
    await drops.cancel_reservation(stores, buyer("ann"), cancelled.id)
    report = await sweeper.sweep(stores, now=lapsed.expires_at)
    assert [r.id for r in report.expired] == [lapsed.id]
    assert await remaining(stores, drop_id) == [5]

    for res, status in ((cancelled, "cancelled"), (lapsed, "expired")):
        with pytest.raises(Conflict) as err:
            await drops.cancel_reservation(stores, buyer("ann"), res.id)
        assert (err.value.status, err.value.code) == (409, "reservation_not_held")
        assert err.value.message == f"the reservation is {status}"
        assert await status_of(stores, res.id) == status
    assert await remaining(stores, drop_id) == [5]  # each unit came back once


async def test_a_cancellation_frees_only_that_buyers_count_in_that_drop(
        stores: Stores, shop: Shop) -> None:
    first, [line_1] = await new_drop(stores, shop, quantity=6, limit=2)
    second, [line_2] = await new_drop(stores, shop, quantity=4, limit=2)
    ann_1 = await reserve(stores, "ann", first, line_1, 2)
    await reserve(stores, "ann", second, line_2, 2)
    await reserve(stores, "bob", first, line_1, 2)

    await drops.cancel_reservation(stores, buyer("ann"), ann_1.id)

    assert (await reserve(stores, "ann", first, line_1, 2)).status == "held"
    assert (await refused(stores, "ann", first, line_1)).code == "buyer_limit_reached"
    assert (await refused(stores, "bob", first, line_1)).code == "buyer_limit_reached"
    assert (await refused(stores, "ann", second, line_2)).code == "buyer_limit_reached"
    assert await remaining(stores, first) == [2] and await remaining(stores, second) == [2]


# --- the waitlist ------------------------------------------------------------------------------

async def test_a_waitlist_place_counts_who_still_waits_on_that_line_before_you(
        stores: Stores, shop: Shop) -> None:
    drop_id, [de, us] = await new_drop(stores, shop, markets=("US", "DE"), quantity=1)
    await reserve(stores, "holder", drop_id, de)
    held_us = await reserve(stores, "holder", drop_id, us)

    async def place(who: str, line: str, at: datetime = T0 + MIN) -> int:
        err = await refused(stores, who, drop_id, line, at=at, waitlist=True)
        assert err.code == "sold_out"
        return int(err.extra["waitlist_position"])

    assert await place("bob", us) == 1
    assert await place("ann", de) == 1   # Bob waits on the other line
    assert await place("carl", de) == 2
    assert await place("ann", us) == 2   # Ann's place on each line is her own
    assert await place("dan", us) == 3
    # Asking again keeps one's place, on each line.
    assert (await place("ann", de), await place("ann", us), await place("bob", us)) == (
        1, 2, 1)
    # Bob is offered the unit that came back: Ann is now the first still waiting.
    later = held_us.expires_at
    report = await sweeper.sweep(stores, now=later)
    assert [r.buyer_id for r in report.offered if r.line_id == us] == ["cus_testbob"]
    assert await place("ann", us, at=later) == 1
    assert await place("dan", us, at=later) == 2


# --- the drop's window ---------------------------------------------------------------------

async def test_exactly_at_its_start_the_drop_is_open_and_a_moment_before_it_is_not(
        stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop, start=False)
    uow = UnitOfWork(stores)
    await drops.start_drop(uow, shop.tenant.actor, drop_id, countdown_s=60, now=T0)
    await uow.commit()
    await uow.close()
    starts = T0 + MIN

    early = await refused(stores, "ann", drop_id, line, at=starts - timedelta(microseconds=1))
    assert (early.code, early.message, early.extra["starts_at"]) == (
        "drop_not_started", "the drop has not started", starts.isoformat())
    assert (await reserve(stores, "ann", drop_id, line, at=starts)).status == "held"


async def test_once_the_host_ended_the_drop_every_request_is_refused_as_ended(
        stores: Stores, shop: Shop) -> None:
    """Also one stamped before the end by a node whose clock is a little behind."""
    drop_id, [line] = await new_drop(stores, shop)
    await end(stores, shop, drop_id, now=T0 + 10 * MIN)
    for at in (T0 + 9 * MIN, T0 + 10 * MIN, T0 + 40 * MIN):
        err = await refused(stores, "ann", drop_id, line, at=at)
        assert (err.code, err.message) == ("drop_ended", "the drop has ended")


async def test_a_cancelled_drop_refuses_as_ended(stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop, start=False)
    cancelled = await end(stores, shop, drop_id, now=T0)
    assert (cancelled.status, cancelled.ends_at) == ("cancelled", T0)
    for at in (T0 - MIN, T0 + MIN):
        assert (await refused(stores, "ann", drop_id, line, at=at)).code == "drop_ended"


async def test_a_drop_that_was_never_started_refuses_as_not_started(
        stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop, start=False)
    err = await refused(stores, "ann", drop_id, line)
    assert (err.code, err.message) == ("drop_not_started", "the drop has not been started")
    assert "starts_at" not in err.extra


# --- ending a drop -----------------------------------------------------------------------------

async def test_ending_a_drop_stops_selling_at_once_and_announces_it(
        stores: Stores, shop: Shop) -> None:
    drop_id, [line] = await new_drop(stores, shop)
    at = T0 + 5 * MIN
    assert (await reserve(stores, "ann", drop_id, line, at=at)).status == "held"

    ended = await end(stores, shop, drop_id, now=at)

    assert (ended.status, ended.ends_at) == ("ended", at)
    # The very next request — within the moment the drop's terms are kept in memory — is
    # refused.
    assert (await refused(stores, "bob", drop_id, line, at=at)).code == "drop_ended"
    async with stores.session() as s:
        events = (await s.scalars(select(GlobalOutbox).where(
            GlobalOutbox.type == "drop.ended"))).all()
    assert [e.payload["data"] for e in events] == [{"drop_id": drop_id, "status": "ended"}]


async def test_ending_a_drop_after_its_time_was_up_keeps_the_time_it_ended(
        stores: Stores, shop: Shop) -> None:
    """The sweeper has not yet ended it: the host's late click does not extend the sale."""
    drop_id, _lines = await new_drop(stores, shop)
    ended = await end(stores, shop, drop_id, now=T0 + 45 * MIN)
    assert (ended.status, ended.ends_at) == ("ended", T0 + 30 * MIN)


async def test_a_drop_that_was_never_started_is_cancelled_and_cannot_be_ended_twice(
        stores: Stores, shop: Shop) -> None:
    drop_id, _lines = await new_drop(stores, shop, start=False)
    cancelled = await end(stores, shop, drop_id, now=T0)
    assert (cancelled.status, cancelled.ends_at) == ("cancelled", T0)
    live_id, _lines = await new_drop(stores, shop)
    await end(stores, shop, live_id, now=T0 + MIN)
    for which, status in ((drop_id, "cancelled"), (live_id, "ended")):
        with pytest.raises(Conflict) as err:
            await end(stores, shop, which, now=T0 + 2 * MIN)
        assert (err.value.code, err.value.message) == (
            "drop_already_ended", f"the drop is already {status}")
    async with stores.session() as s:
        events = (await s.scalars(select(GlobalOutbox).where(
            GlobalOutbox.type == "drop.ended"))).all()
    assert sorted((e.payload["data"]["drop_id"], e.payload["data"]["status"])
                  for e in events) == sorted([(drop_id, "cancelled"), (live_id, "ended")])


# --- what the room and the buyer are shown -----------------------------------------------------

async def test_the_drop_announcement_shows_each_lines_price_stock_and_window_and_no_buyer(
        stores: Stores, shop: Shop) -> None:
    drop_id, [de, us] = await new_drop(stores, shop, markets=("US", "DE"), quantity=4,
                                       limit=3)
    await reserve(stores, "ann", drop_id, us, 3)
    async with stores.session() as s:
        drop = await drops.get_drop(s, None, drop_id)
        view = drops.drop_view(drop, await drops.lines_of(s, drop_id))

    assert view == {
        "id": drop_id, "title": "Earbuds at 29", "status": "live",
        "starts_at": T0.isoformat(), "ends_at": (T0 + 30 * MIN).isoformat(),
        "per_buyer_limit": 3,
        "lines": [
            {"id": de, "sku_id": shop.sku_id, "market": "DE", "price": "29.00",
             "currency": "EUR", "quantity": 4, "remaining": 4},
            {"id": us, "sku_id": shop.sku_id, "market": "US", "price": "29.00",
             "currency": "USD", "quantity": 4, "remaining": 1},
        ]}


async def test_the_drop_announcement_of_a_drop_not_yet_started_has_no_window(
        stores: Stores, shop: Shop) -> None:
    drop_id, _lines = await new_drop(stores, shop, start=False)
    async with stores.session() as s:
        view = drops.drop_view(await drops.get_drop(s, None, drop_id), [])
    assert (view["status"], view["starts_at"], view["ends_at"], view["lines"]) == (
        "scheduled", None, None, [])


async def test_a_buyer_sees_their_own_reservations_newest_first_and_can_ask_for_held_ones(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient, shop: Shop
        ) -> None:
    drop_id, [line] = await new_drop(stores, shop, quantity=5, limit=3)
    ann = await make_buyer(stores, settings, "US")
    bob = await make_buyer(stores, settings, "US")
    mine = []
    for n, qty in enumerate((1, 2)):
        mine.append(await drops.reserve(stores, ann.actor, drop_id, ReserveIn(
            line_id=line, quantity=qty, idempotency_key=f"ann-key-{n}"), now=T0 + n * MIN))
    await drops.reserve(stores, bob.actor, drop_id, ReserveIn(
        line_id=line, quantity=1, idempotency_key="bob-key-0"), now=T0)
    await drops.cancel_reservation(stores, ann.actor, mine[0].id)

    every = await app_client.get("/api/me/reservations", headers=ann.headers)
    held = await app_client.get("/api/me/reservations", headers=ann.headers,
                                params={"held": "true"})

    assert every.status_code == 200, every.text
    assert [(r["id"], r["status"], r["quantity"]) for r in every.json()] == [
        (mine[1].id, "held", 2), (mine[0].id, "cancelled", 1)]
    first = every.json()[0]
    assert (first["drop_id"], first["line_id"], first["market"], first["price"],
            first["currency"], first["source"]) == (drop_id, line, "US", "29.00", "USD", "buy")
    assert held.status_code == 200, held.text
    assert [r["id"] for r in held.json()] == [mine[1].id]
    async with stores.session() as s:  # the same through the service
        assert [r.id for r in await drops.my_reservations(s, ann.actor)] == [
            mine[1].id, mine[0].id]
        assert [r.id for r in await drops.my_reservations(s, ann.actor, held_only=True)] == [
            mine[1].id]
