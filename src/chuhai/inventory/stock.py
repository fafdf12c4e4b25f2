"""Warehouses and the stock ledger: every change is an entry, levels are its cached sum.

The cache is moved by one conditional UPDATE per entry — the database refuses a change that
would take a bucket below zero, so two concurrent allocations can never both take the last
unit — and the entry is appended in the same transaction. ``check`` recomputes every level
from the ledger and reports where the cache disagrees.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.catalog.models import Sku
from chuhai.core.actor import Actor, Perm
from chuhai.core.db import UnitOfWork
from chuhai.core.errors import Conflict, InvalidInput, NotFound
from chuhai.core.ids import new_id
from chuhai.core.sql import insert_for
from chuhai.inventory import ledger
from chuhai.inventory.ledger import EntryKind, Levels
from chuhai.inventory.models import StockEntry, StockLevel, Warehouse
from chuhai.inventory.routing import Depot, Lane
from chuhai.inventory.schemas import WarehouseIn, market_currency
from chuhai.live.models import Room

MANUAL_KINDS = frozenset({EntryKind.RECEIVE, EntryKind.ADJUST, EntryKind.RETURN,
                          EntryKind.SHIP})


async def create_warehouse(uow: UnitOfWork, actor: Actor, data: WarehouseIn) -> Warehouse:
    actor.require(Perm.SELLING)
    org_id = actor.org()
    exists = await uow.global_.scalar(select(Warehouse.id).where(
        Warehouse.org_id == org_id, Warehouse.code == data.code))
    if exists:
        raise Conflict(f"a warehouse with code {data.code!r} exists", code="duplicate_code")
    lanes = {}
    for market, lane in data.lanes.items():
        currency = market_currency(market)
        lanes[market] = {"min_days": lane.min_days, "max_days": lane.max_days,
                         "cost_minor": lane.cost_minor(currency), "currency": currency}
    wh = Warehouse(id=new_id("wh"), org_id=org_id, code=data.code, name=data.name,
                   kind=data.kind, country=data.country, lanes=lanes,
                   restock_lead_days=data.restock_lead_days)
    uow.global_.add(wh)
    await uow.global_.flush()
    return wh


async def set_restock_lead_days(uow: UnitOfWork, actor: Actor, warehouse_id: str,
                                days: int | None) -> Warehouse:
    """Set (or clear) how long a restock takes to reach the warehouse."""
    actor.require(Perm.SELLING)
    wh = await uow.global_.get(Warehouse, warehouse_id)
    if wh is None or wh.org_id != actor.org():
        raise NotFound("warehouse", warehouse_id, code="warehouse_not_found")
    wh.restock_lead_days = days
    await uow.global_.flush()
    return wh


async def list_warehouses(uow: UnitOfWork, actor: Actor) -> list[Warehouse]:
    actor.require(Perm.CATALOG_READ)
    rows = await uow.global_.scalars(select(Warehouse).where(
        Warehouse.org_id == actor.org()).order_by(Warehouse.code))
    return list(rows.all())


async def room_check(session: AsyncSession, org_id: str, room_id: str | None) -> None:
    """A drop or auction may only be announced in a room of the same org."""
    if room_id is None:
        return
    if await session.scalar(select(Room.id).where(Room.id == room_id,
                                                  Room.org_id == org_id)) is None:
        raise NotFound("room", room_id, code="room_not_found")


async def warehouse_of(session: AsyncSession, org_id: str, warehouse_id: str) -> Warehouse:
    wh = await session.scalar(select(Warehouse).where(Warehouse.id == warehouse_id,
                                                      Warehouse.org_id == org_id))
    if wh is None:
        raise NotFound("warehouse", warehouse_id, code="warehouse_not_found")
    return wh


async def sku_of(session: AsyncSession, org_id: str, sku_id: str) -> Sku:
    sku = await session.scalar(select(Sku).where(Sku.id == sku_id, Sku.org_id == org_id))
    if sku is None:
        raise NotFound("SKU", sku_id, code="sku_not_found")
    return sku


def depot(wh: Warehouse) -> Depot:
    return Depot(wh.id, wh.code, {m: Lane(int(v["min_days"]), int(v["max_days"]),
                                          int(v["cost_minor"]), str(v["currency"]))
                                  for m, v in wh.lanes.items()})


async def record(session: AsyncSession, *, org_id: str, sku_id: str, warehouse_id: str,
                 kind: EntryKind, quantity: int, actor_id: str, ref: str = "",
                 note: str = "", from_bucket: str = "allocated") -> Levels:
    """Append one entry and move the cached levels, or refuse if stock does not allow it."""
    d = ledger.delta_for(kind, quantity, from_bucket=from_bucket)
    ins = insert_for(session, StockLevel.__table__).values(
        sku_id=sku_id, warehouse_id=warehouse_id, org_id=org_id,
        on_hand=0, allocated=0, reserved=0).on_conflict_do_nothing()
    await session.execute(ins)
    oh = StockLevel.on_hand + d.on_hand
    al = StockLevel.allocated + d.allocated
    rs = StockLevel.reserved + d.reserved
    result = await session.execute(
        update(StockLevel)
        .where(StockLevel.sku_id == sku_id, StockLevel.warehouse_id == warehouse_id,
               oh >= 0, al >= 0, rs >= 0, oh - al - rs >= 0)
        .values(on_hand=oh, allocated=al, reserved=rs)
        .returning(StockLevel.on_hand, StockLevel.allocated, StockLevel.reserved)
        .execution_options(synchronize_session=False))
    row = result.first()
    if row is None:
        now = await levels_of(session, sku_id, warehouse_id)
        ledger.apply(now, d)  # raises InsufficientStock with the figures
        raise ledger.InsufficientStock("stock changed concurrently; try again")
    session.add(StockEntry(org_id=org_id, sku_id=sku_id, warehouse_id=warehouse_id,
                           kind=str(kind), d_on_hand=d.on_hand, d_allocated=d.allocated,
                           d_reserved=d.reserved, ref=ref[:80], note=note[:200],
                           actor_id=actor_id))
    await session.flush()
    return Levels(*row)


async def levels_of(session: AsyncSession, sku_id: str, warehouse_id: str) -> Levels:
    row = (await session.execute(select(
        StockLevel.on_hand, StockLevel.allocated, StockLevel.reserved).where(
        StockLevel.sku_id == sku_id, StockLevel.warehouse_id == warehouse_id))).first()
    return Levels(*row) if row else Levels()


async def manual_entry(uow: UnitOfWork, actor: Actor, *, sku_id: str, warehouse_id: str,
                       kind: EntryKind, quantity: int, note: str = "") -> Levels:
    """Receive, count-adjust, return or ship stock by hand (console and API)."""
    actor.require(Perm.SELLING)
    if kind not in MANUAL_KINDS:
        raise InvalidInput(f"{kind} entries are made by drops and orders, not by hand",
                           code="entry_kind_not_manual")
    org_id = actor.org()
    await sku_of(uow.global_, org_id, sku_id)
    await warehouse_of(uow.global_, org_id, warehouse_id)
    return await record(uow.global_, org_id=org_id, sku_id=sku_id, warehouse_id=warehouse_id,
                        kind=kind, quantity=quantity, actor_id=actor.subject_id,
                        ref=new_id("adj"), note=note)


@dataclass(frozen=True)
class LevelRow:
    sku_id: str
    sku_code: str
    warehouse_id: str
    warehouse_code: str
    levels: Levels


async def list_levels(uow: UnitOfWork, actor: Actor, *, sku_id: str | None = None,
                      warehouse_id: str | None = None) -> list[LevelRow]:
    actor.require(Perm.CATALOG_READ)
    q = (select(StockLevel, Sku.code, Warehouse.code)
         .join(Sku, Sku.id == StockLevel.sku_id)
         .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
         .where(StockLevel.org_id == actor.org()))
    if sku_id is not None:
        q = q.where(StockLevel.sku_id == sku_id)
    if warehouse_id is not None:
        q = q.where(StockLevel.warehouse_id == warehouse_id)
    rows = await uow.global_.execute(q.order_by(Sku.code, Warehouse.code))
    return [LevelRow(lv.sku_id, sc, lv.warehouse_id, wc,
                     Levels(lv.on_hand, lv.allocated, lv.reserved)) for lv, sc, wc in rows]


async def available_map(session: AsyncSession, org_id: str, sku_ids: list[str]
                        ) -> dict[tuple[str, str], int]:
    rows = await session.execute(select(StockLevel).where(
        StockLevel.org_id == org_id, StockLevel.sku_id.in_(sku_ids)))
    return {(lv.sku_id, lv.warehouse_id): lv.on_hand - lv.allocated - lv.reserved
            for (lv,) in rows}


@dataclass(frozen=True)
class Mismatch:
    sku_id: str
    warehouse_id: str
    cached: Levels
    ledger: Levels


async def check(session: AsyncSession) -> tuple[int, list[Mismatch]]:
    """Compare every cached level with the sum of its ledger entries (all orgs)."""
    sums = {(s, w): Levels(int(a or 0), int(b or 0), int(c or 0)) for s, w, a, b, c in (
        await session.execute(select(
            StockEntry.sku_id, StockEntry.warehouse_id, func.sum(StockEntry.d_on_hand),
            func.sum(StockEntry.d_allocated), func.sum(StockEntry.d_reserved))
            .group_by(StockEntry.sku_id, StockEntry.warehouse_id))).all()}
    cached = {(lv.sku_id, lv.warehouse_id): Levels(lv.on_hand, lv.allocated, lv.reserved)
              for (lv,) in await session.execute(select(StockLevel))}
    bad = []
    for key in sorted(set(sums) | set(cached)):
        a, b = cached.get(key, Levels()), sums.get(key, Levels())
        if a != b:
            bad.append(Mismatch(key[0], key[1], a, b))
    return len(set(sums) | set(cached)), bad

