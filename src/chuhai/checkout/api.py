"""Routes: quote, checkout, pay, the buyer's orders, staff order views and transitions, and
the test provider's 3-D Secure page."""

from __future__ import annotations

from typing import Any

from babel import Locale, UnknownLocaleError
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from chuhai.accounts.models import Customer
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
from chuhai.core.actor import ActorKind, Perm
from chuhai.core.errors import DomainError, NotFound
from chuhai.core.money import format_minor
from chuhai.inventory.schemas import amount_text
from chuhai.web import i18n, problem_text
from chuhai.web.deps import Caller, CurrentActor, UoW, limit, optional_caller
from chuhai.web.pages import _csrf_ok, _form, _render

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
        reservation_id=order.reservation_id, room_id=order.room_id, channel=order.channel,
        tracking=order.tracking, created_at=order.created_at)
    if with_address:
        out.ship_to = {"name": order.ship_name, "street": order.ship_street,
                       "city": order.ship_city, "region": order.ship_region,
                       "postal_code": order.ship_postal_code,
                       "country": order.ship_country, "phone": order.ship_phone}
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


# A key sent again with another body: FastAPI's own 422 words would hide this answer.
KEY_REUSED: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid input (`errors` names each field), or "
                         "`idempotency_key_reused`: the key was sent before with another "
                         "body (nothing changed)"}}


@router.post("/checkout", response_model=OrderOut, status_code=201, responses=KEY_REUSED)
async def checkout(body: CheckoutIn, request: Request, actor: CurrentActor) -> OrderOut:
    """Reservation → order awaiting payment. The same key with the same body returns the
    same order; with another body (another address) it is 422 ``idempotency_key_reused``."""
    await limit(request, f"checkout:{actor.subject_id}", 30, 60)
    order = await service.checkout(request.app.state.stores, actor, body,
                                   key=request.app.state.signing_key)
    return await order_out(request, order, detail=True, with_address=True)


@router.post("/orders/{order_id}/pay", response_model=OrderOut, responses=KEY_REUSED)
async def pay(order_id: str, body: PayIn, request: Request, actor: CurrentActor) -> OrderOut:
    """Charge the order. A 3-D Secure card answers with a payment whose ``action_url`` the
    buyer must visit; a declined card leaves the order payable with another card. The same
    key with another card is 422 ``idempotency_key_reused`` (nothing is charged)."""
    await limit(request, f"pay:{actor.subject_id}", 20, 60)
    order, _payment = await service.pay(request.app.state.stores, _provider(request), actor,
                                        order_id[:40], body,
                                        return_url=f"/orders/{order_id[:40]}",
                                        key=request.app.state.signing_key)
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


def _display_locale(language: str, country: str) -> str:
    """The buyer's locale for money: their language in their country (de_AT), else their
    language alone, else en_US."""
    for tag in (f"{language.replace('-', '_')}_{country}", language.replace("-", "_")):
        try:
            return str(Locale.parse(tag))
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return "en_US"


async def _bank_page_context(request: Request, uow: UoW, payment_id: str
                             ) -> tuple[Caller, Payment, Order, str] | Response:
    """The signed-in buyer and their payment, or the page that refuses: the test bank's
    page is bound to the buyer's session, so a visitor who only knows the payment id can
    neither see it nor answer it."""
    if not isinstance(_provider(request), TestProvider):
        raise NotFound("page", "3ds", code="not_found")
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.CUSTOMER:
        return _bank_problem(request, None, 403, i18n.N_(
            "Sign in as the buyer of this order to confirm its payment."))
    try:
        payment, order, merchant = await service.buyer_payment(
            request.app.state.stores, caller.actor, payment_id[:40])
    except DomainError as exc:
        return _bank_problem(request, caller, exc.status, exc.message, exc)
    return caller, payment, order, merchant


def _bank_problem(request: Request, caller: Caller | None, status: int, message: str,
                  exc: DomainError | None = None) -> Response:
    """The bank page's refusal, in the buyer's language and layout."""
    lang = i18n.from_request(request)
    text = (problem_text.detail(exc.code, exc.message, lang, exc.extra) if exc is not None
            else i18n.translations(lang).gettext(message))
    return _render(request, "shop_error.html", status, shop=None, market=None,
                   buyer_page=True, lang=lang, message=text)


@pages.get("/pay/3ds/{payment_id}")
async def three_ds_page(payment_id: str, request: Request, uow: UoW) -> Response:
    """The test bank's authentication page (what a real bank shows during 3-D Secure): who
    is asking for how much, in the buyer's locale, and approve or decline."""
    found = await _bank_page_context(request, uow, payment_id)
    if isinstance(found, Response):
        return found
    caller, payment, order, merchant = found
    assert caller.actor.region is not None  # a customer's session always has one
    customer = await uow.region(caller.actor.region).get(Customer, caller.actor.subject_id)
    lang = i18n.from_request(request, user=customer.preferred_language if customer else None)
    locale = _display_locale(lang, customer.home_country if customer else "US")
    return _render(request, "three_ds.html", payment=payment, order=order, merchant=merchant,
                   amount=format_minor(payment.amount_minor, payment.currency, locale),
                   buyer_page=True, lang=lang, locale=locale, csrf=caller.csrf or "")


@pages.post("/pay/3ds/{payment_id}")
async def three_ds_answer(payment_id: str, request: Request, uow: UoW) -> Response:
    """The buyer's answer: only from their own session, with its CSRF token (a page on
    another site cannot approve a charge in their name)."""
    found = await _bank_page_context(request, uow, payment_id)
    if isinstance(found, Response):
        return found
    caller, payment, _order, _merchant = found
    form = await _form(request)
    if not _csrf_ok(caller, form):
        return _bank_problem(request, caller, 403, i18n.N_(
            "Your form expired; reload the bank's page and try again."))
    provider = _provider(request)
    assert isinstance(provider, TestProvider)
    result = await provider.authenticate(payment.id, form.get("answer") == "approve")
    order, _ = await service.apply_result(request.app.state.stores, provider, payment.region,
                                          payment.id, result)
    return RedirectResponse(f"/orders/{order.id}", status_code=303)


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
