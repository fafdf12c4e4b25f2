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

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import JSON, Table, bindparam, delete, func, insert, select, update
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
from chuhai.core.shortcache import ShortCache
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
    return (await buyer_profile(stores, actor))[0]


async def buyer_profile(stores: Stores, actor: Actor) -> tuple[str | None, str | None]:
    """The signed-in buyer's home country and language, or (None, None) for anyone else."""
    if actor.kind is not ActorKind.CUSTOMER or actor.region is None:
        return None, None
    async with stores.session(actor.region) as r:
        row = (await r.execute(select(Customer.home_country, Customer.preferred_language)
                               .where(Customer.id == actor.subject_id))).first()
    return (row[0], row[1]) if row else (None, None)


@dataclass(frozen=True)
class Offer:
    """A SKU as sold in one market, and what routing needs: read before the write
    transaction, kept a second per node (a burst reads it thousands of times). The stock
    snapshot only guides the choice of warehouse: the conditional UPDATE decides."""

    sku: Sku
    product: Product
    listing: Listing
    refusals: tuple[tuple[str, str], ...]  # (rule id, message) of rules refusing the goods
    houses: tuple[Warehouse, ...]
    available: dict[tuple[str, str], int]
    routed: dict[int, str] = field(default_factory=dict)  # quantity → warehouse id


async def _load_offer(stores: Stores, shop: Shop, sku_id: str, market: str,
                      now: datetime) -> Offer:
    async with stores.session() as s:
        row = (await s.execute(select(Sku, Product).join(
            Product, Product.id == Sku.product_id).where(
            Sku.id == sku_id, Sku.org_id == shop.org_id))).first()
        if row is None:
            raise NotFound("SKU", sku_id, code="sku_not_found")
        sku, product = row
        listing = next((li for li in product.listings if li.market == market and li.visible),
                       None)
        if product.status != "active" or listing is None:
            raise NotFound(f"item in {market}", sku_id, code="product_not_listed")
        houses = tuple((await s.scalars(select(Warehouse).where(
            Warehouse.org_id == shop.org_id))).all())
        available = await stock.available_map(s, shop.org_id, [sku_id])
    refusals = tuple((r.id, r.message) for r in flags(
        rulebook(stores.settings.data_dir).restrictions, market, now.date(),
        product.hs_code, ()) if r.action == "refuse")
    return Offer(sku, product, listing, refusals, houses, available)


class OfferCache:
    """Each node keeps a SKU's terms in a market for a second, and one read serves every
    buyer arriving while it runs (``core.shortcache``, as drops keep theirs)."""

    TTL_S = 1.0

    def __init__(self) -> None:
        self._cache: ShortCache[tuple[str, str, str], Offer] = ShortCache(self.TTL_S)

    async def get(self, stores: Stores, shop: Shop, sku_id: str, market: str,
                  now: datetime) -> Offer:
        return await self._cache.get((shop.org_id, sku_id, market), now.timestamp(),
                                     lambda: _load_offer(stores, shop, sku_id, market, now))

    def forget(self) -> None:
        self._cache.forget()


OFFERS = OfferCache()


@dataclass(frozen=True)
class LineRow:
    id: str
    sku_id: str
    quantity: int
    warehouse_id: str
    reservation_id: str | None


_CART_LINES = (select(_carts.c.id, _carts.c.market, _lines.c.id, _lines.c.sku_id,
                      _lines.c.quantity, _lines.c.warehouse_id, _lines.c.reservation_id)
               .select_from(_carts.outerjoin(_lines, _lines.c.cart_id == _carts.c.id))
               .where(_carts.c.org_id == bindparam("org_id"),
                      _carts.c.buyer_id == bindparam("buyer_id"))
               .order_by(_lines.c.added_at, _lines.c.id))


async def _cart_lines(stores: Stores, org_id: str, buyer_id: str
                      ) -> tuple[str | None, str | None, list[LineRow]]:
    """The buyer's cart id, its market and its lines, in one statement."""
    async with stores.core() as tx:
        rows = (await tx.conn.execute(_CART_LINES, {"org_id": org_id,
                                                    "buyer_id": buyer_id})).all()
        await tx.rollback()
    if not rows:
        return None, None, []
    return rows[0][0], rows[0][1], [LineRow(r[2], r[3], int(r[4]), r[5], r[6])
                                    for r in rows if r[2] is not None]


