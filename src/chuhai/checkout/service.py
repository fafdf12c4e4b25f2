"""Reservation → checkout → order → payment, and the order's life after that.

Orders live in the buyer's regional store; reservations in the global one. The two never
commit together, so the order of steps is what keeps money and stock consistent:

* paying converts the reservation (global) only **after** the provider says the charge
  succeeded, and marks the order paid (regional) after that;
* if the reservation lapsed in between, the charge is refunded and the order cancelled;
* ``reconcile`` asks the provider about payments left unfinished by a crash and completes
  them, so a charge that happened is never without its paid order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.accounts.models import Org
from chuhai.analytics import touches
from chuhai.analytics.attribution import DIRECT, Touch
from chuhai.catalog.models import Listing, Product, Sku
from chuhai.checkout import addresses, states
from chuhai.checkout.models import Order, OrderEvent, OrderLine, Payment
from chuhai.checkout.payments import ChargeResult, ChargeStatus, PaymentProvider
from chuhai.checkout.schemas import DUTIES_PENDING, CheckoutIn, PayIn, TransitionIn
from chuhai.checkout.states import OrderStatus
from chuhai.core.actor import Actor, ActorKind, Perm
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores
from chuhai.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from chuhai.core.idempotency import IdempotencyKeyReused, check_replay, fingerprint
from chuhai.core.ids import new_id
from chuhai.core.money import Money, to_minor
from chuhai.core.outbox import enqueue
from chuhai.core.secrets_store import signing_key
from chuhai.crossborder import service as crossborder
from chuhai.crossborder.basket import QuoteError
from chuhai.inventory import drops, stock
from chuhai.inventory.ledger import EntryKind
from chuhai.inventory.models import Drop, Reservation, Warehouse
from chuhai.inventory.schemas import amount_text
from chuhai.privacy import access

log = logging.getLogger("chuhai.checkout")
PAYING_HOLD = timedelta(minutes=5)  # a buyer in the middle of paying keeps their units
PAY_CLAIM = timedelta(seconds=90)  # the longest a charge may take before another may start


def _buyer(actor: Actor) -> tuple[str, str]:
    if actor.kind is not ActorKind.CUSTOMER or actor.region is None:
        raise Forbidden("sign in as a customer to check out", code="customer_required")
    return actor.subject_id, actor.region


@dataclass(frozen=True)
class Quote:
    reservation: Reservation
    items: list[dict[str, Any]]
    subtotal_minor: int
    shipping_minor: int
    min_days: int
    max_days: int
    warehouse_code: str
    room_id: str | None
    duty_minor: int = 0
    tax_minor: int = 0
    fees_minor: int = 0
    duties_note: str = DUTIES_PENDING
    landed: dict[str, Any] | None = None

    @property
    def total_minor(self) -> int:
        return (self.subtotal_minor + self.shipping_minor + self.duty_minor + self.tax_minor
                + self.fees_minor)


async def quote(stores: Stores, actor: Actor, reservation_id: str) -> Quote:
    """What the buyer will pay and when it arrives, for a held reservation."""
    async with stores.session() as s:
        res = await drops.get_reservation(s, actor, reservation_id)
        return await _quote(s, res, stores.settings.data_dir)


async def _quote(s: AsyncSession, res: Reservation, data_dir: Path | None = None) -> Quote:
    wh = await s.scalar(select(Warehouse).where(Warehouse.id == res.warehouse_id))
    if wh is None or res.market not in wh.lanes:
        raise Conflict("the warehouse no longer serves this market", code="no_fulfilment_route")
    lane = wh.lanes[res.market]
    row = (await s.execute(select(
        Sku.code, Product.title, Listing.title, Product.hs_code, Product.origin_country,
        Product.weight_g, Org.registrations).join(
        Product, Product.id == Sku.product_id).join(Org, Org.id == Product.org_id).outerjoin(
        Listing, (Listing.product_id == Product.id) & (Listing.market == res.market)).where(
        Sku.id == res.sku_id))).first()
    if row is None:
        raise NotFound("product of reservation", res.id, code="product_not_found")
    sku_code, product_title, listing_title, hs_code, origin, weight_g, regs = row
    room_id = None
    if res.drop_id:
        room_id = await s.scalar(select(Drop.room_id).where(Drop.id == res.drop_id))
    items = [{"sku_id": res.sku_id, "sku_code": sku_code,
              "title": listing_title or product_title, "quantity": res.quantity,
              "unit_price_minor": res.price_minor}]
    shipping_minor = int(lane["cost_minor"])
    charges = _landed(res, hs_code, origin, weight_g, frozenset(regs or ()), shipping_minor,
                      data_dir)
    return Quote(res, items, res.price_minor * res.quantity, shipping_minor,
                 int(lane["min_days"]), int(lane["max_days"]), wh.code, room_id, **charges)


def _landed(res: Reservation, hs_code: str, origin: str, weight_g: int,
            registrations: frozenset[str], shipping_minor: int,
            data_dir: Path | None) -> dict[str, Any]:
    """Duty, tax and fees collected at checkout (DDP), or why they cannot be."""
    cur = res.currency
    try:
        q = crossborder.listing_quote(
            res.market, utcnow().date(), hs_code, origin, Money.from_minor(res.price_minor,
                                                                           cur).amount, cur,
            weight_g=weight_g, registrations=registrations,
            shipping=Money.from_minor(shipping_minor, cur).amount, quantity=res.quantity,
            data_dir=data_dir)
    except QuoteError as exc:
        if exc.code == "restricted_goods":
            raise Conflict(str(exc), code="restricted_goods") from None
        log.warning("no landed cost for %s into %s: %s", hs_code, res.market, exc)
        return {"duties_note": f"Duties and taxes could not be calculated ({exc.code}); "
                               f"they may be due on delivery"}
    warn = [r["message"] for r in q.restrictions]
    note = "Duties and taxes included" + (f" · {q.collection} collected" if q.collection
                                          else "")
    return {"duty_minor": to_minor(q.duty_total, cur), "tax_minor": to_minor(q.tax_total, cur),
            "fees_minor": to_minor(q.fees_total, cur),
            "duties_note": "; ".join([note, *warn])[:200],
            "landed": crossborder.charges_summary(q)}


def _key(stores: Stores, key: bytes | None) -> bytes:
    """The key of body fingerprints: the app's, or the same one read from the settings."""
    return key if key is not None else signing_key(stores.settings)


