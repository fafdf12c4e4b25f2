"""Flash-sale drops: allocation, the reservation step that never oversells, the waitlist.

A reservation is one short write transaction whose first statement is the decision:

1. take the units: ``UPDATE drop_lines SET remaining = remaining - n WHERE remaining >= n``
   — no row means sold out: the transaction ends there (a burst is mostly sold-out
   attempts, so they cost one statement), after a look-up of the idempotency key so that a
   retry of an earlier success gets its reservation back;
2. count the units against the buyer's limit (``INSERT … ON CONFLICT DO UPDATE … WHERE``);
3. insert the reservation (unique per buyer and idempotency key: a concurrent retry fails
   here, rolls back, and is answered with the first reservation).

The database decides step 1 atomically, on SQLite and PostgreSQL alike, and SQLite takes its
write lock at once instead of failing to upgrade a read snapshot. No read precedes it: a
"remaining" read is stale during a burst anyway. The statements are built once.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.core.actor import Actor, ActorKind, Perm
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores, UnitOfWork
from chuhai.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from chuhai.core.idempotency import IdempotencyKeyReused
from chuhai.core.ids import new_id
from chuhai.core.outbox import GlobalOutbox, enqueue, outbox_row
from chuhai.core.shortcache import ShortCache
from chuhai.core.sql import insert_for, insert_for_dialect
from chuhai.inventory import routing, stock, units
from chuhai.inventory.gate import Gate
from chuhai.inventory.ledger import EntryKind
from chuhai.inventory.models import (
    Drop,
    DropBuyer,
    DropLine,
    Reservation,
    WaitlistEntry,
    Warehouse,
)
from chuhai.inventory.schemas import DropIn, ReserveIn, amount_text, minor_in

# While admitted requests are in flight the gate cannot say "sold out" for sure; ask it
# again with a growing pause (10 ms … 160 ms, about a second in all), then let SQL decide.

class SoldOut(Conflict):
    def __init__(self, waitlist_position: int | None = None) -> None:
        super().__init__("sold out", code="sold_out")
        if waitlist_position is not None:
            self.extra["waitlist_position"] = waitlist_position


class BuyerLimitReached(Conflict):
    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} unit(s) per buyer in this drop",
                         code="buyer_limit_reached")
        self.extra["limit"] = limit


class DropNotOpen(Conflict):
    def __init__(self, drop: Drop, now: datetime) -> None:
        if drop.status == "live" and drop.starts_at and now < drop.starts_at:
            super().__init__("the drop has not started", code="drop_not_started")
            self.extra["starts_at"] = drop.starts_at.isoformat()
        elif drop.status in ("ended", "cancelled") or (drop.ends_at and now >= drop.ends_at):
            super().__init__("the drop has ended", code="drop_ended")
        else:
            super().__init__("the drop has not been started", code="drop_not_started")


def request_hash(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def reserve_fingerprint(drop_id: str, req: ReserveIn) -> str:
    """What a reservation's idempotency key stands for: the drop, line and quantity, and
    the waitlist flag — marked only when set, so that the fingerprints of reservations made
    before the flag counted still match their replays."""
    parts = ("drop", drop_id, req.line_id, req.quantity)
    return request_hash(*parts, "waitlist") if req.waitlist else request_hash(*parts)


async def create_drop(uow: UnitOfWork, actor: Actor, data: DropIn) -> Drop:
    """Create a drop and set its units aside in their warehouses (ledger: allocate)."""
    actor.require(Perm.SELLING)
    org_id = actor.org()
    s = uow.global_
    await stock.room_check(s, org_id, data.room_id)
    drop = Drop(id=new_id("drop"), org_id=org_id, room_id=data.room_id, title=data.title,
                status="scheduled", per_buyer_limit=data.per_buyer_limit,
                hold_minutes=data.hold_minutes, duration_minutes=data.duration_minutes)
    s.add(drop)
    await s.flush()
    seen = set()
    for i, line in enumerate(data.lines):
        if (line.sku_id, line.market) in seen:
            raise InvalidInput(f"lines[{i}]: SKU {line.sku_id} is twice in market "
                               f"{line.market}", code="duplicate_line")
        seen.add((line.sku_id, line.market))
        await stock.sku_of(s, org_id, line.sku_id)
        if line.warehouse_id is None:
            wh = await _routed(s, org_id, line.sku_id, line.market, line.quantity)
        else:
            wh = await stock.warehouse_of(s, org_id, line.warehouse_id)
        if line.market not in wh.lanes:
            raise InvalidInput(f"lines[{i}]: warehouse {wh.code} does not serve "
                               f"{line.market}", code="warehouse_does_not_serve_market")
        lane = wh.lanes[line.market]
        dl = DropLine(id=new_id("dline"), drop_id=drop.id, org_id=org_id, sku_id=line.sku_id,
                      market=line.market, warehouse_id=wh.id, quantity=line.quantity,
                      remaining=line.quantity, sold=0, released=0,
                      price_minor=minor_in(line.price, line.market),
                      currency=str(lane["currency"]))
        s.add(dl)
        await stock.record(s, org_id=org_id, sku_id=line.sku_id, warehouse_id=wh.id,
                           kind=EntryKind.ALLOCATE, quantity=line.quantity,
                           actor_id=actor.subject_id, ref=drop.id)
    enqueue(s, org_id, "drop.scheduled", {"drop_id": drop.id, "title": drop.title,
                                          "room_id": drop.room_id})
    await s.flush()
    return drop


async def _routed(s: AsyncSession, org_id: str, sku_id: str, market: str, quantity: int
                  ) -> Warehouse:
    """The one warehouse routing picks for these units (a drop line ships from one place)."""
    houses = list((await s.scalars(select(Warehouse).where(Warehouse.org_id == org_id))).all())
    available = await stock.available_map(s, org_id, [sku_id])
    chosen = routing.route(market, {sku_id: quantity}, [stock.depot(w) for w in houses],
                           available)
    if chosen.split:
        raise InvalidInput(f"no single warehouse serving {market} has {quantity} units; "
                           "split the line across warehouses", code="no_single_warehouse")
    return next(w for w in houses if w.id == chosen.legs[0].warehouse_id)


async def get_drop(session: AsyncSession, org_id: str | None, drop_id: str) -> Drop:
    q = select(Drop).where(Drop.id == drop_id)
    if org_id is not None:
        q = q.where(Drop.org_id == org_id)
    drop = await session.scalar(q)
    if drop is None:
        raise NotFound("drop", drop_id, code="drop_not_found")
    return drop


async def lines_of(session: AsyncSession, drop_id: str) -> list[DropLine]:
    rows = await session.scalars(select(DropLine).where(DropLine.drop_id == drop_id)
                                 .order_by(DropLine.market, DropLine.sku_id))
    return list(rows.all())


async def list_drops(uow: UnitOfWork, actor: Actor, room_id: str | None = None) -> list[Drop]:
    actor.require(Perm.CATALOG_READ)
    q = select(Drop).where(Drop.org_id == actor.org())
    if room_id:
        q = q.where(Drop.room_id == room_id)
    return list((await uow.global_.scalars(q.order_by(Drop.created_at.desc()))).all())


def _may_run(actor: Actor) -> None:
    if not (actor.can(Perm.SELLING) or actor.can(Perm.LIVE_HOST)):
        actor.require(Perm.SELLING)


async def start_drop(uow: UnitOfWork, actor: Actor, drop_id: str, countdown_s: int,
                     now: datetime | None = None) -> Drop:
    """Start the countdown: buying opens at ``now + countdown_s`` for the drop's duration."""
    _may_run(actor)
    now = now or utcnow()
    drop = await get_drop(uow.global_, actor.org(), drop_id)
    if drop.status != "scheduled":
        raise Conflict(f"the drop is {drop.status}", code="drop_not_scheduled")
    drop.status = "live"
    drop.starts_at = now + timedelta(seconds=countdown_s)
    drop.ends_at = drop.starts_at + timedelta(minutes=drop.duration_minutes)
    OFFERS.forget(drop.id)
    enqueue(uow.global_, drop.org_id, "drop.started", {
        "drop_id": drop.id, "starts_at": drop.starts_at.isoformat(),
        "ends_at": drop.ends_at.isoformat()})
    await uow.global_.flush()
    return drop


