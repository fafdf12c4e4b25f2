"""Privacy pages: the buyer's privacy settings (in their language) and the privacy
officer's console — requests with deadlines, consent statistics, the transfer register,
the audit log with its verification, the records of processing."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from chuhai.core.actor import ActorKind, Perm
from chuhai.core.clock import utcnow
from chuhai.core.errors import DomainError, InvalidInput
from chuhai.markets.profiles import get_profile
from chuhai.privacy import audit, consent, forwarding, records, requests, stats, transfers
from chuhai.privacy.notice import texts
from chuhai.web import i18n, problem_text
from chuhai.web.deps import Caller, UoW, limit, optional_caller
from chuhai.web.pages import _csrf_ok, _form, _render, _to_login, remember_language
from chuhai.web.people import identify

router = APIRouter(include_in_schema=False)
SECTIONS = ("requests", "consent", "transfers", "audit", "records")


@router.get("/privacy")
async def privacy_settings(request: Request, uow: UoW, market: str | None = None) -> Response:
    """The buyer's privacy choices and requests. The page speaks the buyer's language
    (web/i18n.py); the notice's own words are the reviewed ones in
    rules/privacy/notice_text.toml, versioned with the policy (docs/decisions/0011)."""
    try:
        person = await identify(request, uow, market or "US")
    except DomainError as exc:
        lang = i18n.from_request(request)
        return _render(request, "shop_error.html", exc.status, shop=None, market=None,
                       buyer_page=True, lang=lang,
                       message=problem_text.detail(exc.code, exc.message, lang, exc.extra))
    profile = get_profile(person.market) if person.market else None
    used = i18n.from_request(request,
                             user=person.language if person.kind == "customer" else None,
                             market_languages=profile.languages if profile else ())
    _notice_lang, words = texts(used)
    gpc = consent.gpc_signal(request.headers)
    version = request.app.state.settings.privacy_policy_version
    mine: list[dict[str, Any]] = []
    if person.subject_id and person.region:
        state = await consent.state(uow, subject_id=person.subject_id, region=person.region,
                                    country=person.country, gpc=gpc, policy_version=version)
        if person.kind == "customer":
            mine = [requests.classify(r, utcnow()).as_dict()
                    for r in await requests.for_subject(uow.global_, person.subject_id)]
        await uow.commit()
    else:  # a first visit: show the market's defaults; the first save issues a guest id
        state = consent.defaults(person.country, gpc=gpc, policy_version=version)
    page = _render(request, "privacy_settings.html", buyer_page=True, lang=used,
                   locale=i18n.locale_for(person.market or "US", used), t=words, state=state,
                   ask_age=consent.age_to_ask(state), gpc=gpc,
                   customer=person.kind == "customer", requests=mine, csrf=person.csrf)
    remember_language(page, request, used)
    return page



async def _officer(request: Request, uow: UoW) -> Caller | None:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return None
    return caller


@router.get("/console/privacy")
async def office_home(request: Request, uow: UoW) -> Response:
    caller = await _officer(request, uow)
    if caller is not None and not caller.actor.can(Perm.PRIVACY_MANAGE):
        return RedirectResponse("/console/privacy/forward", status_code=303)
    return RedirectResponse("/console/privacy/requests", status_code=303)


@router.get("/console/privacy/forward")
async def forward_page(request: Request, uow: UoW) -> Response:
    """A seller's staff forward a buyer's request to the platform and follow it."""
    caller = await _officer(request, uow)
    if caller is None:
        return _to_login(request)
    if caller.actor.on_platform:  # the platform receives forwards; it does not send them
        return RedirectResponse("/console/privacy/requests", status_code=303)
    q = request.query_params
    return _render(request, "privacy_forward.html", caller=caller,
                   forwards=[f.as_dict() for f in await forwarding.forwarded_by(uow, caller.actor)],
                   kinds=forwarding.FORWARDABLE, channels=forwarding.CHANNELS,
                   error=q.get("error", "")[:300], sent=q.get("sent", "")[:40])


@router.post("/console/privacy/forward")
async def forward_submit(request: Request, uow: UoW) -> Response:
    caller = await _officer(request, uow)
    if caller is None:
        return _to_login(request)
    form = await _form(request)
    back = "/console/privacy/forward"
    if not _csrf_ok(caller, form):
        return RedirectResponse(f"{back}?error=Your+form+expired%3B+try+again.", status_code=303)
    try:
        await limit(request, f"privacy:forward:{caller.actor.org()}", 30, 3600)
        text = " ".join(form.get("text", "").replace("\x00", "").split())[:2000]
        if not text:
            raise InvalidInput("say what the buyer asked", code="bad_text")
        req = await forwarding.forward(uow, caller.actor, key=request.app.state.signing_key,
                                       buyer=form.get("buyer", "")[:254],
                                       kind=form.get("kind", ""), text=text,
                                       received_via=form.get("received_via", ""))
        await uow.commit()
    except DomainError as exc:
        return RedirectResponse(f"{back}?error={quote(exc.message)}", status_code=303)
    return RedirectResponse(f"{back}?sent={req.id}", status_code=303)


@router.get("/console/privacy/{section}")
async def office_page(section: str, request: Request, uow: UoW) -> Response:
    caller = await _officer(request, uow)
    if caller is None:
        return _to_login(request)
    if section not in SECTIONS:
        return _render(request, "error.html", 404, caller=caller, message="No such page.")
    if not caller.actor.can(Perm.PRIVACY_MANAGE):
        return _render(request, "error.html", 403, caller=caller,
                       message="The privacy office is run by the platform's privacy officers. "
                       "To pass on a buyer's request, use Privacy → Forward a request.")
    ctx: dict[str, Any] = {"section": section, "sections": SECTIONS, "caller": caller,
                           "error": request.query_params.get("error", "")[:300]}
    if section == "requests":
        ctx["items"] = []
        for queued in await requests.queue(uow.global_, include_done=True):
            item, req = queued.as_dict(), queued.request
            if req.channel == forwarding.CHANNEL and req.status in requests.OPEN:
                msg = await forwarding.message(uow, req)  # the buyer's words, for verifying
                item["message"] = msg.text if msg else None
                item["received_via"] = msg.received_via if msg else None
            ctx["items"].append(item)
    elif section == "consent":
        ctx["rows"] = stats.rates(await stats.consent_stats(request.app.state.stores))
    elif section == "transfers":
        ctx["flows"] = [r.as_dict() for r in await transfers.register(uow.global_)]
        ctx["mechanisms"] = transfers.catalogue()
    elif section == "audit":
        entries, head = await audit.read_chain(uow.global_)
        ctx["verification"] = audit.verify(entries, head).as_dict()
        ctx["entries"] = list(reversed(entries[-200:]))
    else:
        ctx["records"] = records.rows()
        ctx["activities"] = records.activities(ctx["records"])
        ctx["controller"] = records.controller()
    return _render(request, "privacy_office.html", **ctx)


@router.post("/console/privacy/requests/{request_id}/{action}")
async def office_action(request_id: str, action: str, request: Request, uow: UoW) -> Response:
    caller = await _officer(request, uow)
    if caller is None:
        return _to_login(request)
    form = await _form(request)
    back = "/console/privacy/requests"
    if not _csrf_ok(caller, form) or not caller.actor.can(Perm.PRIVACY_MANAGE):
        return RedirectResponse(f"{back}?error=Not+allowed", status_code=303)
    actor = caller.actor
    try:
        if action == "verify":
            await requests.verify(uow, request_id, actor, form.get("method", ""))
        elif action == "extend":
            await requests.extend(uow, request_id, actor, form.get("reason", ""))
        elif action == "reject":
            await requests.reject(uow, request_id, actor, form.get("reason", ""))
        elif action == "complete":
            await uow.commit()
            app = request.app.state
            await requests.complete(app.stores, request_id, actor, key=app.signing_key,
                                    redis=app.redis)
        else:
            return RedirectResponse(f"{back}?error=Unknown+action", status_code=303)
        await uow.commit()
    except DomainError as exc:
        return RedirectResponse(f"{back}?error={quote(exc.message)}", status_code=303)
    return RedirectResponse(back, status_code=303)
