"""Under a burst: 2,000 simultaneous reserve calls for 500 units from 1,500 buyers with a
limit of 2 → exactly 500 units reserved, nobody above the limit. SQLite and PostgreSQL
(real commits, no shared test transaction), and the same with the Redis gate in front.
Then auctions: concurrent bids in the anti-sniping window end with exactly one winner: the
bidder who offered the most."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork
from chuhai.core.errors import Conflict
from chuhai.core.redis_client import connect
from chuhai.inventory import auctions, drops, stock, sweeper
from chuhai.inventory.gate import RedisGate
from chuhai.inventory.models import DropBuyer, DropLine, Reservation
from chuhai.inventory.schemas import AuctionIn, BidIn, DropIn, ReserveIn
from tests.conftest import redis_url_or_skip
from tests.factories import Shop, buyer, committed_shop

UNITS, CALLS, BUYERS, LIMIT = 500, 2000, 1500, 2


@pytest.fixture
async def real(migrated_settings: Settings, tmp_path: Path
               ) -> AsyncIterator[tuple[Stores, Shop]]:
    """Fresh stores of the same backend that really commit (each session its own
    connection), so nothing leaks into the rolled-back tests, and a seller."""
    async with committed_shop(migrated_settings, tmp_path / "var", UNITS + 100) as (
            _settings, stores, shop):
        yield stores, shop


async def open_drop(stores: Stores, shop: Shop, units: int = UNITS) -> tuple[str, str]:
    uow = UnitOfWork(stores)
    drop = await drops.create_drop(uow, shop.tenant.actor, DropIn.model_validate({
        "title": "Burst", "per_buyer_limit": LIMIT,
        "lines": [{"sku_id": shop.sku_id, "market": "US", "warehouse_id": shop.us_west,
                   "quantity": units, "price": "9.99"}]}))
    await drops.start_drop(uow, shop.tenant.actor, drop.id, 0, now=utcnow() - timedelta(seconds=1))
    await uow.commit()
    line = (await drops.lines_of(uow.global_, drop.id))[0]
    await uow.close()
    return drop.id, line.id


async def burst(stores: Stores, drop_id: str, line_id: str, gate: RedisGate | None = None
                ) -> Counter[str]:
    rng = random.Random(7)
    outcomes: Counter[str] = Counter()

    async def one(i: int) -> None:
        who = buyer(f"{rng.randrange(BUYERS)}-{drop_id[-6:]}")
        qty = 1 + (i % 2)
        try:
            await drops.reserve(stores, who, drop_id, ReserveIn(
                line_id=line_id, quantity=qty, idempotency_key=f"burst-{i:06d}"), gate=gate)
            outcomes["reserved"] += 1
        except Conflict as exc:
            outcomes[exc.code] += 1

    await asyncio.gather(*(one(i) for i in range(CALLS)))
    return outcomes


async def assert_exact(stores: Stores, drop_id: str, line_id: str) -> None:
    async with stores.session() as s:
        held = await s.scalar(select(func.sum(Reservation.quantity)).where(
            Reservation.drop_id == drop_id, Reservation.status == "held"))
        line = await s.scalar(select(DropLine).where(DropLine.id == line_id))
        worst = await s.scalar(select(func.max(DropBuyer.quantity)).where(
            DropBuyer.drop_id == drop_id))
        per_buyer = dict((await s.execute(select(
            Reservation.buyer_id, func.sum(Reservation.quantity)).where(
            Reservation.drop_id == drop_id).group_by(Reservation.buyer_id))).all())
        counted = dict((await s.execute(select(DropBuyer.buyer_id, DropBuyer.quantity).where(
            DropBuyer.drop_id == drop_id))).all())
    assert line is not None
    assert held == UNITS, "exactly the allocation was reserved: no oversell, no undersell"
    assert line.remaining == 0 and line.quantity == line.remaining + held + line.sold
    assert worst is not None and worst <= LIMIT and max(per_buyer.values()) <= LIMIT
    assert per_buyer == counted, "the limit counter equals what each buyer holds"


async def test_a_burst_never_oversells_and_respects_the_limit(
        real: tuple[Stores, Shop]) -> None:
    stores, shop = real
    drop_id, line_id = await open_drop(stores, shop)
    outcomes = await burst(stores, drop_id, line_id)
    assert outcomes["reserved"] >= UNITS // LIMIT
    assert set(outcomes) <= {"reserved", "sold_out", "buyer_limit_reached"}
    await assert_exact(stores, drop_id, line_id)
    async with stores.session() as s:
        _, bad = await stock.check(s)
    assert bad == []


async def test_the_same_burst_with_the_redis_gate_in_front(
        real: tuple[Stores, Shop]) -> None:
    url = redis_url_or_skip()
    stores, shop = real
    drop_id, line_id = await open_drop(stores, shop)
    redis = connect(url)
    gate = RedisGate(redis, prefix=f"test:{uuid.uuid4().hex[:8]}:")
    try:
        await gate.sync(await sweeper.live_remaining(stores))
        outcomes = await burst(stores, drop_id, line_id, gate)
        await assert_exact(stores, drop_id, line_id)
        assert outcomes["sold_out"] > 0
        # Correctness never depends on the gate: a wrong counter only costs SQL work.
        await redis.set(gate.key(line_id), 10**6)
        with pytest.raises(Conflict) as err:
            await drops.reserve(stores, buyer("late"), drop_id, ReserveIn(
                line_id=line_id, quantity=1, idempotency_key="late-0001"), gate=gate)
        assert err.value.code == "sold_out"
        await assert_exact(stores, drop_id, line_id)
        # A retry of a success after the sell-out: the gate knows the key (one script,
        # one round trip) and SQL answers with the original reservation.
        await redis.set(gate.key(line_id), 0)
        first = await _any_reservation(stores, drop_id)
        await gate.settle(line_id, 0, give_back=False,
                          remember=(first.buyer_id, first.idempotency_key))
        assert await gate.admit(line_id, 1, first.buyer_id, first.idempotency_key) == 2
        again = await drops.reserve(stores, buyer(first.buyer_id.removeprefix("cus_test")),
                                    drop_id, ReserveIn(line_id=line_id,
                                                       quantity=first.quantity,
                                                       idempotency_key=first.idempotency_key),
                                    gate=gate)
        assert again.id == first.id
    finally:
        await redis.aclose()


async def test_the_gate_lets_as_many_stand_by_as_units_may_come_back() -> None:
    """Two units in flight and none left: two buyers may try SQL, the third hears sold out
    at once; the stand-by window lasts a second."""
    url = redis_url_or_skip()
    redis = connect(url)
    gate = RedisGate(redis, prefix=f"test:{uuid.uuid4().hex[:8]}:")
    try:
        await gate.sync({"line": 2})
        assert [await gate.admit("line", 1) for _ in range(2)] == [1, 1]  # 2 in flight
        assert [await gate.admit("line", 1) for _ in range(3)] == [-2, -2, 0]
        await gate.settle("line", 1, give_back=True)  # one failed: its unit is back
        assert await gate.admit("line", 1) == 1
        await asyncio.sleep(1.1)
        assert await gate.admit("line", 1) == -2  # a new stand-by window
    finally:
        await redis.aclose()


async def _any_reservation(stores: Stores, drop_id: str) -> Reservation:
    async with stores.session() as s:
        found = await s.scalar(select(Reservation).where(Reservation.drop_id == drop_id)
                               .limit(1))
    assert found is not None
    return found


def usd_step(price_minor: int) -> int:
    """The default increment for a USD auction, as the guide's table reads: 1.00 below
    20.00, 2.00 from 20.00, 5.00 from 100.00 (up to 500.00)."""
    return 100 if price_minor < 2000 else 200 if price_minor < 10000 else 500


async def test_concurrent_bids_near_the_end_leave_one_winner_at_the_highest_bid(
        real: tuple[Stores, Shop]) -> None:
    """Sixty bids of 10.00–199.99 and one of 250.00 — more than an increment above all of
    them, so no standing can refuse it — arrive at once. Whatever order the database puts
    them in, the 250.00 bidder must win, paying one increment over the best maximum the
    others got accepted, never more than 250.00."""
    stores, shop = real
    uow = UnitOfWork(stores)
    a = await auctions.create_auction(uow, shop.tenant.actor, AuctionIn.model_validate({
        "title": "Signed earbuds", "sku_id": shop.sku_id, "warehouse_id": shop.us_west,
        "market": "US", "start_price": "10.00", "duration_s": 5, "anti_snipe_s": 10}))
    start = utcnow()
    await auctions.start_auction(uow, shop.tenant.actor, a.id, now=start)
    await uow.commit()
    await uow.close()
    rng = random.Random(3)
    maxima = [Decimal(rng.randrange(1000, 20000)) / 100 for _ in range(60)]
    top_at = rng.randrange(len(maxima) + 1)
    maxima.insert(top_at, Decimal("250.00"))
    top_bidder = f"bidder{top_at}"
    late = start + timedelta(seconds=4)  # inside the anti-sniping window

    async def one(i: int) -> tuple[int, Decimal] | None:
        try:
            await auctions.bid(stores, buyer(f"bidder{i}"), a.id,
                               BidIn(amount=str(maxima[i]), idempotency_key=f"bid-{i:04d}"),
                               now=late)
            return i, maxima[i]
        except Conflict as exc:
            assert exc.code in ("bid_too_low", "already_leading")
            return None

    accepted = [r for r in await asyncio.gather(*(one(i) for i in range(len(maxima)))) if r]
    assert (top_at, Decimal("250.00")) in accepted, "the highest bid offered was refused"
    async with stores.session() as s:
        final = await auctions.get_auction(s, None, a.id)
    assert final.ends_at is not None and final.ends_at >= late + timedelta(seconds=10)
    assert (final.leader_id, final.leader_max_minor) == (f"cus_test{top_bidder}", 25000)
    runner_up = max(int(m * 100) for i, m in accepted if i != top_at)
    assert final.price_minor == min(25000, runner_up + usd_step(runner_up))
    assert final.bids == len(accepted)
    closed = await auctions.close_due(stores, final.ends_at + timedelta(seconds=1))
    assert [c.status for c in closed] == ["won"]
    async with stores.session() as s:
        wins = list((await s.scalars(select(Reservation).where(
            Reservation.auction_id == a.id))).all())
    assert [(w.buyer_id, w.price_minor) for w in wins] == [
        (f"cus_test{top_bidder}", final.price_minor)]
    again = await auctions.close_due(stores, final.ends_at + timedelta(seconds=2))
    assert again == []