async def end_drop(uow: UnitOfWork, actor: Actor, drop_id: str,
                   now: datetime | None = None) -> Drop:
    """Stop selling now. Held reservations may still be paid; the sweeper returns the rest."""
    _may_run(actor)
    now = now or utcnow()
    drop = await get_drop(uow.global_, actor.org(), drop_id)
    if drop.status == "scheduled":
        drop.status = "cancelled"
        drop.ends_at = now
    elif drop.status == "live":
        drop.status = "ended"
        drop.ends_at = min(now, drop.ends_at) if drop.ends_at else now
    else:
        raise Conflict(f"the drop is already {drop.status}", code="drop_already_ended")
    OFFERS.forget(drop.id)
    enqueue(uow.global_, drop.org_id, "drop.ended", {"drop_id": drop.id,
                                                     "status": drop.status})
    await uow.global_.flush()
    return drop


@dataclass(frozen=True)
class Offer:
    """What a buyer reserves against: read once, before the write transaction."""

    drop: Drop
    line: DropLine


async def _offer(session: AsyncSession, drop_id: str, line_id: str) -> Offer:
    row = (await session.execute(select(Drop, DropLine).join(
        DropLine, DropLine.drop_id == Drop.id).where(
        Drop.id == drop_id, DropLine.id == line_id))).first()
    if row is None:
        raise NotFound("drop line", f"{drop_id}/{line_id}", code="drop_line_not_found")
    return Offer(row[0], row[1])