def _same_checkout(found: Order, data: CheckoutIn, fp: str) -> Order:
    if found.reservation_id != data.reservation_id:  # also for rows without a fingerprint
        raise IdempotencyKeyReused()
    check_replay(found.request_hash, fp)
    return found


async def checkout(stores: Stores, actor: Actor, data: CheckoutIn, *,
                   key: bytes | None = None) -> Order:
    """Turn a held reservation into an order awaiting payment (idempotent per key: the same
    key with another body — another address — is ``idempotency_key_reused``)."""
    buyer_id, region = _buyer(actor)
    fp = fingerprint(_key(stores, key), "checkout", data)
    async with stores.session(region) as r:
        found = await r.scalar(select(Order).where(
            Order.buyer_id == buyer_id, Order.idempotency_key == data.idempotency_key))
        if found is not None:
            return _same_checkout(found, data, fp)
        existing = await r.scalar(select(Order).where(
            Order.reservation_id == data.reservation_id, Order.buyer_id == buyer_id))
        if existing is not None:
            return existing
    async with stores.session() as s:
        res = await drops.get_reservation(s, actor, data.reservation_id)
        if res.status != "held":
            raise Conflict(f"the reservation is {res.status}", code="reservation_not_held")
        if data.ship_to.country != res.market:
            raise InvalidInput(f"this offer ships to {res.market} only",
                               code="ship_to_outside_market")
        q = await _quote(s, res, stores.settings.data_dir)
    addr = addresses.normalize(data.ship_to.model_dump())
    order = Order(
        id=new_id("ord"), region=region, org_id=res.org_id, buyer_id=buyer_id,
        reservation_id=res.id, source=res.source if res.source == "auction" else "drop",
        room_id=q.room_id, market=res.market, currency=res.currency,
        status=OrderStatus.PENDING_PAYMENT, items=q.items, subtotal_minor=q.subtotal_minor,
        shipping_minor=q.shipping_minor, total_minor=q.total_minor, duties_note=q.duties_note,
        duty_minor=q.duty_minor, tax_minor=q.tax_minor, fees_minor=q.fees_minor,
        landed=q.landed,
        warehouse_id=res.warehouse_id, delivery_min_days=q.min_days,
        delivery_max_days=q.max_days, **ship_columns(addr),
        idempotency_key=data.idempotency_key, request_hash=fp)
    line = OrderLine(region=region, order_id=order.id, position=0, sku_id=res.sku_id,
                     quantity=res.quantity, unit_price_minor=res.price_minor,
                     reservation_id=res.id)
    # bought in the live room: that is the surface it came through
    return await place_order(stores, order, [line],
                             lambda same_key: _same_checkout(same_key, data, fp),
                             Touch("live", q.room_id))