async def _cart(s: AsyncSession, org_id: str, buyer_id: str) -> tuple[Cart | None,
                                                                      list[CartLine]]:
    cart = await s.scalar(select(Cart).where(Cart.org_id == org_id, Cart.buyer_id == buyer_id))
    if cart is None:
        return None, []
    lines = (await s.scalars(select(CartLine).where(CartLine.cart_id == cart.id)
                             .order_by(CartLine.added_at, CartLine.id))).all()
    return cart, list(lines)


def _warehouse_for(offer: Offer, market: str, qty: int, lines: list[LineRow]) -> Warehouse:
    """The cart's warehouse if it already has other lines (one consignment), else the one
    routing picks for the units."""
    sku_id = offer.sku.id
    others = [ln for ln in lines if ln.sku_id != sku_id]
    if others:
        wh = next((w for w in offer.houses if w.id == others[0].warehouse_id), None)
        if wh is not None and market in wh.lanes:
            return wh
    available = dict(offer.available)
    for ln in lines:  # the line's own hold comes back before the new one is taken
        if ln.sku_id == sku_id and ln.reservation_id:
            key = (sku_id, ln.warehouse_id)
            available[key] = available.get(key, 0) + ln.quantity
    try:
        legs = routing.route(market, {sku_id: qty},
                             [stock.depot(w) for w in offer.houses], available).legs
    except routing.NoRoute:
        raise OutOfStock(sku_id) from None
    if len(legs) > 1:
        raise OutOfStock(sku_id)
    return next(w for w in offer.houses if w.id == legs[0].warehouse_id)


def refuse(message: str, code: str, **extra: Any) -> Conflict:
    """A 409 with a stable code and the facts a client needs (``limit``, ``sku_ids`` …)."""
    exc = Conflict(message, code=code)
    exc.extra.update(extra)
    return exc


async def set_line(stores: Stores, actor: Actor, shop: Shop, market: str, sku_id: str,
                   quantity: int, key: str, *, add: bool = False,
                   now: datetime | None = None, touch: dict[str, Any] | None = None) -> None:
    """Make the buyer's line of ``sku_id`` hold ``quantity`` units (``add``: that many more;
    0 removes it). Refuses with a stable code: ``sku_not_found``, ``product_not_listed``,
    ``restricted_goods``, ``quantity_over_limit``, ``cart_full``, ``split_shipment``,
    ``cart_market_mismatch``, ``out_of_stock``, ``idempotency_key_reused``.

    Two reads (the SKU's terms, mostly from this node's cache; the buyer's cart, one
    statement) and one write transaction whose first statement takes the units. ``touch``
    (how the buyer came to this item, analytics/attribution.py) becomes the cart's last
    touch in that same transaction; None keeps the one it has."""
    buyer_id, region = buyer(actor)
    now = now or utcnow()
    if quantity < 0 or (add and quantity == 0):
        raise InvalidInput("quantity must be positive", code="invalid_quantity")
    offer = await OFFERS.get(stores, shop, sku_id, market, now)
    if offer.refusals:
        raise refuse(offer.refusals[0][1], "restricted_goods",
                      rules=[r for r, _ in offer.refusals])
    if add and quantity <= MAX_LINE_QUANTITY and await _add_new_line(
            stores, shop, buyer_id, region, market, offer, quantity, key, now, touch):
        return
    cart_id, cart_market, lines = await _cart_lines(stores, shop.org_id, buyer_id)
    if cart_market is not None and cart_market != market and lines:
        raise refuse(f"your cart with this shop is for {cart_market}; check it out or "
                      "empty it first", "cart_market_mismatch")
    line = next((ln for ln in lines if ln.sku_id == sku_id), None)
    target = (line.quantity if line is not None else 0) + quantity if add else quantity
    if target > MAX_LINE_QUANTITY:
        raise refuse(f"at most {MAX_LINE_QUANTITY} of one item per order",
                      "quantity_over_limit", limit=MAX_LINE_QUANTITY)
    if line is None and target > 0 and len(lines) >= MAX_LINES:
        raise refuse(f"a cart holds at most {MAX_LINES} different items", "cart_full",
                      limit=MAX_LINES)
    wh = None
    if target > 0:
        wh = _warehouse_for(offer, market, target, lines)
        if any(ln.warehouse_id != wh.id for ln in lines if ln.sku_id != sku_id):
            raise refuse("this item ships from another warehouse than the rest of your "
                          "cart; check out your cart first, then order it", "split_shipment")
    try:
        await _write(stores, shop, cart_id, line, buyer_id, region, market, offer, wh,
                     target, key, now, touch)
    except OutOfStock:
        if not await _replayed(stores, buyer_id, key, sku_id):
            raise


