"""Routes: quote, checkout, pay, the buyer's orders, staff order views and transitions, and
the test provider's 3-D Secure page."""

from __future__ import annotations

import html

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chuhai.checkout import service
from chuhai.checkout.models import Order, Payment
from chuhai.checkout.payments import PaymentProvider, TestProvider
from chuhai.checkout.schemas import (
    CheckoutIn,
    OrderEventOut,
    OrderOut,
    PayIn,
    PaymentOut,
    QuoteOut,
    TransitionIn,
)
from chuhai.core.actor import Perm
from chuhai.core.errors import NotFound
from chuhai.inventory.schemas import amount_text
from chuhai.web.deps import CurrentActor, limit

router = APIRouter(prefix="/api", tags=["orders"])
pages = APIRouter(include_in_schema=False)


def _provider(request: Request) -> PaymentProvider:
    return request.app.state.payments  # type: ignore[no-any-return]


def payment_out(p: Payment) -> PaymentOut:
    return PaymentOut(id=p.id, status=p.status, provider=p.provider,
                      amount=amount_text(p.amount_minor, p.currency), currency=p.currency,
                      decline_code=p.decline_code, action_url=p.action_url)


async def order_out(request: Request, order: Order, *, detail: bool = False,
                    with_address: bool = False) -> OrderOut:
    out = OrderOut(
        id=order.id, status=order.status, source=order.source, market=order.market,
        currency=order.currency,
        items=[{**i, "unit_price": amount_text(int(i["unit_price_minor"]), order.currency)}
               for i in order.items],
        subtotal=amount_text(order.subtotal_minor, order.currency),
        shipping=amount_text(order.shipping_minor, order.currency),
        duty=amount_text(order.duty_minor, order.currency),
        tax=amount_text(order.tax_minor, order.currency),
        fees=amount_text(order.fees_minor, order.currency),
        total=amount_text(order.total_minor, order.currency), duties=order.duties_note,
        delivery_min_days=order.delivery_min_days, delivery_max_days=order.delivery_max_days,
        reservation_id=order.reservation_id, room_id=order.room_id, tracking=order.tracking,
        created_at=order.created_at)
    if with_address:
        out.ship_to = {"name": order.ship_name, "street": order.ship_street,
                       "city": order.ship_city, "postal_code": order.ship_postal_code,
                       "country": order.ship_country}
    if detail:
        events, payments = await service.order_detail(request.app.state.stores, order)
        out.events = [OrderEventOut(from_status=e.from_status, to_status=e.to_status,
                                    actor_kind=e.actor_kind, reason=e.reason, at=e.at)
                      for e in events]
        out.payments = [payment_out(p) for p in payments]
    return out


@router.get("/reservations/{reservation_id}/quote", response_model=QuoteOut)
async def quote(reservation_id: str, request: Request, actor: CurrentActor) -> QuoteOut:
    """Price, shipping and the delivery estimate of the chosen route — before paying."""
    q = await service.quote(request.app.state.stores, actor, reservation_id[:40])
    cur = q.reservation.currency
    return QuoteOut(
        reservation_id=q.reservation.id, market=q.reservation.market, currency=cur,
        items=[{**i, "unit_price": amount_text(int(i["unit_price_minor"]), cur)}
               for i in q.items],
        subtotal=amount_text(q.subtotal_minor, cur), shipping=amount_text(q.shipping_minor, cur),
        duty=amount_text(q.duty_minor, cur), tax=amount_text(q.tax_minor, cur),
        fees=amount_text(q.fees_minor, cur), total=amount_text(q.total_minor, cur),
        duties=q.duties_note, landed=q.landed,
        delivery_min_days=q.min_days, delivery_max_days=q.max_days, warehouse=q.warehouse_code,
        expires_at=q.reservation.expires_at)


@router.post("/checkout", response_model=OrderOut, status_code=201)
async def checkout(body: CheckoutIn, request: Request, actor: CurrentActor) -> OrderOut:
    """Reservation → order awaiting payment. The same key returns the same order."""
    await limit(request, f"checkout:{actor.subject_id}", 30, 60)
    order = await service.checkout(request.app.state.stores, actor, body)
    return await order_out(request, order, detail=True, with_address=True)


@router.post("/orders/{order_id}/pay", response_model=OrderOut)
async def pay(order_id: str, body: PayIn, request: Request, actor: CurrentActor) -> OrderOut:
    """Charge the order. A 3-D Secure card answers with a payment whose ``action_url`` the
    buyer must visit; a declined card leaves the order payable with another card."""
    await limit(request, f"pay:{actor.subject_id}", 20, 60)
    order, _payment = await service.pay(request.app.state.stores, _provider(request), actor,
                                        order_id[:40], body,
                                        return_url=f"/orders/{order_id[:40]}")
    return await order_out(request, order, detail=True, with_address=True)