async def place_order(stores: Stores, order: Order, lines: list[OrderLine],
                      replay: Callable[[Order], Order], touch: Touch = DIRECT) -> Order:
    """Record a new order — attributed to ``touch`` (analytics/touches.py) — its lines,
    its first event and its webhook in one regional transaction. When a concurrent call
    won — the same buyer and idempotency key (``replay`` checks it is the same request),
    or the same first hold under another key — the order that won is the answer."""
    touches.attribute(order, touch)
    async with stores.session(order.region) as r:
        r.add(order)
        r.add_all(lines)
        r.add(OrderEvent(region=order.region, order_id=order.id, from_status=None,
                         to_status=order.status, actor_id=order.buyer_id,
                         actor_kind="customer"))
        enqueue(r, order.org_id, "order.created", order_event(order), region=order.region)
        try:
            await r.commit()
        except IntegrityError:
            await r.rollback()
            same_key = await r.scalar(select(Order).where(
                Order.buyer_id == order.buyer_id,
                Order.idempotency_key == order.idempotency_key))
            if same_key is not None:  # a concurrent call with this key won
                return replay(same_key)
            again = await r.scalar(select(Order).where(
                Order.reservation_id == order.reservation_id,
                Order.buyer_id == order.buyer_id))
            if again is None:
                raise
            return again
    return order


def ship_columns(a: addresses.Address) -> dict[str, str]:
    return {"ship_name": a.name, "ship_street": a.street, "ship_city": a.city,
            "ship_region": a.region, "ship_postal_code": a.postal_code,
            "ship_country": a.country, "ship_phone": a.phone}


async def holds_of(stores: Stores, order: Order) -> list[str]:
    """The reservations holding an order's units: one per line (orders made before lines
    existed hold their one reservation)."""
    async with stores.session(order.region) as r:
        ids = list((await r.scalars(select(OrderLine.reservation_id).where(
            OrderLine.order_id == order.id).order_by(OrderLine.position))).all())
    return ids or [order.reservation_id]


def order_event(order: Order) -> dict[str, Any]:
    """An order as webhooks see it: ids, status, money — no name, no address."""
    return {"order_id": order.id, "status": order.status, "market": order.market,
            "currency": order.currency, "total": amount_text(order.total_minor, order.currency),
            "reservation_id": order.reservation_id, "room_id": order.room_id,
            "items": [{"sku_id": i["sku_id"], "quantity": i["quantity"]} for i in order.items]}


async def _own_order(r: AsyncSession, buyer_id: str, order_id: str) -> Order:
    order = await r.scalar(select(Order).where(Order.id == order_id,
                                               Order.buyer_id == buyer_id))
    if order is None:
        raise NotFound("order", order_id, code="order_not_found")
    return order