def _buyer(actor: Actor) -> tuple[str, str]:
    if actor.kind is not ActorKind.CUSTOMER or actor.region is None:
        raise Forbidden("sign in as a customer to buy", code="customer_required")
    return actor.subject_id, actor.region


_BY_KEY = select(Reservation).where(Reservation.buyer_id == bindparam("buyer_id"),
                                    Reservation.idempotency_key == bindparam("key"))
_ID_BY_KEY = select(Reservation.__table__.c.id).where(
    Reservation.__table__.c.buyer_id == bindparam("buyer_id"),
    Reservation.__table__.c.idempotency_key == bindparam("key"))
# Built once: a burst runs these thousands of times a second, and building and
# cache-keying a statement per attempt cost more Python time than executing it. Taking the
# units is the shared primitive (inventory/units.py).
_INSERT_RESERVATION = insert(Reservation.__table__)
_INSERT_OUTBOX = insert(GlobalOutbox.__table__)


def _count_buyer(dialect_name: str) -> Any:
    """The per-buyer limit as one upsert, for the dialect (built once each)."""
    stmt = _COUNT_BUYER.get(dialect_name)
    if stmt is None:
        buyers = DropBuyer.__table__
        stmt = insert_for_dialect(dialect_name, buyers).values(
            drop_id=bindparam("drop_id"), buyer_id=bindparam("buyer_id"),
            quantity=bindparam("qty")).on_conflict_do_update(
            index_elements=["drop_id", "buyer_id"],
            set_={"quantity": buyers.c.quantity + bindparam("qty")},
            where=buyers.c.quantity + bindparam("qty") <= bindparam("limit"),
        ).returning(buyers.c.quantity)
        _COUNT_BUYER[dialect_name] = stmt
    return stmt


_COUNT_BUYER: dict[str, Any] = {}


async def find_by_key(session: AsyncSession, buyer_id: str, key: str) -> Reservation | None:
    return await session.scalar(_BY_KEY, {"buyer_id": buyer_id, "key": key})


def _replay(found: Reservation, fingerprint: str) -> Reservation:
    if found.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    return found


async def reserve(stores: Stores, actor: Actor, drop_id: str, req: ReserveIn, *,
                  now: datetime | None = None, gate: Gate | None = None) -> Reservation:
    """Hold ``req.quantity`` units of a drop line for the buyer, or refuse with a code.

    With a gate, a sold-out answer touches only Redis (and this node's short cache of the
    drop's terms); without one, it costs one SQL read. Either way SQL takes the units.
    """
    buyer_id, region = _buyer(actor)
    now = now or utcnow()
    fingerprint = reserve_fingerprint(drop_id, req)
    offer = await OFFERS.get(stores, drop_id, req.line_id, now)
    _drop, line = offer.drop, offer.line
    if gate is None:
        return await _reserve_sql(stores, offer, buyer_id, region, req, fingerprint, now)
    try:
        _check_open(offer, req, now)
    except (DropNotOpen, BuyerLimitReached):  # SQL answers (a retry of an earlier success)
        return await _reserve_sql(stores, offer, buyer_id, region, req, fingerprint, now)
    verdict = await gate.admit(line.id, req.quantity, buyer_id, req.idempotency_key)
    if verdict == 2:  # a retry of an earlier success: SQL answers with it
        return await _reserve_sql(stores, offer, buyer_id, region, req, fingerprint, now)
    if verdict == 0:
        if req.waitlist:
            async with stores.session() as s:
                raise await _sold_out(s, offer, buyer_id, region, req)
        raise SoldOut()
    if verdict != 1:
        # The gate does not know this line (-1), or this buyer stands by for units in
        # flight that may still come back (-2, bounded by their number): SQL decides at
        # once — a sold-out attempt there costs one UPDATE.
        return await _reserve_sql(stores, offer, buyer_id, region, req, fingerprint, now)
    try:
        res = await _reserve_sql(stores, offer, buyer_id, region, req, fingerprint, now,
                                 checked=True)
    except SoldOut:
        await gate.settle(line.id, req.quantity, give_back=False)
        raise
    except BaseException:
        await gate.settle(line.id, req.quantity, give_back=True)
        raise
    if res.created_at != now:  # a replay of an earlier reservation: the units go back
        await gate.settle(line.id, req.quantity, give_back=True)
    else:  # the flight ends and the key is remembered in one script call
        await gate.settle(line.id, req.quantity, give_back=False,
                          remember=(buyer_id, req.idempotency_key))
    return res


