"""The sweeper: expire lapsed reservations, serve the waitlist, end and settle drops, close
auctions, and resync the admission gate.

Every step is a conditional UPDATE inside its own transaction (``… WHERE status = 'held'``),
so running it twice, on two nodes at once, or again after a crash half-way changes nothing
that was already done: it is idempotent and crash-safe by construction, not by locking.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update

from chuhai.core.clock import utcnow
from chuhai.core.db import Stores
from chuhai.inventory import auctions, drops, stock
from chuhai.inventory.gate import Gate
from chuhai.inventory.ledger import EntryKind
from chuhai.inventory.models import Auction, Drop, DropLine, Reservation, WaitlistEntry
from chuhai.inventory.schemas import ReserveIn

log = logging.getLogger("chuhai.sweeper")
BATCH = 500


@dataclass
class SweepReport:
    expired: list[Reservation] = field(default_factory=list)
    offered: list[Reservation] = field(default_factory=list)
    ended_drops: list[str] = field(default_factory=list)
    settled_drops: list[str] = field(default_factory=list)
    closed_auctions: list[Auction] = field(default_factory=list)
    touched_drops: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not (self.expired or self.offered or self.ended_drops or self.settled_drops
                    or self.closed_auctions)


async def sweep(stores: Stores, now: datetime | None = None, gate: Gate | None = None
                ) -> SweepReport:
    now = now or utcnow()
    report = SweepReport()
    await _expire(stores, now, report, gate)
    await _end_drops(stores, now, report)
    await _serve_waitlists(stores, now, report)
    await _settle(stores, now, report)
    report.closed_auctions = await auctions.close_due(stores, now)
    if gate is not None:
        await gate.sync(await live_remaining(stores))
    return report


async def live_remaining(stores: Stores) -> dict[str, int]:
    async with stores.session() as s:
        rows = await s.execute(select(DropLine.id, DropLine.remaining).join(
            Drop, Drop.id == DropLine.drop_id).where(Drop.status == "live"))
        return {lid: int(n) for lid, n in rows}


async def _expire(stores: Stores, now: datetime, report: SweepReport,
                  gate: Gate | None) -> None:
    async with stores.session() as s:
        due = list((await s.scalars(select(Reservation).where(
            Reservation.status == "held", Reservation.expires_at <= now)
            .order_by(Reservation.expires_at).limit(BATCH))).all())
    for res in due:
        async with stores.session() as s:
            done = await s.execute(update(Reservation).where(
                Reservation.id == res.id, Reservation.status == "held",
                Reservation.expires_at <= now).values(status="expired", settled_at=now)
                .execution_options(synchronize_session=False))
            if getattr(done, "rowcount", 0) != 1:
                await s.rollback()
                continue
            if res.auction_id is not None:
                await s.execute(update(Auction).where(Auction.id == res.auction_id).values(
                    status="unpaid").execution_options(synchronize_session=False))
                await stock.record(s, org_id=res.org_id, sku_id=res.sku_id,
                                   warehouse_id=res.warehouse_id, kind=EntryKind.RELEASE,
                                   quantity=res.quantity, actor_id="system", ref=res.id)
            else:
                await drops.return_units(s, res)
            await s.commit()
        report.expired.append(res)
        if res.drop_id:
            report.touched_drops.add(res.drop_id)
        if gate is not None and res.line_id is not None:
            await gate.give_back(res.line_id, res.quantity)


async def _end_drops(stores: Stores, now: datetime, report: SweepReport) -> None:
    async with stores.session() as s:
        ids = list((await s.scalars(select(Drop.id).where(
            Drop.status == "live", Drop.ends_at <= now))).all())
        for drop_id in ids:
            done = await s.execute(update(Drop).where(Drop.id == drop_id,
                                                      Drop.status == "live")
                                   .values(status="ended").execution_options(
                                       synchronize_session=False))
            if getattr(done, "rowcount", 0) == 1:
                report.ended_drops.append(drop_id)
                report.touched_drops.add(drop_id)
        await s.commit()


async def _serve_waitlists(stores: Stores, now: datetime, report: SweepReport) -> None:
    """Offer returned units to waiting buyers, first come first served."""
    async with stores.session() as s:
        lines = (await s.execute(select(Drop, DropLine).join(
            DropLine, DropLine.drop_id == Drop.id).where(
            Drop.status == "live", Drop.starts_at <= now, Drop.ends_at > now,
            DropLine.remaining > 0,
            select(WaitlistEntry.id).where(WaitlistEntry.line_id == DropLine.id,
                                           WaitlistEntry.status == "waiting").exists()))).all()
    for drop, line in lines:
        async with stores.session() as s:
            waiting = list((await s.scalars(select(WaitlistEntry).where(
                WaitlistEntry.line_id == line.id, WaitlistEntry.status == "waiting")
                .order_by(WaitlistEntry.id).limit(BATCH))).all())
        offer = drops.Offer(drop, line)
        for entry in waiting:
            req = ReserveIn(line_id=line.id, quantity=entry.quantity,
                            idempotency_key=f"waitlist-{entry.id}")
            fingerprint = drops.request_hash("drop", drop.id, line.id, entry.quantity)
            status, res_id = "offered", None
            try:
                res = await drops._take(stores, offer, entry.buyer_id, entry.buyer_region,
                                        req, fingerprint, now, source="waitlist")
                res_id = res.id
                report.offered.append(res)
                report.touched_drops.add(drop.id)
            except drops.SoldOut:
                break
            except drops.BuyerLimitReached:
                status = "lapsed"
            async with stores.session() as s:
                await s.execute(update(WaitlistEntry).where(
                    WaitlistEntry.id == entry.id, WaitlistEntry.status == "waiting").values(
                    status=status, reservation_id=res_id).execution_options(
                    synchronize_session=False))
                await s.commit()


async def _settle(stores: Stores, now: datetime, report: SweepReport) -> None:
    """Return an ended drop's unsold units to their warehouses once nothing is held."""
    async with stores.session() as s:
        ids = list((await s.scalars(select(Drop.id).where(
            Drop.status.in_(("ended", "cancelled")), Drop.settled.is_(False)))).all())
    for drop_id in ids:
        async with stores.session() as s:
            # Claim first (a write, so SQLite locks at once), then look; roll back if busy.
            claimed = await s.execute(update(Drop).where(
                Drop.id == drop_id, Drop.settled.is_(False)).values(settled=True)
                .execution_options(synchronize_session=False))
            if getattr(claimed, "rowcount", 0) != 1:
                await s.rollback()
                continue
            held = await s.scalar(select(func.count()).where(
                Reservation.drop_id == drop_id, Reservation.status == "held"))
            if held:
                await s.rollback()
                continue
            for line in await drops.lines_of(s, drop_id):
                if line.remaining > 0:
                    n = line.remaining
                    await s.execute(update(DropLine).where(DropLine.id == line.id).values(
                        remaining=0, released=DropLine.released + n).execution_options(
                        synchronize_session=False))
                    await stock.record(s, org_id=line.org_id, sku_id=line.sku_id,
                                       warehouse_id=line.warehouse_id,
                                       kind=EntryKind.RELEASE, quantity=n,
                                       actor_id="system", ref=drop_id)
            await s.execute(update(WaitlistEntry).where(
                WaitlistEntry.drop_id == drop_id, WaitlistEntry.status == "waiting").values(
                status="lapsed").execution_options(synchronize_session=False))
            await s.commit()
        report.settled_drops.append(drop_id)
        report.touched_drops.add(drop_id)


async def run_forever(stores: Stores, every_s: float, gate: Gate | None,
                      on_report: Callable[[SweepReport], Awaitable[None]]) -> None:
    """The app's background loop; one failed sweep is logged, never fatal."""
    while True:
        try:
            report = await sweep(stores, gate=gate)
            if not report.empty:
                await on_report(report)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sweep failed; retrying next round")
        await asyncio.sleep(every_s)