async def pay(stores: Stores, provider: PaymentProvider, actor: Actor, order_id: str,
              data: PayIn, return_url: str = "", *, key: bytes | None = None
              ) -> tuple[Order, Payment]:
    """Charge the order (idempotent per key: the same key with another card is
    ``idempotency_key_reused``, and nothing is charged)."""
    buyer_id, region = _buyer(actor)
    fp = fingerprint(_key(stores, key), "pay", data)
    async with stores.session(region) as r:
        order = await _own_order(r, buyer_id, order_id)
        prior = await r.scalar(select(Payment).where(
            Payment.order_id == order.id, Payment.idempotency_key == data.idempotency_key))
        if prior is not None:
            check_replay(prior.request_hash, fp)
            if prior.status == "succeeded" and order.status == OrderStatus.PENDING_PAYMENT:
                return await apply_result(stores, provider, region, prior.id,
                                          ChargeResult(ChargeStatus.SUCCEEDED,
                                                       prior.provider_ref))
            return order, prior
        if order.status != OrderStatus.PENDING_PAYMENT:
            raise Conflict(f"the order is {order.status}", code="order_not_payable")
    holds = await holds_of(stores, order)
    async with stores.session() as s:
        until = utcnow() + PAYING_HOLD
        alive = all([await drops.extend_hold(s, h, until) for h in holds])
        await s.commit()
    if not alive:
        await _move(stores, order, OrderStatus.CANCELLED, "system", "system",
                    "reservation expired before payment")
        await _release_holds(stores, holds)  # the order's other units go back on sale now
        raise Conflict("the reservation expired; the units went back on sale",
                       code="reservation_expired")
    digits = "".join(ch for ch in data.card_number if ch.isdigit())
    payment = Payment(id=new_id("pay"), region=region, order_id=order.id,
                      provider=provider.name, status="processing",
                      amount_minor=order.total_minor, currency=order.currency,
                      card_last4=digits[-4:], idempotency_key=data.idempotency_key,
                      request_hash=fp)
    async with stores.session(region) as r:
        r.add(payment)
        try:
            await r.commit()
        except IntegrityError:
            await r.rollback()
            prior = await r.scalar(select(Payment).where(
                Payment.order_id == order.id, Payment.idempotency_key == data.idempotency_key))
            if prior is None:
                raise
            check_replay(prior.request_hash, fp)
            return order, prior
    if not await _claim(stores, region, order.id):
        # Another charge of this order is at the bank right now (a second tab, a double
        # tap with a fresh key): this one is never sent, so nobody pays twice.
        await _set_payment(stores, payment, "failed", ChargeResult(
            ChargeStatus.FAILED, "", decline_code="payment_in_progress"))
        raise Conflict("another payment of this order is in progress; wait for its answer",
                       code="payment_in_progress")
    try:
        result = await provider.charge(payment.id, order.total_minor, order.currency,
                                       data.card_number, return_url)
        return await apply_result(stores, provider, region, payment.id, result)
    finally:
        await _unclaim(stores, region, order.id)


async def _claim(stores: Stores, region: str, order_id: str) -> bool:
    """The order's one charge slot, taken atomically: only while the order is unpaid and no
    other charge holds it (or that charge's node died and its claim lapsed)."""
    now = utcnow()
    async with stores.session(region) as r:
        taken = await r.execute(update(Order).where(
            Order.id == order_id, Order.status == OrderStatus.PENDING_PAYMENT,
            or_(Order.paying_until.is_(None), Order.paying_until < now),
        ).values(paying_until=now + PAY_CLAIM))
        await r.commit()
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


async def _unclaim(stores: Stores, region: str, order_id: str) -> None:
    async with stores.session(region) as r:
        await r.execute(update(Order).where(Order.id == order_id).values(paying_until=None))
        await r.commit()


async def apply_result(stores: Stores, provider: PaymentProvider, region: str,
                       payment_id: str, result: ChargeResult) -> tuple[Order, Payment]:
    """Bring our payment and order in line with what the provider says happened."""
    async with stores.session(region) as r:
        payment = await r.scalar(select(Payment).where(Payment.id == payment_id))
        if payment is None:
            raise NotFound("payment", payment_id, code="payment_not_found")
        order = await r.scalar(select(Order).where(Order.id == payment.order_id))
        assert order is not None
    if payment.status == "succeeded" and order.status == OrderStatus.PENDING_PAYMENT:
        # A crash between recording the charge and moving the order: finish the move.
        order = await _move(stores, order, OrderStatus.PAID, "system", "payment",
                            f"paid with {payment.provider} (completed after a restart)")
        return order, payment
    if payment.status in ("succeeded", "failed", "refunded"):
        return order, payment  # already final: a replayed callback changes nothing
    if result.status is ChargeStatus.REQUIRES_ACTION:
        await _set_payment(stores, payment, "requires_action", result)
    elif result.status is ChargeStatus.FAILED:
        await _set_payment(stores, payment, "failed", result)
    elif result.status is ChargeStatus.SUCCEEDED and order.status != OrderStatus.PENDING_PAYMENT:
        # The order was paid by another charge meanwhile (the buyer tried again after an
        # answer was lost, and both reached the bank), or it was cancelled: the money was
        # taken, so say so, and give back what the order does not keep.
        await _set_payment(stores, payment, "succeeded", result)
        await _refund_all(stores, provider, order,
                          keep=0 if order.status in _UNPAID_FOR else 1)
    elif result.status is ChargeStatus.SUCCEEDED:
        converted = await _convert_all(stores, order, await holds_of(stores, order))
        if converted:
            await _set_payment(stores, payment, "succeeded", result)
            order = await _move(stores, order, OrderStatus.PAID, "system", "payment",
                                f"paid with {payment.provider}")
        else:
            refund = await provider.refund(payment.id)
            await _set_payment(stores, payment, "refunded", refund)
            order = await _move(stores, order, OrderStatus.CANCELLED, "system", "system",
                                "reservation expired during payment; charge refunded")
            await _release_holds(stores, await holds_of(stores, order))
    async with stores.session(region) as r:
        fresh = await r.scalar(select(Payment).where(Payment.id == payment_id))
        assert fresh is not None
        return order, fresh