_KEY_OWNER = select(_holds.c.sku_id, _holds.c.source).where(
    _holds.c.buyer_id == bindparam("buyer_id"), _holds.c.idempotency_key == bindparam("key"))


async def _add_new_line(stores: Stores, shop: Shop, buyer_id: str, region: str, market: str,
                        offer: Offer, quantity: int, key: str, now: datetime,
                        touch: dict[str, Any] | None = None) -> bool:
    """The common add — a SKU not yet in the cart — in one transaction whose first
    statement takes the units (a sold-out attempt costs that UPDATE, a key look-up and a
    rollback, on one connection). The cart is read after the take, inside the transaction;
    if it is not what this path assumes (the SKU already has a line, another market or
    warehouse, a full cart), the transaction rolls back and False sends the caller the
    long way round."""
    wh_id = offer.routed.get(quantity)
    if wh_id is None:
        wh_id = offer.routed[quantity] = _warehouse_for(offer, market, quantity, []).id
    wh = next(w for w in offer.houses if w.id == wh_id)
    async with stores.core() as tx:
        conn = tx.conn
        try:
            if await units.take(conn, units.STOCK, {"sku_id": offer.sku.id,
                                                    "warehouse_id": wh.id}, quantity) is None:
                prior = (await conn.execute(_KEY_OWNER, {"buyer_id": buyer_id,
                                                         "key": key})).first()
                await tx.rollback()
                if prior is None:
                    raise OutOfStock(offer.sku.id)
                if prior[0] != offer.sku.id or prior[1] != "cart":
                    raise IdempotencyKeyReused()
                return True  # a retry of an add that was made
            cart_id, cart_market, fresh = await _upsert_cart(conn, shop.org_id, buyer_id,
                                                             region, market, now, touch)
            lines = [] if fresh else (await conn.execute(_LINES_OF, {"cart_id": cart_id})
                                      ).all()
            if lines and (cart_market != market or len(lines) >= MAX_LINES
                          or any(r.sku_id == offer.sku.id or r.warehouse_id != wh.id
                                 for r in lines)):
                await tx.rollback()
                return False
            await _hold_with_line(conn, shop, offer, wh, buyer_id, region, market, quantity,
                                  key, cart_id, now)
            if not fresh and cart_market != market:  # an empty cart changes market
                await conn.execute(_TOUCH_CART, {"cart_id": cart_id, "at": now,
                                                 "to_market": market, "touch": touch})
            await tx.commit()
            return True
        except IntegrityError:  # the key's unique constraint: a concurrent retry won
            await tx.rollback()
            if not await _replayed(stores, buyer_id, key, offer.sku.id):
                raise IdempotencyKeyReused() from None
            return True
        except BaseException:
            await tx.rollback()
            raise


async def _hold(conn: Any, shop: Shop, offer: Offer, wh: Warehouse, buyer_id: str,
                region: str, market: str, qty: int, key: str, res_id: str,
                now: datetime) -> None:
    """The ledger entry and the reservation of units just taken."""
    await conn.execute(_INSERT_ENTRY, _entry(shop.org_id, offer.sku.id, wh.id,
                                             EntryKind.ALLOCATE, qty, buyer_id, res_id, now))
    await conn.execute(_INSERT_RESERVATION, _hold_row(shop, offer, wh, buyer_id, region,
                                                      market, qty, key, res_id, now))


