"""Order pages: the console's orders list and detail (with transitions), its webhook
deliveries, and the buyer's own orders (where 3-D Secure returns to)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from chuhai.accounts.models import Customer
from chuhai.checkout import addresses, service
from chuhai.checkout.schemas import TransitionIn
from chuhai.checkout.states import STAFF_MOVES, TRANSITIONS, OrderStatus
from chuhai.core.actor import ActorKind, Perm
from chuhai.core.db import Stores
from chuhai.core.errors import DomainError
from chuhai.inventory.schemas import amount_text
from chuhai.shop import views as shop_views
from chuhai.web import i18n
from chuhai.web.deps import Caller, UoW, optional_caller
from chuhai.web.pages import _form, _render, _to_login
from chuhai.webhooks import service as webhooks

router = APIRouter(include_in_schema=False)


def money(minor: int, currency: str) -> str:
    return f"{amount_text(minor, currency)} {currency}"


@router.get("/console/orders")
async def orders_page(request: Request, uow: UoW, status: str = "") -> Response:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return _to_login(request)
    try:
        orders = await service.list_orders(request.app.state.stores, caller.actor,
                                           status[:16] or None)
    except DomainError as exc:
        return _render(request, "error.html", exc.status, caller=caller, message=exc.message)
    return _render(request, "orders.html", caller=caller, orders=orders, current=status[:16],
                   money=money)


@router.get("/console/orders/{order_id}")
async def order_page(order_id: str, request: Request, uow: UoW, error: str = "") -> Response:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return _to_login(request)
    stores = request.app.state.stores
    try:
        order = await service.staff_order(stores, caller.actor, order_id[:40])
    except DomainError as exc:
        return _render(request, "error.html", exc.status, caller=caller, message=exc.message)
    events, payments = await service.order_detail(stores, order)
    moves = sorted(m for m in TRANSITIONS[OrderStatus(order.status)] if m in STAFF_MOVES)
    return _render(request, "order.html", caller=caller, order=order, events=events,
                   payments=payments, money=money, error=error[:200],
                   moves=moves if caller.actor.can(Perm.SELLING) else [],
                   show_address=caller.actor.can(Perm.SELLING))


@router.post("/console/orders/{order_id}/move")
async def order_move(order_id: str, request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return _to_login(request)
    form = await _form(request)
    if not caller.csrf or not hmac.compare_digest(form.get("csrf_token", "").encode(),
                                                  caller.csrf.encode()):
        return _render(request, "error.html", 403, caller=caller,
                       message="Your form expired; reload and try again.")
    target = f"/console/orders/{order_id[:40]}"
    try:
        body = TransitionIn.model_validate({"to": form.get("to", ""),
                                            "tracking": form.get("tracking") or None,
                                            "reason": form.get("reason", "")})
        await service.transition(request.app.state.stores, request.app.state.payments,
                                 caller.actor, order_id[:40], body)
    except DomainError as exc:
        return RedirectResponse(f"{target}?error={exc.message}", status_code=303)
    except ValueError:
        return RedirectResponse(f"{target}?error=unknown+status", status_code=303)
    return RedirectResponse(target, status_code=303)


@router.get("/console/webhooks")
async def webhooks_page(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return _to_login(request)
    try:
        endpoints = await webhooks.list_endpoints(uow, caller.actor)
        deliveries = await webhooks.list_deliveries(uow, caller.actor)
    except DomainError as exc:
        return _render(request, "error.html", exc.status, caller=caller, message=exc.message)
    return _render(request, "webhooks.html", caller=caller, endpoints=endpoints,
                   deliveries=deliveries)


async def _buyer_language(request: Request, caller: Caller | None) -> str:
    """The order pages' language: ``?lang=``, the remembered choice, the buyer's setting,
    their browser's languages, English."""
    user = None
    if caller is not None and caller.actor.kind is ActorKind.CUSTOMER:
        stores: Stores = request.app.state.stores
        async with stores.session(caller.actor.region or "") as r:
            user = await r.scalar(select(Customer.preferred_language).where(
                Customer.id == caller.actor.subject_id))
    return i18n.from_request(request, user=user)


def _signed_out(request: Request, lang: str) -> Response:
    i18n.activate(lang)
    return _render(request, "shop_error.html", 401, shop=None, market=None, buyer_page=True,
                   lang=lang, message=i18n.gettext(
                       "Sign in on a shop or live page to see your orders."))


@router.get("/orders")
async def my_orders_page(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    lang = await _buyer_language(request, caller)
    if caller is None or caller.actor.kind is not ActorKind.CUSTOMER:
        return _signed_out(request, lang)
    orders = await service.my_orders(request.app.state.stores, caller.actor)
    shown = [shop_views.order(o, i18n.locale_for(o.market, lang)) for o in orders]
    return _render(request, "my_orders.html", caller=None, orders=shown, shop=None,
                   market=None, signed_in=True, buyer_page=True, lang=lang)


@router.get("/orders/{order_id}")
async def my_order_page(order_id: str, request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    lang = await _buyer_language(request, caller)
    if caller is None or caller.actor.kind is not ActorKind.CUSTOMER:
        return _signed_out(request, lang)
    try:
        order = await service.buyer_order(request.app.state.stores, caller.actor,
                                          order_id[:40])
    except DomainError as exc:
        return _render(request, "shop_error.html", exc.status, shop=None, market=None,
                       message=exc.message, buyer_page=True, lang=lang)
    address = addresses.lines(addresses.Address(
        order.ship_name, order.ship_street, order.ship_city, order.ship_region,
        order.ship_postal_code, order.ship_country, order.ship_phone))
    locale = i18n.locale_for(order.market, lang)
    return _render(request, "my_order.html", caller=None, shop=None, market=None,
                   signed_in=True, buyer_page=True, lang=lang, locale=locale,
                   order=shop_views.order(order, locale), address=address,
                   phone=order.ship_phone)
