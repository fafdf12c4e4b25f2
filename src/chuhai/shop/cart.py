"""The cart: one per buyer and seller, each line holding its units until checkout or lapse.

Every change of a line — add, set, remove — is one short transaction on the global store:
the line's previous hold is let go and the new quantity is taken **through the shared
primitive** (``inventory.units.STOCK``: the same conditional UPDATE a drop uses), the stock
ledger records both, and a new reservation (unique per buyer and idempotency key) holds the
line. A retry with the same key finds that reservation and changes nothing; a key reused for
another change is refused. Nothing is read to decide whether units are free: the UPDATE is
the decision, so a burst on one SKU never oversells.

A cart ships as one consignment from one warehouse (the first line's, chosen by routing);
a SKU that warehouse cannot supply is refused with ``split_shipment`` rather than silently
making a second parcel with a second delivery charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.accounts.models import Customer
from chuhai.catalog.models import Listing, Product, Sku
from chuhai.core.actor import Actor, ActorKind
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores
from chuhai.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from chuhai.core.idempotency import IdempotencyKeyReused
from chuhai.core.ids import new_id
from chuhai.core.sql import insert_for_dialect
from chuhai.crossborder.loader import rulebook
from chuhai.crossborder.restricted import flags
from chuhai.inventory import drops, routing, stock, units
from chuhai.inventory.ledger import EntryKind, delta_for
from chuhai.inventory.models import Reservation, StockEntry, Warehouse
from chuhai.shop import pricing
from chuhai.shop.catalog import Shop
from chuhai.shop.models import Cart, CartLine
from chuhai.shop.pricing import BasketPrice, Delivery

CART_HOLD = timedelta(minutes=15)
MAX_LINES = 50
MAX_LINE_QUANTITY = 10

_carts = cast(Table, Cart.__table__)
_lines = cast(Table, CartLine.__table__)
_holds = cast(Table, Reservation.__table__)
_INSERT_ENTRY = insert(cast(Table, StockEntry.__table__))
_INSERT_RESERVATION = insert(_holds)


class OutOfStock(Conflict):
    def __init__(self, sku_id: str) -> None:
        super().__init__("not enough units of this item are left", code="out_of_stock")
        self.extra["sku_id"] = sku_id


def buyer(actor: Actor) -> tuple[str, str]:
    if actor.kind is not ActorKind.CUSTOMER or actor.region is None:
        raise Forbidden("sign in as a customer to use a cart", code="customer_required")
    return actor.subject_id, actor.region


async def buyer_country(stores: Stores, actor: Actor) -> str | None:
    """The signed-in buyer's home country (their market), or None for anyone else."""
    if actor.kind is not ActorKind.CUSTOMER or actor.region is None:
        return None
    async with stores.session(actor.region) as r:
        return await r.scalar(select(Customer.home_country).where(
            Customer.id == actor.subject_id))


@dataclass(frozen=True)
class Offer:
    """A SKU as sold in one market: read before the write transaction."""

    sku: Sku
    product: Product
    listing: Listing


async def _offer(s: AsyncSession, shop: Shop, sku_id: str, market: str) -> Offer:
    row = (await s.execute(select(Sku, Product).join(Product, Product.id == Sku.product_id)
                           .where(Sku.id == sku_id, Sku.org_id == shop.org_id))).first()
    if row is None:
        raise NotFound("SKU", sku_id, code="sku_not_found")
    sku, product = row
    listing = next((li for li in product.listings if li.market == market and li.visible),
                   None)
    if product.status != "active" or listing is None:
        raise NotFound(f"item in {market}", sku_id, code="product_not_listed")
    return Offer(sku, product, listing)


async def _cart(s: AsyncSession, org_id: str, buyer_id: str) -> tuple[Cart | None,
                                                                      list[CartLine]]:
    cart = await s.scalar(select(Cart).where(Cart.org_id == org_id, Cart.buyer_id == buyer_id))
    if cart is None:
        return None, []
    lines = (await s.scalars(select(CartLine).where(CartLine.cart_id == cart.id)
                             .order_by(CartLine.added_at, CartLine.id))).all()
    return cart, list(lines)