async def _convert_all(stores: Stores, order: Order, holds: list[str]) -> bool:
    """Every hold of the order sold to it, in one transaction — or none (a hold lapsed:
    the caller refunds). A hold already converted to this order counts (a replay)."""
    now = utcnow()
    async with stores.session() as s:
        for rid in holds:
            if await drops.convert(s, rid, order.id, now):
                continue
            res = await s.scalar(select(Reservation).where(Reservation.id == rid))
            if res is None or res.status != "converted" or res.order_id != order.id:
                await s.rollback()
                return False
        await s.commit()
    return True


async def _release_holds(stores: Stores, holds: list[str]) -> None:
    """Give back every hold of a cancelled, unpaid order that is still held."""
    async with stores.session() as s:
        for rid in holds:
            await drops.release(s, rid, utcnow())
        await s.commit()


async def _set_payment(stores: Stores, payment: Payment, status: str,
                       result: ChargeResult) -> None:
    async with stores.session(payment.region) as r:
        await r.execute(update(Payment).where(Payment.id == payment.id).values(
            status=status, provider_ref=result.provider_ref or payment.provider_ref,
            decline_code=result.decline_code, action_url=result.action_url,
            updated_at=utcnow()).execution_options(synchronize_session=False))
        await r.commit()


async def _move(stores: Stores, order: Order, to: OrderStatus, actor_id: str,
                actor_kind: str, reason: str, tracking: str | None = None) -> Order:
    """One transition: conditional on the status we read, recorded, announced."""
    states.check(order.status, to)
    async with stores.session(order.region) as r:
        values: dict[str, Any] = {"status": str(to), "updated_at": utcnow()}
        if tracking:
            values["tracking"] = tracking
        done = await r.execute(update(Order).where(
            Order.id == order.id, Order.status == order.status).values(**values)
            .execution_options(synchronize_session=False))
        if getattr(done, "rowcount", 0) != 1:
            await r.rollback()
            now = await r.scalar(select(Order.status).where(Order.id == order.id))
            raise states.InvalidTransition(str(now), str(to))
        if to is OrderStatus.PAID and order.channel is not None:  # analytics/touches.py
            # read after the write: the transaction already holds the write lock, so the
            # reads cannot make it lose to a concurrent writer (SQLite's lock upgrade)
            path = await touches.path_of(stores, r, order)
            if path is not None:
                await r.execute(update(Order).where(Order.id == order.id).values(
                    touchpoints=path).execution_options(synchronize_session=False))
        r.add(OrderEvent(region=order.region, order_id=order.id, from_status=order.status,
                         to_status=str(to), actor_id=actor_id, actor_kind=actor_kind,
                         reason=reason[:200]))
        fresh = await r.scalar(select(Order).where(Order.id == order.id))
        assert fresh is not None
        enqueue(r, fresh.org_id, f"order.{to}", order_event(fresh), region=order.region)
        await r.commit()
        return fresh


async def find_order(stores: Stores, org_id: str, order_id: str) -> Order:
    for region in stores.regions:
        async with stores.session(region) as r:
            order = await r.scalar(select(Order).where(Order.id == order_id,
                                                       Order.org_id == org_id))
            if order is not None:
                return order
    raise NotFound("order", order_id, code="order_not_found")