def _hold_row(shop: Shop, offer: Offer, wh: Warehouse, buyer_id: str, region: str,
              market: str, qty: int, key: str, res_id: str, now: datetime
              ) -> dict[str, Any]:
    return {"id": res_id, "org_id": shop.org_id, "drop_id": None, "line_id": None,
            "auction_id": None, "sku_id": offer.sku.id, "warehouse_id": wh.id,
            "market": market, "buyer_id": buyer_id, "buyer_region": region,
            "quantity": qty, "price_minor": offer.listing.price_minor,
            "currency": offer.listing.currency, "status": "held", "source": "cart",
            "expires_at": now + CART_HOLD, "idempotency_key": key,
            "request_hash": f"cart:{offer.sku.id}", "order_id": None, "created_at": now,
            "settled_at": None}


def _bound_insert(table: Table, prefix: str, columns: list[str]) -> Any:
    # bound as ``<prefix><column>``: SQLAlchemy keeps a column's own name for its value
    return insert(table).values({c: bindparam(f"{prefix}{c}") for c in columns})


_ENTRY_COLS = ["org_id", "sku_id", "warehouse_id", "kind", "d_on_hand", "d_allocated",
               "d_reserved", "ref", "note", "actor_id", "created_at"]
_HOLD_COLS = ["id", "org_id", "drop_id", "line_id", "auction_id", "sku_id", "warehouse_id",
              "market", "buyer_id", "buyer_region", "quantity", "price_minor", "currency",
              "status", "source", "expires_at", "idempotency_key", "request_hash",
              "order_id", "created_at", "settled_at"]
_LINE_COLS = ["id", "cart_id", "sku_id", "added_at", "quantity", "warehouse_id",
              "reservation_id", "price_minor", "currency"]
# PostgreSQL writes the ledger entry, the reservation and the cart line in one round trip
# (data-modifying WITH); SQLite, which has no such WITH, in three statements.
_HOLD_AND_LINE_PG = _bound_insert(_lines, "l_", _LINE_COLS).add_cte(
    _bound_insert(cast(Table, StockEntry.__table__), "e_", _ENTRY_COLS).cte("new_entry"),
    _bound_insert(_holds, "r_", _HOLD_COLS).cte("new_hold"))


async def _hold_with_line(conn: Any, shop: Shop, offer: Offer, wh: Warehouse,
                          buyer_id: str, region: str, market: str, qty: int, key: str,
                          cart_id: str, now: datetime) -> None:
    """A new line's hold: ledger entry, reservation and cart line."""
    res_id = new_id("res")
    if conn.dialect.name != "postgresql":
        await _hold(conn, shop, offer, wh, buyer_id, region, market, qty, key, res_id, now)
        await _put_line(conn, cart_id, None, offer, wh.id, qty, res_id, now)
        return
    params = {f"e_{k}": v for k, v in _entry(shop.org_id, offer.sku.id, wh.id,
                                             EntryKind.ALLOCATE, qty, buyer_id, res_id,
                                             now).items()}
    params.update({f"r_{k}": v for k, v in _hold_row(shop, offer, wh, buyer_id, region,
                                                     market, qty, key, res_id, now).items()})
    params.update({"l_id": new_id("cline"), "l_cart_id": cart_id, "l_sku_id": offer.sku.id,
                   "l_added_at": now, "l_quantity": qty, "l_warehouse_id": wh.id,
                   "l_reservation_id": res_id, "l_price_minor": offer.listing.price_minor,
                   "l_currency": offer.listing.currency})
    await conn.execute(_HOLD_AND_LINE_PG, params)


async def _replayed(stores: Stores, buyer_id: str, key: str, sku_id: str) -> bool:
    """True when ``key`` already made a change of this SKU's line (a retry: nothing more
    to do); ``idempotency_key_reused`` when it made another change."""
    async with stores.session() as s:
        found = await drops.find_by_key(s, buyer_id, key)
    if found is None:
        return False
    if found.sku_id != sku_id or found.source != "cart":
        raise IdempotencyKeyReused()
    return True


async def _write(stores: Stores, shop: Shop, cart_id: str | None, line: LineRow | None,
                 buyer_id: str, region: str, market: str, offer: Offer,
                 wh: Warehouse | None, target: int, key: str, now: datetime,
                 touch: dict[str, Any] | None = None) -> None:
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
            cart_id = cart_id if cart_id is not None else await _ensure_cart(
                conn, shop.org_id, buyer_id, region, market, now, touch)
            if target == 0:
                await conn.execute(delete(_lines).where(
                    _lines.c.cart_id == cart_id,
                    _lines.c.sku_id == offer.sku.id))
                await tx.commit()
                return
            assert wh is not None
            await _hold(conn, shop, offer, wh, buyer_id, region, market, target, key, res_id,
                        now)
            await _put_line(conn, cart_id, line, offer, wh.id, target, res_id, now)
            await conn.execute(_TOUCH_CART, {"cart_id": cart_id, "at": now,
                                             "to_market": market, "touch": touch})
            await tx.commit()
        except IntegrityError:  # the key's unique constraint: a concurrent retry won
            await tx.rollback()
            if not await _replayed(stores, buyer_id, key, offer.sku.id):
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