async def _warehouse_for(s: AsyncSession, shop: Shop, market: str, sku_id: str, qty: int,
                         lines: list[CartLine]) -> Warehouse:
    houses = list((await s.scalars(select(Warehouse).where(
        Warehouse.org_id == shop.org_id))).all())
    others = [ln for ln in lines if ln.sku_id != sku_id]
    if others:  # one consignment: the cart's warehouse, or a clear refusal
        wh = next((w for w in houses if w.id == others[0].warehouse_id), None)
        if wh is not None and market in wh.lanes:
            return wh
    available = await stock.available_map(s, shop.org_id, [sku_id])
    for ln in lines:  # the line's own hold comes back before the new one is taken
        if ln.sku_id == sku_id and ln.reservation_id:
            key = (sku_id, ln.warehouse_id)
            available[key] = available.get(key, 0) + ln.quantity
    try:
        leg = routing.route(market, {sku_id: qty},
                            [stock.depot(w) for w in houses], available).legs
    except routing.NoRoute:
        raise OutOfStock(sku_id) from None
    if len(leg) > 1:
        raise OutOfStock(sku_id)
    return next(w for w in houses if w.id == leg[0].warehouse_id)


async def set_line(stores: Stores, actor: Actor, shop: Shop, market: str, sku_id: str,
                   quantity: int, key: str, *, add: bool = False,
                   now: datetime | None = None) -> None:
    """Make the buyer's line of ``sku_id`` hold ``quantity`` units (``add``: that many more;
    0 removes it). Refuses with a stable code: ``sku_not_found``, ``product_not_listed``,
    ``restricted_goods``, ``quantity_over_limit``, ``cart_full``, ``split_shipment``,
    ``out_of_stock``, ``idempotency_key_reused``."""
    buyer_id, region = buyer(actor)
    now = now or utcnow()
    if quantity < 0 or (add and quantity == 0):
        raise InvalidInput("quantity must be positive", code="invalid_quantity")
    async with stores.session() as s:
        offer = await _offer(s, shop, sku_id, market)
        refusals = [r for r in flags(rulebook(stores.settings.data_dir).restrictions, market,
                                     now.date(), offer.product.hs_code, ())
                    if r.action == "refuse"]
        if refusals:
            exc = Conflict(refusals[0].message, code="restricted_goods")
            exc.extra["rules"] = [r.id for r in refusals]
            raise exc
        cart, lines = await _cart(s, shop.org_id, buyer_id)
        if cart is not None and cart.market != market and lines:
            raise Conflict(f"your cart with this shop is for {cart.market}; check it "
                           f"out or empty it first", code="cart_market_mismatch")
        line = next((ln for ln in lines if ln.sku_id == sku_id), None)
        prior = await drops.find_by_key(s, buyer_id, key)
        if prior is not None:  # a retry of a change already made
            if prior.sku_id != sku_id or prior.source != "cart":
                raise IdempotencyKeyReused()
            return
        target = (line.quantity if line is not None and line.reservation_id else 0) + \
            quantity if add else quantity
        if target > MAX_LINE_QUANTITY:
            exc = Conflict(f"at most {MAX_LINE_QUANTITY} of one item per order",
                           code="quantity_over_limit")
            exc.extra["limit"] = MAX_LINE_QUANTITY
            raise exc
        if line is None and target > 0 and len(lines) >= MAX_LINES:
            exc = Conflict(f"a cart holds at most {MAX_LINES} different items",
                           code="cart_full")
            exc.extra["limit"] = MAX_LINES
            raise exc
        wh = None
        if target > 0:
            wh = await _warehouse_for(s, shop, market, sku_id, target, lines)
            if any(ln.warehouse_id != wh.id for ln in lines if ln.sku_id != sku_id):
                raise Conflict("this item ships from another warehouse than the rest of "
                               "your cart; check out your cart first, then order it",
                               code="split_shipment")
    await _write(stores, shop, cart, line, buyer_id, region, market, offer, wh, target, key,
                 now)


