"""A live room's sales as they happen, for the host console: orders, units and GMV per SKU
sold in the room (its drops and auctions), gross and net of cancellations, refunds and
returns, and what is left of each SKU in each warehouse.

Read on request (the console asks every second while the room is live), from every region's
orders of the room — counts and sums only; nobody's order leaves its region — and the global
stock levels. GMV is also given in the seller's reporting currency at the ECB rate of each
order's payment day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from chuhai.analytics.holdouts import reporting_currency
from chuhai.analytics.rollup import UNDONE
from chuhai.analytics.room_reads import StaffRoomReads
from chuhai.catalog.models import Product, Sku
from chuhai.checkout.models import Order, OrderEvent
from chuhai.checkout.states import OrderStatus
from chuhai.core.actor import Actor
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores
from chuhai.core.money import minor_digits
from chuhai.crossborder.fx import FxError, RateTable
from chuhai.inventory.models import StockLevel, Warehouse
from chuhai.live.models import Room, RoomSlot


@dataclass(frozen=True)
class Sold:
    """One paid order of the room: what the tally needs, nothing personal."""

    status: str
    currency: str
    paid_at: datetime
    items: list[dict[str, Any]]  # sku_id, quantity, unit_price_minor
    total_minor: int


def tally(orders: Iterable[Sold], fx: RateTable, currency: str) -> dict[str, Any]:
    """Per SKU and in all: orders, units, GMV gross and net (in ``currency``), and the
    gross per order currency. Pure."""
    step = Decimal(1).scaleb(-minor_digits(currency))
    skus: dict[str, dict[str, Any]] = {}
    n_orders = net_orders = n_units = 0
    gross = net = Decimal(0)
    by_currency: dict[str, int] = {}
    unconverted: set[str] = set()
    for o in orders:
        try:
            rate = fx.convert(Decimal(1), o.currency, currency, o.paid_at.date())
        except FxError:
            unconverted.add(o.currency)
            rate = None
        kept = o.status not in UNDONE
        n_orders += 1
        net_orders += kept
        by_currency[o.currency] = by_currency.get(o.currency, 0) + o.total_minor
        if rate is not None:
            amount = Decimal(o.total_minor).scaleb(-minor_digits(o.currency)) * rate
            gross += amount
            net += amount if kept else 0
        for item in o.items:
            units = int(item.get("quantity", 0))
            line = Decimal(int(item.get("unit_price_minor", 0)) * units).scaleb(
                -minor_digits(o.currency))
            s = skus.setdefault(str(item.get("sku_id")), {
                "orders": 0, "units": 0, "gross": Decimal(0), "net": Decimal(0)})
            s["orders"] += 1
            s["units"] += units
            n_units += units
            if rate is not None:
                s["gross"] += line * rate
                s["net"] += line * rate if kept else 0
    return {
        "currency": currency, "orders": n_orders, "net_orders": net_orders,
        "units": n_units, "gmv_gross": str(gross.quantize(step)),
        "gmv_net": str(net.quantize(step)),
        "aov_net": str((net / net_orders).quantize(step)) if net_orders else None,
        "by_currency": {c: str(Decimal(m).scaleb(-minor_digits(c))) for c, m in
                        sorted(by_currency.items())},
        "unconverted_currencies": sorted(unconverted),
        "skus": {k: {"orders": v["orders"], "units": v["units"],
                     "gmv_gross": str(v["gross"].quantize(step)),
                     "gmv_net": str(v["net"].quantize(step))} for k, v in skus.items()},
    }


_RECENT = StaffRoomReads()  # every open console asks each second: one read per room


async def room_sales(stores: Stores, actor: Actor, room_id: str, fx: RateTable
                     ) -> dict[str, Any]:
    """The room's sales so far and the stock left of its SKUs (staff of its org)."""
    _, out = await _RECENT.get(stores, actor, room_id, lambda room: _read(stores, room, fx))
    return out


async def _read(stores: Stores, room: Room, fx: RateTable) -> dict[str, Any]:
    room_id = room.id
    async with stores.session() as s:
        slot_products = list((await s.scalars(select(RoomSlot.product_id).where(
            RoomSlot.room_id == room_id))).all())
    sold: list[Sold] = []
    buyers = {"new": 0, "returning": 0}
    for region in stores.regions:
        async with stores.session(region) as r:
            rows = (await r.execute(
                select(Order.status, Order.currency, OrderEvent.at, Order.items,
                       Order.total_minor, Order.buyer_id)
                .join(OrderEvent, OrderEvent.order_id == Order.id)
                .where(Order.room_id == room_id, Order.org_id == room.org_id,
                       OrderEvent.to_status == OrderStatus.PAID))).all()
            sold += [Sold(st, cur, at, list(items or []), int(total))
                     for st, cur, at, items, total, _ in rows]
            first: dict[str, datetime] = {}
            for *_, at, _items, _total, buyer in rows:
                first[buyer] = min(at, first.get(buyer, at))
            if first:  # counted here, in the buyers' region: only the two numbers leave
                earlier = dict((await r.execute(
                    select(Order.buyer_id, func.min(OrderEvent.at))
                    .join(OrderEvent, OrderEvent.order_id == Order.id)
                    .where(Order.org_id == room.org_id, Order.buyer_id.in_(list(first)),
                           OrderEvent.to_status == OrderStatus.PAID)
                    .group_by(Order.buyer_id))).all())
                for buyer, at in first.items():
                    buyers["returning" if earlier.get(buyer, at) < at else "new"] += 1
    currency = await reporting_currency(stores, room.org_id)
    out = tally(sold, fx, currency)
    out["buyers"] = buyers
    out["skus"] = await _with_stock(stores, room.org_id, out["skus"], slot_products)
    out.update({"room_id": room_id, "status": room.status, "as_of": utcnow().isoformat(),
                "fx_note": "converted at the ECB reference rate of each order's payment "
                           "date"})
    return out


async def _with_stock(stores: Stores, org_id: str, sold: Mapping[str, dict[str, Any]],
                      products: list[str]) -> list[dict[str, Any]]:
    """Every SKU of the room's run of show and every SKU it sold, with its sales and the
    units still available in each warehouse (on hand less held and reserved)."""
    async with stores.session() as s:
        skus = (await s.execute(
            select(Sku.id, Sku.code, Product.title).join(Product, Product.id == Sku.product_id)
            .where(Sku.org_id == org_id,
                   (Sku.product_id.in_(products)) | (Sku.id.in_(list(sold)))))).all()
        ids = [k[0] for k in skus]
        levels = (await s.execute(
            select(StockLevel.sku_id, Warehouse.code, StockLevel.on_hand,
                   StockLevel.allocated, StockLevel.reserved)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(StockLevel.sku_id.in_(ids)).order_by(Warehouse.code))).all()
    stock: dict[str, list[dict[str, Any]]] = {}
    for sku_id, code, on_hand, allocated, reserved in levels:
        stock.setdefault(sku_id, []).append({
            "warehouse": code, "on_hand": int(on_hand),
            "available": int(on_hand) - int(allocated) - int(reserved)})
    empty = {"orders": 0, "units": 0, "gmv_gross": "0", "gmv_net": "0"}
    out = [{"sku_id": sku_id, "code": code, "title": title, **sold.get(sku_id, empty),
            "stock": stock.get(sku_id, [])} for sku_id, code, title in skus]
    return sorted(out, key=lambda x: (-int(x["units"]), str(x["code"])))