def _check_open(offer: Offer, req: ReserveIn, now: datetime) -> None:
    drop = offer.drop
    if drop.status != "live" or drop.starts_at is None or drop.ends_at is None \
            or not drop.starts_at <= now < drop.ends_at:
        raise DropNotOpen(drop, now)
    if req.quantity > drop.per_buyer_limit:
        raise BuyerLimitReached(drop.per_buyer_limit)


async def _reserve_sql(stores: Stores, offer: Offer, buyer_id: str, region: str,
                       req: ReserveIn, fingerprint: str, now: datetime, *,
                       checked: bool = False) -> Reservation:
    """SQL decides; no read before the write (the conditional UPDATE is the check)."""
    if not checked:
        try:
            _check_open(offer, req, now)
        except (DropNotOpen, BuyerLimitReached):
            async with stores.session() as s:  # a retry of a reservation made in time
                found = await find_by_key(s, buyer_id, req.idempotency_key)
            if found is not None:
                return _replay(found, fingerprint)
            raise
    return await _take(stores, offer, buyer_id, region, req, fingerprint, now)


class OfferCache:
    """A drop's terms (window, limit, price) change rarely and are read on every attempt;
    each node keeps them for a second (``core.shortcache``). Remaining stock is never taken
    from here."""

    TTL_S = 1.0

    def __init__(self) -> None:
        self._cache: ShortCache[tuple[str, str], Offer] = ShortCache(self.TTL_S)

    async def get(self, stores: Stores, drop_id: str, line_id: str, now: datetime) -> Offer:
        async def load() -> Offer:
            async with stores.session() as s:
                return await _offer(s, drop_id, line_id)

        return await self._cache.get((drop_id, line_id), now.timestamp(), load)

    def forget(self, drop_id: str) -> None:
        self._cache.forget(lambda key: key[0] == drop_id)


OFFERS = OfferCache()


async def _take(stores: Stores, offer: Offer, buyer_id: str, region: str, req: ReserveIn,
                fingerprint: str, now: datetime, source: str = "buy") -> Reservation:
    """One transaction: take the units, count them against the buyer's limit, record the
    reservation. The conditional UPDATE comes first: a sold-out attempt costs one statement
    and a rollback (in a burst most attempts are sold out), and SQLite takes its write lock
    at once instead of upgrading a read. Replays are found after a refusal or on the
    idempotency key's unique constraint, and answered with the first reservation.
    Core statements on a bare connection: no ORM session is built for an attempt."""
    drop, line = offer.drop, offer.line
    key = {"buyer_id": buyer_id, "key": req.idempotency_key}
    # What to do once the connection is back in the pool (a follow-up read must not hold
    # a second connection while the first is held: under a burst that starves the pool).
    then: str
    async with stores.core() as tx:
        conn = tx.conn
        try:
            left = await units.take(conn, units.DROP_LINE, {"id": line.id}, req.quantity)
            if left is None:
                # Mostly there is no earlier reservation: ask for the id alone.
                prior = (await conn.execute(_ID_BY_KEY, key)).first()
                await tx.rollback()
                then = "replay" if prior is not None else "sold_out"
            else:
                counted = (await conn.execute(_count_buyer(conn.dialect.name), {
                    "drop_id": drop.id, "buyer_id": buyer_id, "qty": req.quantity,
                    "limit": drop.per_buyer_limit})).first()
                if counted is None:
                    await tx.rollback()
                    then = "limit"
                else:
                    row = {"id": new_id("res"), "org_id": drop.org_id, "drop_id": drop.id,
                           "line_id": line.id, "auction_id": None, "sku_id": line.sku_id,
                           "warehouse_id": line.warehouse_id, "market": line.market,
                           "buyer_id": buyer_id, "buyer_region": region,
                           "quantity": req.quantity, "price_minor": line.price_minor,
                           "currency": line.currency, "status": "held", "source": source,
                           "expires_at": now + timedelta(minutes=drop.hold_minutes),
                           "idempotency_key": req.idempotency_key,
                           "request_hash": fingerprint, "order_id": None,
                           "created_at": now, "settled_at": None}
                    await conn.execute(_INSERT_RESERVATION, row)
                    if left == 0:
                        await conn.execute(_INSERT_OUTBOX, outbox_row(
                            drop.org_id, "drop.sold_out",
                            {"drop_id": drop.id, "line_id": line.id}))
                    await tx.commit()
                    return Reservation(**row)
        except IntegrityError:  # the key's unique constraint: a concurrent retry won
            await tx.rollback()
            then = "replay_or_raise"
        except BaseException:
            await tx.rollback()
            raise
    if then == "sold_out":
        if req.waitlist:
            async with stores.session() as s:
                raise await _sold_out(s, offer, buyer_id, region, req)
        raise SoldOut()
    found = await _replay_or_none(stores, buyer_id, req, fingerprint)
    if found is not None:
        return found
    if then == "limit":
        raise BuyerLimitReached(drop.per_buyer_limit)
    raise Conflict("the reservation for this key could not be read back; retry",
                   code="retry")