async def _write(stores: Stores, shop: Shop, cart: Cart | None, line: CartLine | None,
                 buyer_id: str, region: str, market: str, offer: Offer,
                 wh: Warehouse | None, target: int, key: str, now: datetime) -> None:
    """The one transaction of a change: let go of the old hold, take the new one."""
    res_id = new_id("res")
    async with stores.core() as tx:
        conn = tx.conn
        try:
            if target > 0 and wh is not None and (line is None or line.reservation_id is None):
                # the common case — a new line — begins with the deciding UPDATE
                if await units.take(conn, units.STOCK, {"sku_id": offer.sku.id,
                                                        "warehouse_id": wh.id}, target) is None:
                    await tx.rollback()
                    raise OutOfStock(offer.sku.id)
                taken = True
            else:
                taken = False
            if line is not None and line.reservation_id:
                await _let_go(conn, line.reservation_id, buyer_id, now)
            if target > 0 and wh is not None and not taken and await units.take(
                    conn, units.STOCK, {"sku_id": offer.sku.id, "warehouse_id": wh.id},
                    target) is None:
                await tx.rollback()
                raise OutOfStock(offer.sku.id)
            cart_id = cart.id if cart is not None else await _ensure_cart(
                conn, shop.org_id, buyer_id, region, market, now)
            if target == 0:
                await conn.execute(delete(_lines).where(
                    _lines.c.cart_id == cart_id,
                    _lines.c.sku_id == offer.sku.id))
                await tx.commit()
                return
            assert wh is not None
            await conn.execute(_INSERT_ENTRY, _entry(shop.org_id, offer.sku.id, wh.id,
                                                     EntryKind.ALLOCATE, target, buyer_id,
                                                     res_id, now))
            await conn.execute(_INSERT_RESERVATION, {
                "id": res_id, "org_id": shop.org_id, "drop_id": None, "line_id": None,
                "auction_id": None, "sku_id": offer.sku.id, "warehouse_id": wh.id,
                "market": market, "buyer_id": buyer_id, "buyer_region": region,
                "quantity": target, "price_minor": offer.listing.price_minor,
                "currency": offer.listing.currency, "status": "held", "source": "cart",
                "expires_at": now + CART_HOLD, "idempotency_key": key,
                "request_hash": f"cart:{offer.sku.id}", "order_id": None, "created_at": now,
                "settled_at": None})
            await _put_line(conn, cart_id, line, offer, wh.id, target, res_id, now)
            await conn.execute(update(_carts).where(_carts.c.id == cart_id)
                               .values(updated_at=now, market=market))
            await tx.commit()
        except IntegrityError:  # the key's unique constraint: a concurrent retry won
            await tx.rollback()
            async with stores.session() as s:
                found = await drops.find_by_key(s, buyer_id, key)
            if found is None or found.sku_id != offer.sku.id:
                raise IdempotencyKeyReused() from None
        except BaseException:
            await tx.rollback()
            raise


async def _let_go(conn: Any, reservation_id: str, buyer_id: str, now: datetime) -> None:
    """Cancel a held reservation of a cart line and give its units back (same transaction);
    a hold that already lapsed was given back by the sweeper."""
    t = _holds
    row = (await conn.execute(update(t).where(
        t.c.id == reservation_id, t.c.buyer_id == buyer_id, t.c.status == "held").values(
        status="cancelled", settled_at=now).returning(
        t.c.org_id, t.c.sku_id, t.c.warehouse_id, t.c.quantity))).first()
    if row is None:
        return
    org_id, sku_id, wh_id, qty = row
    if not await units.give(conn, units.STOCK, {"sku_id": sku_id, "warehouse_id": wh_id},
                            qty):
        raise RuntimeError(f"hold {reservation_id} had no allocation to give back")
    await conn.execute(_INSERT_ENTRY, _entry(org_id, sku_id, wh_id, EntryKind.RELEASE, qty,
                                             buyer_id, reservation_id, now))


def _entry(org_id: str, sku_id: str, wh_id: str, kind: EntryKind, qty: int, actor_id: str,
           ref: str, now: datetime) -> dict[str, Any]:
    d = delta_for(kind, qty)
    return {"org_id": org_id, "sku_id": sku_id, "warehouse_id": wh_id, "kind": str(kind),
            "d_on_hand": d.on_hand, "d_allocated": d.allocated, "d_reserved": d.reserved,
            "ref": ref, "note": "cart", "actor_id": actor_id, "created_at": now}