async def transition(stores: Stores, provider: PaymentProvider, actor: Actor, order_id: str,
                     data: TransitionIn) -> Order:
    """A staff member moves an order on; stock and money follow the move."""
    actor.require(Perm.SELLING)
    order = await find_order(stores, actor.org(), order_id)
    to = states.check(order.status, data.to)
    if to not in states.STAFF_MOVES:
        raise states.InvalidTransition(order.status, data.to)
    if to is OrderStatus.SHIPPED and not data.tracking:
        raise InvalidInput("a shipped order needs a tracking number", code="tracking_required")
    # The move comes first: it is conditional on the status read above, so of two staff
    # members moving the order at once only one wins, and money and stock follow only the
    # move that happened (refunding first could refund a parcel someone else just shipped).
    # A crash before the refund leaves a succeeded payment on a cancelled or refunded order;
    # ``reconcile`` refunds it.
    moved = await _move(stores, order, to, actor.subject_id, "staff", data.reason,
                        tracking=data.tracking)
    await _stock_follows(stores, order, to, actor.subject_id)
    if to is OrderStatus.CANCELLED and order.status == OrderStatus.PENDING_PAYMENT:
        await _release_holds(stores, await holds_of(stores, order))
    if to in (OrderStatus.CANCELLED, OrderStatus.REFUNDED) and order.status in (
            OrderStatus.PAID, OrderStatus.ALLOCATED, OrderStatus.DELIVERED,
            OrderStatus.RETURNED):
        await _refund_all(stores, provider, order)
    return moved


# Orders that keep no money: every succeeded payment of theirs is owed back.
_UNPAID_FOR = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)


async def _refund_all(stores: Stores, provider: PaymentProvider, order: Order,
                      keep: int = 0) -> int:
    """Refund every succeeded payment of the order but the first ``keep`` (an order is paid
    once: ``keep=1`` gives back a second charge); the number the provider confirmed. A
    refund the provider did not confirm leaves the payment succeeded, for ``reconcile`` to
    try again."""
    async with stores.session(order.region) as r:
        paid = list((await r.scalars(select(Payment).where(
            Payment.order_id == order.id, Payment.status == "succeeded")
            .order_by(Payment.id))).all())
    done = 0
    for p in paid[keep:]:
        result = await provider.refund(p.id)
        if result.status is ChargeStatus.REFUNDED:
            await _set_payment(stores, p, "refunded", result)
            done += 1
        else:
            log.warning("refund of payment %s not confirmed (%s %s); will retry", p.id,
                        result.status, result.decline_code)
    return done


async def _stock_follows(stores: Stores, order: Order, to: OrderStatus, actor_id: str) -> None:
    """Ledger entries for a move: shipping takes units out, cancelling before shipment
    returns them to available, a return puts them back on hand."""
    kind: EntryKind | None = None
    bucket = "reserved"
    was_reserved = order.status in (OrderStatus.PAID, OrderStatus.ALLOCATED)
    if to is OrderStatus.SHIPPED:
        kind = EntryKind.SHIP
    elif to in (OrderStatus.CANCELLED, OrderStatus.REFUNDED) and was_reserved:
        kind = EntryKind.RELEASE
    elif to is OrderStatus.RETURNED:
        kind = EntryKind.RETURN
    if kind is None:
        return
    async with stores.session() as s:
        for item in order.items:
            await stock.record(s, org_id=order.org_id, sku_id=item["sku_id"],
                               warehouse_id=order.warehouse_id, kind=kind,
                               quantity=int(item["quantity"]), actor_id=actor_id,
                               ref=order.id, from_bucket=bucket)
        await s.commit()


async def list_orders(stores: Stores, actor: Actor, status: str | None = None,
                      limit: int = 100) -> list[Order]:
    """Every region's orders of the actor's org, newest first (staff)."""
    actor.require(Perm.ORDERS_READ)
    out: list[Order] = []
    for region in stores.regions:
        async with stores.session(region) as r:
            q = select(Order).where(Order.org_id == actor.org())
            if status:
                q = q.where(Order.status == status)
            out += (await r.scalars(q.order_by(Order.created_at.desc()).limit(limit))).all()
    shown = sorted(out, key=lambda o: o.created_at, reverse=True)[:limit]
    await access.record(stores, actor, what="orders",
                        subjects=[(o.buyer_id, o.region) for o in shown],
                        markets={o.buyer_id: o.market for o in shown})
    return shown


async def my_orders(stores: Stores, actor: Actor) -> list[Order]:
    buyer_id, region = _buyer(actor)
    async with stores.session(region) as r:
        return list((await r.scalars(select(Order).where(Order.buyer_id == buyer_id)
                                     .order_by(Order.created_at.desc()).limit(50))).all())