_MAKE_CART: dict[str, Any] = {}
_INSERT_LINE = insert(_lines)
_TOUCH = bindparam("touch", type_=JSON(none_as_null=True))
_TOUCH_CART = update(_carts).where(_carts.c.id == bindparam("cart_id")).values(
    updated_at=bindparam("at"), market=bindparam("to_market"),
    touch=func.coalesce(_TOUCH, _carts.c.touch))
_CART_ID = select(_carts.c.id).where(_carts.c.org_id == bindparam("org_id"),
                                     _carts.c.buyer_id == bindparam("buyer_id"))


_UPSERT_CART: dict[str, Any] = {}
_LINES_OF = select(_lines.c.sku_id, _lines.c.warehouse_id).where(
    _lines.c.cart_id == bindparam("cart_id"))


async def _upsert_cart(conn: Any, org_id: str, buyer_id: str, region: str, market: str,
                       now: datetime, touch: dict[str, Any] | None = None
                       ) -> tuple[str, str, bool]:
    """The buyer's cart with the shop — made now, or touched — in one statement: its id,
    its market, and whether it was made by this call (then it has no lines to read)."""
    stmt = _UPSERT_CART.get(conn.dialect.name)
    if stmt is None:
        ins = insert_for_dialect(conn.dialect.name, _carts)
        stmt = _UPSERT_CART[conn.dialect.name] = ins.on_conflict_do_update(
            index_elements=["org_id", "buyer_id"],
            set_={"updated_at": ins.excluded.updated_at,
                  "touch": func.coalesce(ins.excluded.touch, _carts.c.touch)}
        ).returning(_carts.c.id, _carts.c.market)
    made = new_id("cart")
    row = (await conn.execute(stmt, {
        "id": made, "org_id": org_id, "buyer_id": buyer_id, "buyer_region": region,
        "market": market, "created_at": now, "updated_at": now, "touch": touch})).one()
    return str(row[0]), str(row[1]), row[0] == made


async def _ensure_cart(conn: Any, org_id: str, buyer_id: str, region: str, market: str,
                       now: datetime, touch: dict[str, Any] | None = None) -> str:
    """The buyer's cart with the shop, made now unless a concurrent change just made it.
    (Statements are built once per dialect: a burst runs them many times a second.)"""
    stmt = _MAKE_CART.get(conn.dialect.name)
    if stmt is None:
        stmt = _MAKE_CART[conn.dialect.name] = insert_for_dialect(
            conn.dialect.name, _carts).on_conflict_do_nothing().returning(_carts.c.id)
    made = (await conn.execute(stmt, {
        "id": new_id("cart"), "org_id": org_id, "buyer_id": buyer_id, "buyer_region": region,
        "market": market, "created_at": now, "updated_at": now, "touch": touch})).first()
    if made is not None:
        return str(made[0])
    return str((await conn.execute(_CART_ID, {"org_id": org_id, "buyer_id": buyer_id})
                ).scalar_one())


async def _put_line(conn: Any, cart_id: str, line: LineRow | None, offer: Offer,
                    wh_id: str, qty: int, res_id: str, now: datetime) -> None:
    t = _lines
    values = {"quantity": qty, "warehouse_id": wh_id, "reservation_id": res_id,
              "price_minor": offer.listing.price_minor, "currency": offer.listing.currency}
    if line is None:
        await conn.execute(_INSERT_LINE, {"id": new_id("cline"), "cart_id": cart_id,
                                          "sku_id": offer.sku.id, "added_at": now, **values})
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
    touch: dict[str, Any] | None = None  # how the buyer came (the order's last touch)

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
    return CartView(shop, market, out, basket, delivery,
                    cart.touch if cart is not None else None)