@router.get("/me/orders", response_model=list[OrderOut])
async def my_orders(request: Request, actor: CurrentActor) -> list[OrderOut]:
    return [await order_out(request, o)
            for o in await service.my_orders(request.app.state.stores, actor)]


@router.get("/me/orders/{order_id}", response_model=OrderOut)
async def my_order(order_id: str, request: Request, actor: CurrentActor) -> OrderOut:
    order = await service.buyer_order(request.app.state.stores, actor, order_id[:40])
    return await order_out(request, order, detail=True, with_address=True)


@router.get("/orders", response_model=list[OrderOut])
async def list_orders(request: Request, actor: CurrentActor, status: str | None = None
                      ) -> list[OrderOut]:
    """Every region's orders of your organisation, newest first (no addresses in lists)."""
    rows = await service.list_orders(request.app.state.stores, actor,
                                     status[:16] if status else None)
    return [await order_out(request, o) for o in rows]


@router.get("/orders/{order_id}", response_model=OrderOut)
async def get_order(order_id: str, request: Request, actor: CurrentActor) -> OrderOut:
    order = await service.staff_order(request.app.state.stores, actor, order_id[:40])
    return await order_out(request, order, detail=True,
                           with_address=actor.can(Perm.SELLING))


@router.post("/orders/{order_id}/transitions", response_model=OrderOut)
async def move_order(order_id: str, body: TransitionIn, request: Request,
                     actor: CurrentActor) -> OrderOut:
    """Allocate, ship (with tracking), deliver, cancel, refund or book a return."""
    order = await service.transition(request.app.state.stores, _provider(request), actor,
                                     order_id[:40], body)
    return await order_out(request, order, detail=True)


@pages.get("/pay/3ds/{payment_id}")
async def three_ds_page(payment_id: str, request: Request) -> Response:
    """The test bank's authentication page (what a real bank shows during 3-D Secure)."""
    if not isinstance(_provider(request), TestProvider):
        raise NotFound("page", "3ds", code="not_found")
    pid = html.escape(payment_id[:40])
    return HTMLResponse(
        "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport "
        "content='width=device-width'><title>Test bank · 3-D Secure</title>"
        "<link rel=stylesheet href=/static/app.css><main class=narrow><h1>Test bank</h1>"
        f"<p>Approve the payment <code>{pid}</code>?</p>"
        f"<form method=post action='/pay/3ds/{pid}'>"
        "<button name=answer value=approve id=approve>Approve</button> "
        "<button name=answer value=decline class=secondary id=decline>Decline</button>"
        "</form></main></html>")


@pages.post("/pay/3ds/{payment_id}")
async def three_ds_answer(payment_id: str, request: Request, answer: str = Form("")
                          ) -> Response:
    provider = _provider(request)
    if not isinstance(provider, TestProvider):
        raise NotFound("page", "3ds", code="not_found")
    result = await provider.authenticate(payment_id[:40], answer == "approve")
    stores = request.app.state.stores
    for region in stores.regions:
        async with stores.session(region) as r:
            found = await r.get(Payment, payment_id[:40])
        if found is not None:
            order, _ = await service.apply_result(stores, provider, region, found.id, result)
            return RedirectResponse(f"/orders/{order.id}", status_code=303)
    raise NotFound("payment", payment_id[:40], code="payment_not_found")


@router.post("/payments/stripe", status_code=204, tags=["payments"], responses={
    403: {"description": "The Stripe-Signature header does not verify "
                         "(`bad_webhook_signature`)"},
    404: {"description": "Stripe is not configured on this node (`stripe_not_configured`)"}})
async def stripe_webhook(request: Request) -> Response:
    """Stripe's webhook: signature checked, then the payment brought in line with it."""
    from chuhai.checkout.stripe_provider import verify_webhook, webhook_outcome

    secret = request.app.state.settings.stripe_webhook_secret
    if not secret:
        raise NotFound("endpoint", "stripe webhook", code="stripe_not_configured")
    event = verify_webhook(await request.body(), request.headers.get("stripe-signature", ""),
                           secret)
    outcome = webhook_outcome(event)
    if outcome is None:
        return Response(status_code=204)
    payment_id, result = outcome
    stores = request.app.state.stores
    for region in stores.regions:
        async with stores.session(region) as r:
            found = await r.get(Payment, payment_id[:40])
        if found is not None:
            await service.apply_result(stores, _provider(request), region, found.id, result)
            break
    return Response(status_code=204)
