"""A cart becomes one order: one consignment, one payment, one line per SKU with its hold.

The basket is re-quoted as a whole (``shop.pricing.basket``) — the number the cart showed,
with its reasons — and every line's hold must still be held: a lapsed one is
``hold_expired`` naming the SKUs, so the buyer holds them again *before* paying, never a
charge that fails after. Payment goes through the same flow as a drop's order
(``checkout.service.pay``), which converts every hold of the order in one transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from chuhai.analytics import touches
from chuhai.checkout import addresses
from chuhai.checkout.models import Order, OrderLine
from chuhai.checkout.schemas import CartCheckoutIn
from chuhai.checkout.service import _buyer, _key, place_order, ship_columns
from chuhai.checkout.states import OrderStatus
from chuhai.core.actor import Actor
from chuhai.core.db import Stores
from chuhai.core.errors import InvalidInput
from chuhai.core.idempotency import check_replay, fingerprint
from chuhai.core.ids import new_id
from chuhai.shop import cart
from chuhai.shop.cart import refuse as _refuse
from chuhai.shop.catalog import Shop
from chuhai.shop.models import Cart, CartLine

INCLUDED_NOTE = "Duties and taxes included"


async def checkout_cart(stores: Stores, actor: Actor, shop: Shop, data: CartCheckoutIn, *,
                        key: bytes | None = None) -> Order:
    """The buyer's cart with ``shop`` as an order awaiting payment (idempotent per key)."""
    buyer_id, region = _buyer(actor)
    fp = fingerprint(_key(stores, key), "cart_checkout", data)
    async with stores.session(region) as r:
        found = await r.scalar(select(Order).where(
            Order.buyer_id == buyer_id, Order.idempotency_key == data.idempotency_key))
    if found is not None:
        check_replay(found.request_hash, fp)
        return found
    market = await cart.buyer_country(stores, actor) or data.ship_to.country
    view = await cart.view(stores, actor, shop, market, stores.settings.data_dir)
    if not view.lines or view.price is None:
        raise _refuse("your cart with this shop is empty", "cart_empty")
    if data.ship_to.country != view.market:
        raise InvalidInput(f"this cart ships to {view.market} only",
                           code="ship_to_outside_market")
    lapsed = [ln.line.sku_id for ln in view.lines if not ln.held]
    if lapsed:
        raise _refuse("the hold on some items lapsed; hold them again before paying",
                      "hold_expired", sku_ids=lapsed)
    price = view.price.total
    if price.restricted:
        raise _refuse("an item of this cart cannot be sold into " + view.market,
                      "restricted_goods")
    if view.delivery is None:
        raise _refuse("the warehouse no longer serves this market", "no_fulfilment_route")
    addr = addresses.normalize(data.ship_to.model_dump())
    holds = [ln.line.reservation_id for ln in view.lines if ln.line.reservation_id]
    note = INCLUDED_NOTE if price.quoted else (
        f"Duties and taxes could not be calculated ({price.reason}); they may be due on "
        "delivery")
    order = Order(
        id=new_id("ord"), region=region, org_id=shop.org_id, buyer_id=buyer_id,
        reservation_id=holds[0], source="cart", room_id=None, market=view.market,
        currency=price.currency, status=OrderStatus.PENDING_PAYMENT,
        items=[{"sku_id": ln.line.sku_id, "sku_code": ln.sku_code, "title": ln.title,
                "quantity": ln.line.quantity, "unit_price_minor": ln.line.price_minor,
                "product_id": ln.product_id} for ln in view.lines],
        subtotal_minor=price.goods_minor, shipping_minor=price.delivery_minor,
        duty_minor=price.duty_minor, tax_minor=price.tax_minor, fees_minor=price.fees_minor,
        total_minor=price.total_minor, duties_note=note[:200],
        landed={"charges": list(price.charges), "rules": list(price.rules),
                "reasons": list(view.price.reasons),
                "sum_of_items": view.price.sum_of_lines_minor},
        warehouse_id=view.lines[0].line.warehouse_id,
        delivery_min_days=view.delivery.min_days, delivery_max_days=view.delivery.max_days,
        **ship_columns(addr), idempotency_key=data.idempotency_key, request_hash=fp)
    lines = []
    for i, ln in enumerate(view.lines):
        assert ln.line.reservation_id is not None
        lines.append(OrderLine(region=region, order_id=order.id, position=i,
                               sku_id=ln.line.sku_id, quantity=ln.line.quantity,
                               unit_price_minor=ln.line.price_minor,
                               reservation_id=ln.line.reservation_id))

    def replay(same_key: Order) -> Order:
        check_replay(same_key.request_hash, fp)
        return same_key

    placed = await place_order(stores, order, lines, replay, touches.stored_touch(view.touch))
    if placed.id != order.id:
        return placed  # another call made this order; its cart lines went with it
    # The holds now belong to the order: the cart lets go of its lines (not of the holds).
    async with stores.session() as s:
        await s.execute(delete(CartLine).where(CartLine.reservation_id.in_(holds))
                        .execution_options(synchronize_session=False))
        # the next order starts from nothing — unless a line was added meanwhile (another
        # tab): then the touch is that line's
        await s.execute(update(Cart).where(
            Cart.org_id == shop.org_id, Cart.buyer_id == buyer_id,
            ~select(CartLine.id).where(CartLine.cart_id == Cart.id).exists()
        ).values(touch=None).execution_options(synchronize_session=False))
        await s.commit()
    return order