async def _replay_or_none(stores: Stores, buyer_id: str, req: ReserveIn,
                          fingerprint: str) -> Reservation | None:
    async with stores.session() as s:
        found = await find_by_key(s, buyer_id, req.idempotency_key)
    return None if found is None else _replay(found, fingerprint)


async def _sold_out(s: AsyncSession, offer: Offer, buyer_id: str, region: str,
                    req: ReserveIn) -> SoldOut:
    if not req.waitlist:
        return SoldOut()
    position = await join_waitlist(s, offer, buyer_id, region, req.quantity)
    await s.commit()
    return SoldOut(waitlist_position=position)


async def join_waitlist(s: AsyncSession, offer: Offer, buyer_id: str, region: str,
                        quantity: int) -> int:
    """Queue the buyer for returned units of this line; their place in the queue (1-based)."""
    await s.execute(insert_for(s, WaitlistEntry.__table__).values(
        drop_id=offer.drop.id, line_id=offer.line.id, buyer_id=buyer_id,
        buyer_region=region, quantity=quantity, status="waiting", created_at=utcnow(),
    ).on_conflict_do_nothing())
    mine = await s.scalar(select(WaitlistEntry.id).where(
        WaitlistEntry.line_id == offer.line.id, WaitlistEntry.buyer_id == buyer_id))
    ahead = await s.scalar(select(func.count()).where(
        WaitlistEntry.line_id == offer.line.id, WaitlistEntry.status == "waiting",
        WaitlistEntry.id <= (mine or 0)))
    return int(ahead or 0)


async def return_units(s: AsyncSession, res: Reservation) -> None:
    """Give a lapsed drop reservation's units back to its line and the buyer's limit, or a
    cart's back to its warehouse (ledger: release what the hold allocated)."""
    if res.source == "cart":
        await stock.record(s, org_id=res.org_id, sku_id=res.sku_id,
                           warehouse_id=res.warehouse_id, kind=EntryKind.RELEASE,
                           quantity=res.quantity, actor_id="system", ref=res.id)
        return
    if res.line_id is None or res.drop_id is None:
        return
    await s.execute(update(DropLine).where(DropLine.id == res.line_id).values(
        remaining=DropLine.remaining + res.quantity).execution_options(
        synchronize_session=False))
    await s.execute(update(DropBuyer).where(
        DropBuyer.drop_id == res.drop_id, DropBuyer.buyer_id == res.buyer_id).values(
        quantity=DropBuyer.quantity - res.quantity).execution_options(
        synchronize_session=False))