async def order_detail(stores: Stores, order: Order) -> tuple[list[OrderEvent], list[Payment]]:
    async with stores.session(order.region) as r:
        events = list((await r.scalars(select(OrderEvent).where(
            OrderEvent.order_id == order.id).order_by(OrderEvent.id))).all())
        payments = list((await r.scalars(select(Payment).where(
            Payment.order_id == order.id).order_by(Payment.created_at))).all())
    return events, payments


async def staff_order(stores: Stores, actor: Actor, order_id: str) -> Order:
    actor.require(Perm.ORDERS_READ)
    order = await find_order(stores, actor.org(), order_id)
    await access.record(stores, actor, what="order", subjects=[(order.buyer_id, order.region)],
                        details={"order": order.id}, markets={order.buyer_id: order.market})
    return order


async def buyer_payment(stores: Stores, actor: Actor, payment_id: str
                        ) -> tuple[Payment, Order, str]:
    """One of the buyer's own payments, its order and the merchant's (the seller org's)
    name — what the bank's 3-D Secure page shows. Another buyer's payment answers as if it
    did not exist; a caller who is not a customer is refused (``customer_required``)."""
    buyer_id, region = _buyer(actor)
    async with stores.session(region) as r:
        row = (await r.execute(select(Payment, Order).join(
            Order, Order.id == Payment.order_id).where(
            Payment.id == payment_id, Order.buyer_id == buyer_id))).first()
    if row is None:
        raise NotFound("payment", payment_id, code="payment_not_found")
    payment, order = row
    async with stores.session() as s:
        merchant = await s.scalar(select(Org.name).where(Org.id == order.org_id))
    return payment, order, str(merchant or "")


async def buyer_order(stores: Stores, actor: Actor, order_id: str) -> Order:
    buyer_id, region = _buyer(actor)
    async with stores.session(region) as r:
        return await _own_order(r, buyer_id, order_id)


async def reconcile(stores: Stores, provider: PaymentProvider,
                    older_than: timedelta = timedelta(seconds=30),
                    now: datetime | None = None) -> int:
    """Finish payments a crash or a lost callback left open; the number settled."""
    now = now or utcnow()
    settled = 0
    for region in stores.regions:
        async with stores.session(region) as r:
            open_ = list((await r.scalars(select(Payment).where(
                Payment.status.in_(("processing", "requires_action")),
                Payment.provider == provider.name,
                Payment.updated_at <= now - older_than).limit(200))).all())
            stuck = list((await r.scalars(select(Payment).join(
                Order, Order.id == Payment.order_id).where(
                Payment.status == "succeeded", Order.status == OrderStatus.PENDING_PAYMENT)
                .limit(200))).all())
            # Money kept for an order that was cancelled or refunded (a crash or a failed
            # refund right after the move): refund it.
            owed = list((await r.scalars(select(Order).where(
                Order.status.in_(_UNPAID_FOR),
                Order.id.in_(select(Payment.order_id).where(
                    Payment.status == "succeeded", Payment.provider == provider.name)))
                .limit(200))).all())
            # An order paid twice (a retry after a lost answer; a refund of the second
            # charge that did not go through): the second charge is owed back.
            twice = list((await r.scalars(select(Order).where(
                Order.status.notin_((OrderStatus.PENDING_PAYMENT, *_UNPAID_FOR)),
                Order.id.in_(select(Payment.order_id).where(
                    Payment.status == "succeeded", Payment.provider == provider.name)
                    .group_by(Payment.order_id).having(func.count() > 1)))
                .limit(200))).all())
        for p in stuck:
            try:
                await apply_result(stores, provider, region, p.id,
                                   ChargeResult(ChargeStatus.SUCCEEDED, p.provider_ref))
                settled += 1
            except Exception:
                log.exception("could not complete paid order of payment %s", p.id)
        for o, keep in [(o, 0) for o in owed] + [(o, 1) for o in twice]:
            try:
                settled += await _refund_all(stores, provider, o, keep=keep)
            except Exception:
                log.exception("could not refund order %s", o.id)
        for p in open_:
            result = await provider.retrieve(p.id)
            if result is None:
                # The provider never saw it: the charge was never made.
                result = ChargeResult(ChargeStatus.FAILED, "", "not_submitted")
            if result.status is ChargeStatus.REQUIRES_ACTION:
                continue
            try:
                await apply_result(stores, provider, region, p.id, result)
                settled += 1
            except Exception:
                log.exception("could not reconcile payment %s", p.id)
    return settled
