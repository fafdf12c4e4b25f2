"""Live pages: the operator's room list, the host console, the viewer page, the replay."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from chuhai.accounts.models import Customer, Org
from chuhai.analytics import trust_report
from chuhai.catalog.models import Product
from chuhai.core.actor import ActorKind, Perm
from chuhai.core.clock import utcnow
from chuhai.core.errors import DomainError
from chuhai.inventory import auctions, drops, stock
from chuhai.live import service
from chuhai.live.schemas import RoomIn
from chuhai.markets.profiles import get_profile
from chuhai.web import browser_policy, i18n, problem_text
from chuhai.web.deps import UoW, optional_caller
from chuhai.web.pages import _form, _render, _to_login, remember_language

router = APIRouter(include_in_schema=False)


async def _products(uow: UoW, org_id: str) -> list[Product]:
    return list((await uow.global_.scalars(select(Product).where(
        Product.org_id == org_id).order_by(Product.code))).all())


async def _seller(uow: UoW, org_id: str) -> str:
    """The seller's home country: whose presentation habits the advice starts from."""
    return await uow.global_.scalar(select(Org.home_country).where(Org.id == org_id)) or "CN"


@router.get("/console/rooms")
async def rooms_page(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return _to_login(request)
    rooms = await service.list_rooms(uow, caller.actor)
    start = (utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    return _render(request, "rooms.html", caller=caller, rooms=rooms, errors={},
                   seller=await _seller(uow, caller.actor.org()),
                   form={"scheduled_at": start, "markets": ["US", "DE", "JP"]},
                   products=await _products(uow, caller.actor.org()))


@router.post("/console/rooms")
async def create_room(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return _to_login(request)
    form = await request.form()
    flat = {k: str(v)[:500] for k, v in form.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    if not caller.csrf or not hmac.compare_digest(flat.get("csrf_token", "").encode(),
                                                  caller.csrf.encode()):
        errors["form"] = "Your form expired; reload and try again."
    titles = {lang: flat.get(f"title_{lang}", "").strip() for lang in ("en", "de", "ja", "zh")}
    slots = [{"product_id": pid[:40], "planned_minutes": flat.get(f"minutes_{pid[:40]}") or 5}
             for pid in form.getlist("products") if isinstance(pid, str)]
    data: dict[str, Any] = {
        "titles": {k: v for k, v in titles.items() if v},
        "markets": [m for m in form.getlist("markets") if isinstance(m, str)],
        "scheduled_at": flat.get("scheduled_at", "") + ":00+00:00",
        "playback_url": flat.get("playback_url") or None, "run_of_show": slots,
        "disclosure": flat.get("disclosure", "").strip() or None}
    if not errors:
        try:
            room = await service.create_room(uow, caller.actor, RoomIn.model_validate(data))
            return RedirectResponse(f"/console/rooms/{room.id}/host", status_code=303)
        except ValidationError as exc:
            for err in exc.errors():
                errors.setdefault(str(err["loc"][0]), str(err["msg"]).removeprefix(
                    "Value error, "))
        except DomainError as exc:
            errors["form"] = exc.message
    rooms = await service.list_rooms(uow, caller.actor)
    return _render(request, "rooms.html", 422, caller=caller, rooms=rooms, errors=errors,
                   seller=await _seller(uow, caller.actor.org()),
                   form={**flat, "markets": data["markets"]},
                   products=await _products(uow, caller.actor.org()))


@router.post("/console/rooms/{room_id}/{action}")
async def room_action(room_id: str, action: str, request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None:
        return _to_login(request)
    form = await _form(request)
    if action not in ("open", "end") or not caller.csrf or not hmac.compare_digest(
            form.get("csrf_token", "").encode(), caller.csrf.encode()):
        return _render(request, "error.html", 403, caller=caller,
                       message="Your form expired; reload and try again.")
    try:
        room = await request.app.state.live.change_status(
            uow, caller.actor, room_id[:40], "live" if action == "open" else "ended")
    except DomainError as exc:
        return _render(request, "error.html", exc.status, caller=caller, message=exc.message)
    return RedirectResponse(f"/console/rooms/{room.id}/host", status_code=303)


@router.get("/console/rooms/{room_id}/host")
async def host_page(room_id: str, request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return _to_login(request)
    try:
        room = await service.get_room(uow, caller.actor, room_id[:40])
    except DomainError as exc:
        return _render(request, "error.html", exc.status, caller=caller, message=exc.message)
    slots = await service.slots(uow, room.id)
    products = {p.id: p for p in await _products(uow, room.org_id)}
    lang = "en"
    room_drops = await drops.list_drops(uow, caller.actor, room.id)
    room_auctions = await auctions.list_auctions(uow, caller.actor, room.id)
    slot_products = {s.product_id for s in slots}
    skus = [k for p in products.values() for k in p.skus]
    room_skus = {k.id for p in products.values() if p.id in slot_products for k in p.skus}
    room_stock = [r for r in await stock.list_levels(uow, caller.actor) if r.sku_id in room_skus]
    return _render(request, "host.html", caller=caller, room=room, slots=slots,
                   disclosure_minutes=request.app.state.settings.disclosure_repeat_minutes,
                   products=products, lang=lang, room_drops=room_drops,
                   room_auctions=room_auctions, room_stock=room_stock, skus=skus,
                   warehouses=await stock.list_warehouses(uow, caller.actor),
                   can_sell=caller.actor.can(Perm.SELLING),
                   can_host=caller.actor.can(Perm.LIVE_HOST),
                   can_moderate=caller.actor.can(Perm.LIVE_MODERATE))


@router.get("/live/{room_id}")
async def viewer_page(room_id: str, request: Request, uow: UoW,
                      market: str | None = None) -> Response:
    """The viewer page, in the buyer's language (web/i18n.py: ``?lang=``, remembered, their
    setting, their browser's against the market's languages, the market's); the chat is
    translated into the same language."""
    caller = await optional_caller(request, uow)
    name, setting = None, None
    if caller is not None and caller.actor.kind is ActorKind.CUSTOMER and caller.actor.region:
        customer = await uow.region(caller.actor.region).get(Customer, caller.actor.subject_id)
        if customer is not None:
            name, setting = customer.display_name, customer.preferred_language
            market = market or customer.home_country
    try:
        room = await service.public_room(uow, room_id)
    except DomainError as exc:
        return _buyer_problem(request, exc, setting, market)
    if room.status == "ended":
        return RedirectResponse(f"/replay/{room.id}", status_code=303)
    market = (market or room.markets[0]).upper()[:2]
    profile = get_profile(market) or get_profile(room.markets[0])
    languages = profile.languages if profile else []
    lang = i18n.from_request(request, user=setting, market_languages=languages)
    trust = await trust_report.public(request.app.state.stores, room.org_id, utcnow().date())
    page = _render(request, "viewer.html", caller=caller, viewer_name=name, room=room,
                   trust=trust, buyer_page=True, lang=lang,
                   locale=i18n.locale_for(market, lang), market=market,
                   language_name=i18n.language_name(lang),
                   other_languages=i18n.alternatives(lang, languages),
                   title=_title(room.titles, lang, languages))
    remember_language(page, request, lang)
    # The playlist may be on a media server or CDN; pinned products' images are any https
    # address the catalog holds.
    return browser_policy.apply(page, request, media=[room.playback_url], images=["https:"])


def _title(titles: dict[str, str], lang: str, market_languages: list[str]) -> str:
    """The room's title in the page's language, else the market's, else English, else any."""
    for want in (lang, *(m.split("-")[0] for m in market_languages), "en"):
        if titles.get(want):
            return titles[want]
    return next(iter(titles.values()), "")


def _buyer_problem(request: Request, exc: DomainError, setting: str | None,
                   market: str | None) -> Response:
    """An unknown room, in the buyer's layout and language."""
    profile = get_profile(market.upper()[:2]) if market else None
    lang = i18n.from_request(request, user=setting,
                             market_languages=profile.languages if profile else ())
    return _render(request, "shop_error.html", exc.status, shop=None, market=None,
                   buyer_page=True, lang=lang,
                   message=problem_text.detail(exc.code, exc.message, lang, exc.extra))


@router.get("/replay/{room_id}")
async def replay_page(room_id: str, request: Request, uow: UoW) -> Response:
    try:
        room = await service.public_room(uow, room_id)
    except DomainError as exc:
        return _buyer_problem(request, exc, None, None)
    if room.status != "ended":
        return RedirectResponse(f"/live/{room.id}", status_code=303)
    profile = get_profile(room.markets[0])
    languages = profile.languages if profile else []
    lang = i18n.from_request(request, market_languages=languages)
    page = _render(request, "replay.html", caller=None, room=room, buyer_page=True, lang=lang,
                   locale=i18n.locale_for(room.markets[0], lang),
                   title=_title(room.titles, lang, languages),
                   started=(room.started_at or room.scheduled_at).isoformat(),
                   ended=isinstance(room.ended_at, datetime))
    remember_language(page, request, lang)
    return browser_policy.apply(page, request, media=[room.recording_url])