async def _ensure_cart(conn: Any, org_id: str, buyer_id: str, region: str, market: str,
                       now: datetime) -> str:
    t = _carts
    await conn.execute(insert_for_dialect(conn.dialect.name, t).values(
        id=new_id("cart"), org_id=org_id, buyer_id=buyer_id, buyer_region=region,
        market=market, created_at=now, updated_at=now).on_conflict_do_nothing())
    return str((await conn.execute(select(t.c.id).where(
        t.c.org_id == org_id, t.c.buyer_id == buyer_id))).scalar_one())


async def _put_line(conn: Any, cart_id: str, line: CartLine | None, offer: Offer,
                    wh_id: str, qty: int, res_id: str, now: datetime) -> None:
    t = _lines
    values = {"quantity": qty, "warehouse_id": wh_id, "reservation_id": res_id,
              "price_minor": offer.listing.price_minor, "currency": offer.listing.currency}
    if line is None:
        await conn.execute(insert(t).values(id=new_id("cline"), cart_id=cart_id,
                                            sku_id=offer.sku.id, added_at=now, **values))
        return
    done = await conn.execute(update(t).where(
        t.c.id == line.id, t.c.reservation_id.is_(None) if line.reservation_id is None
        else t.c.reservation_id == line.reservation_id).values(**values))
    if done.rowcount != 1:  # another change of this line won: try again from the start
        raise Conflict("the cart changed meanwhile; try again", code="retry")


# -- reading the cart ------------------------------------------------------------------


@dataclass(frozen=True)
class LineView:
    line: CartLine
    title: str
    sku_code: str
    attributes: dict[str, Any]
    image: str | None
    product_id: str
    held: bool
    expires_at: datetime | None
    single: pricing.Price


@dataclass(frozen=True)
class CartView:
    shop: Shop
    market: str
    lines: tuple[LineView, ...]
    price: BasketPrice | None
    delivery: Delivery | None

    @property
    def all_held(self) -> bool:
        return bool(self.lines) and all(ln.held for ln in self.lines)


async def view(stores: Stores, actor: Actor, shop: Shop, market: str,
               data_dir: Path | None = None, now: datetime | None = None) -> CartView:
    """The cart re-quoted as one consignment, each line with its hold and single price."""
    buyer_id, _ = buyer(actor)
    now = now or utcnow()
    async with stores.session() as s:
        cart, lines = await _cart(s, shop.org_id, buyer_id)
        if cart is not None and lines:
            market = cart.market
        if not lines:
            return CartView(shop, market, (), None, None)
        rows = {k.id: (k, p) for k, p in (await s.execute(select(Sku, Product).join(
            Product, Product.id == Sku.product_id).where(
            Sku.id.in_([ln.sku_id for ln in lines])))).all()}
        holds = {r.id: r for r in (await s.scalars(select(Reservation).where(
            Reservation.id.in_([ln.reservation_id for ln in lines if ln.reservation_id]))))}
        wh = await s.scalar(select(Warehouse).where(Warehouse.id == lines[0].warehouse_id))
    lane = wh.lanes.get(market) if wh is not None else None
    delivery = Delivery(wh.code, int(lane["min_days"]), int(lane["max_days"]),
                        int(lane["cost_minor"])) if wh is not None and lane else None
    rules = rulebook(data_dir)
    goods, views = [], []
    for ln in lines:
        sku, product = rows[ln.sku_id]
        listing = next((li for li in product.listings if li.market == market), None)
        title = listing.title if listing is not None else product.title
        g = pricing.Goods(product.hs_code, product.origin_country,
                          sku.weight_g or product.weight_g, ln.price_minor, ln.currency,
                          ln.quantity)
        goods.append(g)
        hold = holds.get(ln.reservation_id or "")
        held = hold is not None and hold.status == "held" and hold.expires_at > now
        views.append((ln, title, sku, product, held, hold))
    basket = pricing.basket(rules, market, now.date(), goods, delivery, shop.registrations)
    out = tuple(LineView(ln, title, sku.code, dict(sku.attributes or {}),
                         product.images[0] if product.images else None, product.id, held,
                         hold.expires_at if held and hold is not None else None, single)
                for (ln, title, sku, product, held, hold), single
                in zip(views, basket.lines, strict=True))
    return CartView(shop, market, out, basket, delivery)

