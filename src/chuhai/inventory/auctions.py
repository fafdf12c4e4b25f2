"""Live auctions: set up, start, bid, close. The rules are in ``bidding`` (pure).

Every accepted bid is one conditional UPDATE on the auction's ``version``: a bid computed
from a stale standing matches no row and is recomputed from the fresh one, so bids are
totally ordered by version and equal maxima go to whoever got their version first. The
winner gets a reservation exactly like a drop buyer, and pays the same way.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.core.actor import Actor, ActorKind, Perm
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores, UnitOfWork
from chuhai.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from chuhai.core.idempotency import check_replay, fingerprint
from chuhai.core.ids import new_id
from chuhai.core.money import minor_digits
from chuhai.core.outbox import enqueue
from chuhai.core.secrets_store import signing_key
from chuhai.inventory import bidding, stock
from chuhai.inventory.bidding import AuctionTerms, BidOutcome, Standing
from chuhai.inventory.ledger import EntryKind
from chuhai.inventory.models import Auction, Bid, Reservation
from chuhai.inventory.schemas import AuctionIn, AuctionOut, BidIn, amount_text, minor_in

HOLD_MINUTES = 10
MAX_RETRIES = 50


def terms_of(a: Auction) -> AuctionTerms:
    return AuctionTerms(a.start_minor, tuple((int(x), int(y)) for x, y in a.increments),
                        a.anti_snipe_s, a.sudden_death, a.reserve_minor)


def standing_of(a: Auction) -> Standing:
    assert a.ends_at is not None
    return Standing(a.ends_at, a.price_minor, a.leader_id, a.leader_max_minor, a.bids)


def tag(subject_id: str | None) -> str | None:
    """A short public handle for a bidder: viewers see who leads without learning who it is."""
    if subject_id is None:
        return None
    return "b-" + hashlib.sha256(subject_id.encode()).hexdigest()[:6]


async def create_auction(uow: UnitOfWork, actor: Actor, data: AuctionIn) -> Auction:
    actor.require(Perm.SELLING)
    org_id = actor.org()
    s = uow.global_
    await stock.sku_of(s, org_id, data.sku_id)
    wh = await stock.warehouse_of(s, org_id, data.warehouse_id)
    if data.market not in wh.lanes:
        raise InvalidInput(f"warehouse {wh.code} does not serve {data.market}",
                           code="warehouse_does_not_serve_market")
    await stock.room_check(s, org_id, data.room_id)
    currency = str(wh.lanes[data.market]["currency"])
    if data.increments:
        table = bidding.validate_increments(
            [(minor_in(a, data.market), minor_in(b, data.market)) for a, b in data.increments])
    else:
        table = bidding.scaled_default(minor_digits(currency))
    start = minor_in(data.start_price, data.market)
    if start <= 0:
        raise InvalidInput("the start price must be above zero", code="invalid_start_price")
    auction = Auction(
        id=new_id("auc"), org_id=org_id, room_id=data.room_id, sku_id=data.sku_id,
        warehouse_id=wh.id, market=data.market, currency=currency, title=data.title,
        start_minor=start,
        reserve_minor=minor_in(data.reserve_price, data.market) if data.reserve_price else None,
        increments=[list(r) for r in table], duration_s=data.duration_s,
        anti_snipe_s=data.anti_snipe_s, sudden_death=data.sudden_death, status="scheduled")
    s.add(auction)
    await s.flush()
    await stock.record(s, org_id=org_id, sku_id=data.sku_id, warehouse_id=wh.id,
                       kind=EntryKind.ALLOCATE, quantity=1, actor_id=actor.subject_id,
                       ref=auction.id)
    return auction


async def get_auction(s: AsyncSession, org_id: str | None, auction_id: str) -> Auction:
    q = select(Auction).where(Auction.id == auction_id)
    if org_id is not None:
        q = q.where(Auction.org_id == org_id)
    a = await s.scalar(q)
    if a is None:
        raise NotFound("auction", auction_id, code="auction_not_found")
    return a


async def list_auctions(uow: UnitOfWork, actor: Actor, room_id: str | None = None
                        ) -> list[Auction]:
    actor.require(Perm.CATALOG_READ)
    q = select(Auction).where(Auction.org_id == actor.org())
    if room_id:
        q = q.where(Auction.room_id == room_id)
    return list((await uow.global_.scalars(q.order_by(Auction.created_at.desc()))).all())


async def start_auction(uow: UnitOfWork, actor: Actor, auction_id: str,
                        now: datetime | None = None) -> Auction:
    if not (actor.can(Perm.SELLING) or actor.can(Perm.LIVE_HOST)):
        actor.require(Perm.SELLING)
    now = now or utcnow()
    a = await get_auction(uow.global_, actor.org(), auction_id)
    if a.status != "scheduled":
        raise Conflict(f"the auction is {a.status}", code="auction_not_scheduled")
    a.status = "live"
    a.ends_at = now + timedelta(seconds=a.duration_s)
    enqueue(uow.global_, a.org_id, "auction.started", {"auction_id": a.id,
                                                       "ends_at": a.ends_at.isoformat()})
    await uow.global_.flush()
    return a


async def bid(stores: Stores, actor: Actor, auction_id: str, data: BidIn,
              now: datetime | None = None, *, key: bytes | None = None
              ) -> tuple[Auction, BidOutcome | None]:
    """Place a (proxy) bid; returns the auction after it and the outcome (None on a replay).
    The same key with another amount is ``idempotency_key_reused``."""
    if actor.kind is not ActorKind.CUSTOMER or actor.region is None:
        raise Forbidden("sign in as a customer to bid", code="customer_required")
    fp = fingerprint(key if key is not None else signing_key(stores.settings), "bid", data)
    for _ in range(MAX_RETRIES):
        at = now or utcnow()
        # Read in one short transaction, write in another whose first statement is the
        # UPDATE: SQLite then takes its write lock at once instead of failing to upgrade.
        async with stores.session() as s:
            a = await get_auction(s, None, auction_id)
            replay = (await s.execute(select(Bid.id, Bid.request_hash).where(
                Bid.auction_id == auction_id, Bid.bidder_id == actor.subject_id,
                Bid.idempotency_key == data.idempotency_key))).first()
        if replay is not None:
            check_replay(replay.request_hash, fp)
            return a, None
        if a.status != "live":
            code = "auction_not_started" if a.status == "scheduled" else "auction_ended"
            raise Conflict(f"the auction is {a.status}", code=code)
        try:
            amount = minor_in(data.amount, a.market)
        except ValueError as exc:
            raise InvalidInput(str(exc), code="invalid_amount") from exc
        outcome = bidding.place_bid(terms_of(a), standing_of(a), actor.subject_id, amount, at)
        new = outcome.standing
        async with stores.session() as s:
            moved = await s.execute(update(Auction).where(
                Auction.id == a.id, Auction.version == a.version,
                Auction.status == "live").values(
                version=a.version + 1, price_minor=new.price_minor, leader_id=new.leader_id,
                leader_region=actor.region if outcome.leading else a.leader_region,
                leader_max_minor=new.leader_max_minor, bids=new.bids, ends_at=new.ends_at,
            ).execution_options(synchronize_session=False))
            if getattr(moved, "rowcount", 0) != 1:
                await s.rollback()
                continue  # someone else's bid got this version first: recompute
            s.add(Bid(auction_id=a.id, version=a.version + 1, bidder_id=actor.subject_id,
                      max_minor=amount, price_after_minor=new.price_minor or 0,
                      leader_after=new.leader_id or "", idempotency_key=data.idempotency_key,
                      request_hash=fp, created_at=at))
            try:
                await s.commit()
            except IntegrityError:
                await s.rollback()
                continue
        async with stores.session() as s:
            return await get_auction(s, None, auction_id), outcome
    raise Conflict("too many simultaneous bids; try again", code="bid_contention")


async def close_due(stores: Stores, now: datetime) -> list[Auction]:
    """End every live auction whose time is up: reserve the unit for the winner, or return
    it to the warehouse. Safe to run on several nodes at once."""
    closed = []
    async with stores.session() as s:
        due = list((await s.scalars(select(Auction).where(
            Auction.status == "live", Auction.ends_at <= now).limit(200))).all())
    for a in due:
        async with stores.session() as s:
            won = bidding.winner(terms_of(a), standing_of(a))
            status = "won" if won else "unsold"
            done = await s.execute(update(Auction).where(
                Auction.id == a.id, Auction.version == a.version, Auction.status == "live",
                Auction.ends_at <= now).values(status=status, version=a.version + 1)
                .execution_options(synchronize_session=False))
            if getattr(done, "rowcount", 0) != 1:
                await s.rollback()
                continue
            if won:
                winner_id, price = won
                res = Reservation(
                    id=new_id("res"), org_id=a.org_id, auction_id=a.id, sku_id=a.sku_id,
                    warehouse_id=a.warehouse_id, market=a.market, buyer_id=winner_id,
                    buyer_region=a.leader_region or "", quantity=1, price_minor=price,
                    currency=a.currency, status="held", source="auction",
                    expires_at=now + timedelta(minutes=HOLD_MINUTES),
                    idempotency_key=f"auction:{a.id}", request_hash="", created_at=now)
                s.add(res)
                await s.execute(update(Auction).where(Auction.id == a.id).values(
                    reservation_id=res.id).execution_options(synchronize_session=False))
            else:
                await stock.record(s, org_id=a.org_id, sku_id=a.sku_id,
                                   warehouse_id=a.warehouse_id, kind=EntryKind.RELEASE,
                                   quantity=1, actor_id="system", ref=a.id)
            enqueue(s, a.org_id, f"auction.{status}", {
                "auction_id": a.id, "price": amount_text(won[1], a.currency) if won else None,
                "currency": a.currency, "reservation_id": res.id if won else None})
            await s.commit()
            closed.append(await get_auction(s, None, a.id))
    return closed


def auction_view(a: Auction) -> dict[str, Any]:
    """The public state of an auction (room event payload and API body)."""
    terms = terms_of(a)
    floor = (bidding.minimum_bid(terms, standing_of(a)) if a.ends_at is not None
             else a.start_minor)
    return AuctionOut(
        id=a.id, title=a.title, room_id=a.room_id, sku_id=a.sku_id, market=a.market,
        currency=a.currency, status=a.status, start_price=amount_text(a.start_minor, a.currency),
        price=amount_text(a.price_minor, a.currency) if a.price_minor is not None else None,
        minimum_bid=amount_text(floor, a.currency), bids=a.bids, leader=tag(a.leader_id),
        ends_at=a.ends_at, anti_snipe_s=a.anti_snipe_s, sudden_death=a.sudden_death,
        reserve_met=a.reserve_minor is None or (a.price_minor or 0) >= a.reserve_minor,
    ).model_dump(mode="json")
