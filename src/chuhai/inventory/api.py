"""Routes for warehouses, stock, drops, reservations and auctions (thin: services decide)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from chuhai.background import Selling
from chuhai.core.actor import Actor, Perm
from chuhai.core.errors import NotFound
from chuhai.inventory import auctions, drops, stock
from chuhai.inventory.ledger import EntryKind
from chuhai.inventory.models import Drop, Reservation, Warehouse
from chuhai.inventory.schemas import (
    AuctionIn,
    AuctionOut,
    BidIn,
    BidOut,
    DropIn,
    DropLineOut,
    DropOut,
    DropStartIn,
    LevelOut,
    OffersOut,
    ReservationOut,
    ReserveIn,
    StockEntryIn,
    WarehouseIn,
    WarehouseOut,
    WarehousePatch,
    amount_text,
)
from chuhai.live.models import Room
from chuhai.shop import offers as shop_offers
from chuhai.web.deps import CurrentActor, UoW, limit

router = APIRouter(prefix="/api", tags=["selling"])


def _selling(request: Request) -> Selling:
    return request.app.state.selling  # type: ignore[no-any-return]


def warehouse_out(w: Warehouse) -> WarehouseOut:
    return WarehouseOut(id=w.id, code=w.code, name=w.name, kind=w.kind, country=w.country,
                        lanes=w.lanes, restock_lead_days=w.restock_lead_days)


@router.post("/warehouses", response_model=WarehouseOut, status_code=201)
async def create_warehouse(body: WarehouseIn, uow: UoW, actor: CurrentActor) -> WarehouseOut:
    return warehouse_out(await stock.create_warehouse(uow, actor, body))


@router.patch("/warehouses/{warehouse_id}", response_model=WarehouseOut)
async def patch_warehouse(warehouse_id: Annotated[str, Path(max_length=40)],
                          body: WarehousePatch, uow: UoW, actor: CurrentActor) -> WarehouseOut:
    """Set the warehouse's restock lead time (null clears it): what reorder suggestions
    cover (``GET /api/demand/forecast``)."""
    return warehouse_out(await stock.set_restock_lead_days(uow, actor, warehouse_id,
                                                           body.restock_lead_days))


@router.get("/warehouses", response_model=list[WarehouseOut])
async def list_warehouses(uow: UoW, actor: CurrentActor) -> list[WarehouseOut]:
    return [warehouse_out(w) for w in await stock.list_warehouses(uow, actor)]


@router.get("/stock", response_model=list[LevelOut])
async def list_stock(uow: UoW, actor: CurrentActor) -> list[LevelOut]:
    """On hand, allocated (drops, auctions), reserved (paid orders) and available."""
    return [level_out(r) for r in await stock.list_levels(uow, actor)]


def level_out(r: stock.LevelRow) -> LevelOut:
    return LevelOut(sku_id=r.sku_id, sku_code=r.sku_code, warehouse_id=r.warehouse_id,
                    warehouse_code=r.warehouse_code, on_hand=r.levels.on_hand,
                    allocated=r.levels.allocated, reserved=r.levels.reserved,
                    available=r.levels.available)


@router.post("/stock/entries", response_model=LevelOut, status_code=201)
async def add_entry(body: StockEntryIn, uow: UoW, actor: CurrentActor) -> LevelOut:
    """Receive goods, correct a count, book a return or a manual shipment."""
    await stock.manual_entry(uow, actor, sku_id=body.sku_id, warehouse_id=body.warehouse_id,
                             kind=EntryKind(body.kind), quantity=body.quantity, note=body.note)
    (row,) = await stock.list_levels(uow, actor, sku_id=body.sku_id,
                                     warehouse_id=body.warehouse_id)
    return level_out(row)


async def drop_out(uow: UoW, drop: Drop) -> DropOut:
    lines = await drops.lines_of(uow.global_, drop.id)
    return DropOut(
        id=drop.id, title=drop.title, room_id=drop.room_id, status=drop.status,
        per_buyer_limit=drop.per_buyer_limit, hold_minutes=drop.hold_minutes,
        duration_minutes=drop.duration_minutes, starts_at=drop.starts_at, ends_at=drop.ends_at,
        lines=[DropLineOut(id=ln.id, sku_id=ln.sku_id, market=ln.market,
                           warehouse_id=ln.warehouse_id, quantity=ln.quantity,
                           remaining=ln.remaining, sold=ln.sold, released=ln.released,
                           price=amount_text(ln.price_minor, ln.currency),
                           currency=ln.currency) for ln in lines])


@router.post("/drops", response_model=DropOut, status_code=201)
async def create_drop(body: DropIn, uow: UoW, actor: CurrentActor) -> DropOut:
    """Set units aside per market from named warehouses (or routed ones), at a price."""
    return await drop_out(uow, await drops.create_drop(uow, actor, body))


@router.get("/drops", response_model=list[DropOut])
async def list_drops(uow: UoW, actor: CurrentActor, room_id: str | None = None
                     ) -> list[DropOut]:
    return [await drop_out(uow, d) for d in await drops.list_drops(uow, actor, room_id)]


@router.get("/drops/{drop_id}", response_model=DropOut)
async def get_drop(drop_id: str, uow: UoW, actor: CurrentActor) -> DropOut:
    actor.require(Perm.CATALOG_READ)
    return await drop_out(uow, await drops.get_drop(uow.global_, actor.org(), drop_id[:40]))


@router.post("/drops/{drop_id}/start", response_model=DropOut)
async def start_drop(drop_id: str, body: DropStartIn, request: Request, uow: UoW,
                     actor: CurrentActor) -> DropOut:
    """Start the countdown; the room sees the drop at once and buying opens at zero."""
    drop = await drops.start_drop(uow, actor, drop_id[:40], body.countdown_s)
    await uow.commit()
    await _selling(request).announce_drop(drop, "started")
    return await drop_out(uow, drop)


@router.post("/drops/{drop_id}/end", response_model=DropOut)
async def end_drop(drop_id: str, request: Request, uow: UoW, actor: CurrentActor) -> DropOut:
    drop = await drops.end_drop(uow, actor, drop_id[:40])
    await uow.commit()
    await _selling(request).announce_drop(drop, "ended")
    return await drop_out(uow, drop)


def reservation_out(res: Reservation) -> ReservationOut:
    return ReservationOut(
        id=res.id, status=res.status, source=res.source, drop_id=res.drop_id,
        auction_id=res.auction_id, line_id=res.line_id, sku_id=res.sku_id, market=res.market,
        quantity=res.quantity, price=amount_text(res.price_minor, res.currency),
        currency=res.currency, expires_at=res.expires_at, order_id=res.order_id)


# A key sent again with another body: FastAPI's own 422 words would hide this answer.
KEY_REUSED: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid input (`errors` names each field), or "
                         "`idempotency_key_reused`: the key was sent before with another "
                         "body (nothing changed)"}}


async def _buyer_limit(request: Request, actor: Actor) -> None:
    await limit(request, f"buy:{actor.subject_id}", 30, 10)


@router.post("/drops/{drop_id}/reserve", response_model=ReservationOut, status_code=201,
             responses={409: {"description": "sold_out, buyer_limit_reached, "
                              "drop_not_started or drop_ended"}, **KEY_REUSED})
async def reserve(drop_id: str, body: ReserveIn, request: Request, actor: CurrentActor
                  ) -> ReservationOut:
    """Hold units for the signed-in buyer. The same idempotency key always answers the
    same reservation; sold out answers 409 ``sold_out`` (with a waitlist place if asked)."""
    await _buyer_limit(request, actor)
    selling = _selling(request)
    res = await drops.reserve(request.app.state.stores, actor, drop_id[:40], body,
                              gate=selling.gate)
    selling.stock_changed(res.drop_id or "")
    return reservation_out(res)


@router.get("/me/reservations", response_model=list[ReservationOut])
async def my_reservations(request: Request, actor: CurrentActor, held: bool = False
                          ) -> list[ReservationOut]:
    async with request.app.state.stores.session() as s:
        rows = await drops.my_reservations(s, actor, held_only=held)
    return [reservation_out(r) for r in rows]


@router.delete("/me/reservations/{reservation_id}", status_code=204)
async def cancel_reservation(reservation_id: str, request: Request, actor: CurrentActor
                             ) -> Response:
    res = await drops.cancel_reservation(request.app.state.stores, actor, reservation_id[:40])
    selling = _selling(request)
    if res.line_id and selling.gate is not None:
        await selling.gate.give_back(res.line_id, res.quantity)
    selling.stock_changed(res.drop_id or "")
    return Response(status_code=204)


@router.post("/auctions", status_code=201, response_model=AuctionOut)
async def create_auction(body: AuctionIn, uow: UoW, actor: CurrentActor) -> dict[str, Any]:
    return auctions.auction_view(await auctions.create_auction(uow, actor, body))


@router.get("/auctions", response_model=list[AuctionOut])
async def list_auctions(uow: UoW, actor: CurrentActor, room_id: str | None = None
                        ) -> list[dict[str, Any]]:
    return [auctions.auction_view(a) for a in await auctions.list_auctions(uow, actor, room_id)]


@router.post("/auctions/{auction_id}/start", response_model=AuctionOut)
async def start_auction(auction_id: str, request: Request, uow: UoW, actor: CurrentActor
                        ) -> dict[str, Any]:
    a = await auctions.start_auction(uow, actor, auction_id[:40])
    await uow.commit()
    await _selling(request).announce_auction(a, "started")
    return auctions.auction_view(a)


@router.post("/auctions/{auction_id}/bids", response_model=BidOut, status_code=201,
             responses=KEY_REUSED)
async def place_bid(auction_id: str, body: BidIn, request: Request, actor: CurrentActor
                    ) -> BidOut:
    """A proxy bid: you pay one increment over the next best, never above your maximum.
    The same idempotency key with another amount is 422 ``idempotency_key_reused``."""
    await _buyer_limit(request, actor)
    a, outcome = await auctions.bid(request.app.state.stores, actor, auction_id[:40], body,
                                    key=request.app.state.signing_key)
    if outcome is not None:
        await _selling(request).announce_auction(a, "bid", {"extended": outcome.extended})
    leading = a.leader_id == actor.subject_id
    async with request.app.state.stores.session() as s:
        delivered = await shop_offers.auction(s, a, request.app.state.settings.data_dir)
    return BidOut(auction={**auctions.auction_view(a), **delivered},  # type: ignore[arg-type]
                  leading=leading,
                  extended=bool(outcome and outcome.extended),
                  you=auctions.tag(actor.subject_id) or "")


@router.get("/rooms/{room_id}/offers", response_model=OffersOut)
async def room_offers(room_id: str, uow: UoW) -> dict[str, Any]:
    """Public: the drops and auctions running in a room (what a viewer page loads first)."""
    from sqlalchemy import select

    from chuhai.inventory.models import Auction

    room = await uow.global_.scalar(select(Room).where(Room.id == room_id[:40]))
    if room is None:
        raise NotFound("room", room_id[:40], code="room_not_found")
    ds = (await uow.global_.scalars(select(Drop).where(
        Drop.room_id == room.id, Drop.status == "live"))).all()
    au = (await uow.global_.scalars(select(Auction).where(
        Auction.room_id == room.id, Auction.status.in_(("live", "won"))).order_by(
        Auction.created_at.desc()).limit(3))).all()
    data_dir = uow.stores.settings.data_dir
    out_drops = []
    for d in ds:
        lines = await drops.lines_of(uow.global_, d.id)
        out_drops.append(drops.drop_view(d, lines, await shop_offers.drop_lines(
            uow.global_, d, lines, data_dir)))
    return {"drops": out_drops,
            "auctions": [{**auctions.auction_view(a),
                          **await shop_offers.auction(uow.global_, a, data_dir)} for a in au]}
