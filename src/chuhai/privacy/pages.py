"""Privacy pages: the buyer's privacy settings (in their language) and the privacy
officer's console — requests with deadlines, consent statistics, the transfer register,
the audit log with its verification, the records of processing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from chuhai.core.actor import ActorKind, Perm
from chuhai.core.clock import utcnow
from chuhai.core.errors import DomainError
from chuhai.privacy import audit, consent, records, requests, stats, transfers
from chuhai.privacy.notice import texts
from chuhai.web.deps import Caller, UoW, optional_caller
from chuhai.web.pages import _csrf_ok, _form, _render, _to_login
from chuhai.web.people import identify

router = APIRouter(include_in_schema=False)
SECTIONS = ("requests", "consent", "transfers", "audit", "records")


@router.get("/privacy")
async def privacy_settings(request: Request, uow: UoW, market: str | None = None,
                           lang: str | None = None) -> Response:
    try:
        person = await identify(request, uow, market or "US")
    except DomainError as exc:
        return _render(request, "error.html", exc.status, caller=None, message=exc.message)
    used, words = texts(lang or person.language)
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
    return _render(request, "privacy_settings.html", lang=used, t=words, state=state,
                   ask_age=consent.age_to_ask(state), gpc=gpc,
                   customer=person.kind == "customer", requests=mine, csrf=person.csrf)



async def _officer(request: Request, uow: UoW) -> Caller | None:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return None
    return caller


@router.get("/console/privacy")
async def office_home() -> Response:
    return RedirectResponse("/console/privacy/requests", status_code=303)


@router.get("/console/privacy/{section}")
async def office_page(section: str, request: Request, uow: UoW) -> Response:
    caller = await _officer(request, uow)
    if caller is None:
        return _to_login(request)
    if section not in SECTIONS:
        return _render(request, "error.html", 404, caller=caller, message="No such page.")
    if not caller.actor.can(Perm.PRIVACY_MANAGE):
        return _render(request, "error.html", 403, caller=caller,
                       message="Privacy pages are for privacy officers and owners.")
    ctx: dict[str, Any] = {"section": section, "sections": SECTIONS, "caller": caller,
                           "error": request.query_params.get("error", "")[:300]}
    if section == "requests":
        ctx["items"] = [i.as_dict() for i in await requests.queue(uow.global_,
                                                                  include_done=True)]
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
        from urllib.parse import quote

        return RedirectResponse(f"{back}?error={quote(exc.message)}", status_code=303)
    return RedirectResponse(back, status_code=303)