async def cancel_reservation(stores: Stores, actor: Actor, reservation_id: str) -> Reservation:
    """The buyer lets go of a held reservation; its units return at once."""
    buyer_id, _ = _buyer(actor)
    async with stores.session() as s:
        done = await s.execute(update(Reservation).where(
            Reservation.id == reservation_id, Reservation.buyer_id == buyer_id,
            Reservation.status == "held").values(status="cancelled", settled_at=utcnow())
            .execution_options(synchronize_session=False))
        res = await s.scalar(select(Reservation).where(Reservation.id == reservation_id,
                                                       Reservation.buyer_id == buyer_id))
        if res is None:
            raise NotFound("reservation", reservation_id, code="reservation_not_found")
        if getattr(done, "rowcount", 0) != 1:
            raise Conflict(f"the reservation is {res.status}", code="reservation_not_held")
        await return_units(s, res)
        await s.commit()
        return res


async def release(s: AsyncSession, reservation_id: str, now: datetime) -> bool:
    """Let go of a reservation that is still held (its order was cancelled before payment,
    or another hold of the order lapsed): its units return at once. False if it was no
    longer held — converted, or already given back — and nothing changed."""
    done = await s.execute(update(Reservation).where(
        Reservation.id == reservation_id, Reservation.status == "held").values(
        status="cancelled", settled_at=now).execution_options(synchronize_session=False))
    if getattr(done, "rowcount", 0) != 1:
        return False
    res = await s.scalar(select(Reservation).where(Reservation.id == reservation_id))
    assert res is not None
    await return_units(s, res)
    return True


async def convert(s: AsyncSession, reservation_id: str, order_id: str, now: datetime) -> bool:
    """Mark a held reservation sold to ``order_id`` (ledger: sell). False if it is no longer
    held — expired or cancelled — in which case nothing changed."""
    done = await s.execute(update(Reservation).where(
        Reservation.id == reservation_id, Reservation.status == "held").values(
        status="converted", order_id=order_id, settled_at=now).execution_options(
        synchronize_session=False))
    if getattr(done, "rowcount", 0) != 1:
        return False
    res = await s.scalar(select(Reservation).where(Reservation.id == reservation_id))
    assert res is not None
    if res.line_id is not None:
        await s.execute(update(DropLine).where(DropLine.id == res.line_id).values(
            sold=DropLine.sold + res.quantity).execution_options(synchronize_session=False))
    await stock.record(s, org_id=res.org_id, sku_id=res.sku_id,
                       warehouse_id=res.warehouse_id, kind=EntryKind.SELL,
                       quantity=res.quantity, actor_id=res.buyer_id, ref=order_id)
    return True


async def extend_hold(s: AsyncSession, reservation_id: str, until: datetime) -> bool:
    """Keep a held reservation alive while its buyer is paying; False if it lapsed."""
    done = await s.execute(update(Reservation).where(
        Reservation.id == reservation_id, Reservation.status == "held",
        Reservation.expires_at < until).values(expires_at=until).execution_options(
        synchronize_session=False))
    if getattr(done, "rowcount", 0) == 1:
        return True
    status = await s.scalar(select(Reservation.status).where(Reservation.id == reservation_id))
    return status == "held"


async def get_reservation(session: AsyncSession, actor: Actor, reservation_id: str
                          ) -> Reservation:
    buyer_id, _ = _buyer(actor)
    res = await session.scalar(select(Reservation).where(
        Reservation.id == reservation_id, Reservation.buyer_id == buyer_id))
    if res is None:
        raise NotFound("reservation", reservation_id, code="reservation_not_found")
    return res


async def my_reservations(session: AsyncSession, actor: Actor, *, held_only: bool = False
                          ) -> list[Reservation]:
    buyer_id, _ = _buyer(actor)
    q = select(Reservation).where(Reservation.buyer_id == buyer_id)
    if held_only:
        q = q.where(Reservation.status == "held")
    return list((await session.scalars(q.order_by(Reservation.created_at.desc())
                                       .limit(50))).all())


def drop_view(drop: Drop, lines: list[DropLine],
              delivered: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The public announcement of a drop (room event payload): no buyer data. ``delivered``
    adds each line's delivered price (``shop.offers.drop_lines``)."""
    delivered = delivered or {}
    return {
        "id": drop.id, "title": drop.title, "status": drop.status,
        "starts_at": drop.starts_at.isoformat() if drop.starts_at else None,
        "ends_at": drop.ends_at.isoformat() if drop.ends_at else None,
        "per_buyer_limit": drop.per_buyer_limit,
        "lines": [{"id": ln.id, "sku_id": ln.sku_id, "market": ln.market,
                   "price": amount_text(ln.price_minor, ln.currency), "currency": ln.currency,
                   "quantity": ln.quantity, "remaining": ln.remaining,
                   **delivered.get(ln.id, {})} for ln in lines],
    }
