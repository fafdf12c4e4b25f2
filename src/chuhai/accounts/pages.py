"""The API tokens page: a staff member creates, names and revokes their API tokens.

A new token's secret is shown once, in the answer to the form that created it (never
stored, never in a URL, ``Cache-Control: no-store``); afterwards only its name, its first
characters and its dates are shown. Every change is a POST carrying the session's CSRF token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from chuhai.accounts.schemas import TokenCreate
from chuhai.core.actor import ActorKind, Perm
from chuhai.core.errors import DomainError
from chuhai.web.deps import Caller, UoW, accounts, optional_caller
from chuhai.web.pages import _csrf_ok, _form, _render, _to_login

router = APIRouter(include_in_schema=False)
PAGE = "/console/tokens"
EXPIRED = "Your form expired; reload the page and try again."


async def _staff(request: Request, uow: UoW) -> Caller | None:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return None
    return caller


async def _page(request: Request, uow: UoW, caller: Caller, status: int = 200,
                **ctx: Any) -> Response:
    if not caller.actor.can(Perm.TOKENS_OWN):
        return _render(request, "error.html", 403, caller=caller,
                       message="Your role may not hold API tokens.")
    tokens = await accounts(request, uow).list_tokens(caller.actor)
    ctx.setdefault("notice", {"revoked": "Token revoked."}.get(
        request.query_params.get("done", ""), ""))
    resp = _render(request, "tokens.html", status, caller=caller,
                   active=[t for t in tokens if t.revoked_at is None],
                   revoked=[t for t in tokens if t.revoked_at is not None],
                   base=str(request.base_url).rstrip("/"), **ctx)
    resp.headers["Cache-Control"] = "no-store"  # the page may carry a new secret
    return resp


@router.get(PAGE)
async def tokens_page(request: Request, uow: UoW) -> Response:
    caller = await _staff(request, uow)
    if caller is None:
        return _to_login(request)
    return await _page(request, uow, caller)


@router.post(PAGE)
async def create_token(request: Request, uow: UoW) -> Response:
    caller = await _staff(request, uow)
    if caller is None:
        return _to_login(request)
    form = await _form(request)
    if not _csrf_ok(caller, form):
        return await _page(request, uow, caller, 403, error=EXPIRED)
    name = " ".join(form.get("name", "").split())
    try:
        body = TokenCreate(name=name)
        tok, raw = await accounts(request, uow).create_token(caller.actor, body.name)
    except ValidationError:
        return await _page(request, uow, caller, 422, token_name=name[:100],
                           error="Give the token a name of 1 to 100 characters.")
    except DomainError as exc:
        return await _page(request, uow, caller, exc.status, error=exc.message)
    await uow.commit()
    return await _page(request, uow, caller, 201, created=tok, secret=raw)


@router.post(PAGE + "/{token_id}/revoke")
async def revoke_token(token_id: str, request: Request, uow: UoW) -> Response:
    caller = await _staff(request, uow)
    if caller is None:
        return _to_login(request)
    form = await _form(request)
    if not _csrf_ok(caller, form):
        return await _page(request, uow, caller, 403, error=EXPIRED)
    try:
        await accounts(request, uow).revoke_token(caller.actor, token_id[:40])
    except DomainError as exc:
        return await _page(request, uow, caller, exc.status, error=exc.message)
    await uow.commit()
    return RedirectResponse(PAGE + "?done=revoked", status_code=303)
