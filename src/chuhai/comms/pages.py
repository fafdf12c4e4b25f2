"""The script check page: paste or upload a run-of-show script, see per market what to
change (with the rule, its source and a rewrite), and the presentation advice for each
market beside it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import UploadFile

from chuhai.accounts.models import Org
from chuhai.catalog.models import Product
from chuhai.comms import service
from chuhai.comms.culture import UnknownCulture
from chuhai.comms.culture import load as load_culture
from chuhai.comms.schemas import MemoryIn, TermIn
from chuhai.comms.script_check import MAX_SCRIPT_CHARS, ScriptTooLarge, check_script, summary
from chuhai.comms.service import LANGUAGES, Comms
from chuhai.core.actor import ActorKind, Perm
from chuhai.core.errors import DomainError
from chuhai.core.workers import offload
from chuhai.web.deps import Caller, UoW, optional_caller
from chuhai.web.pages import _csrf_ok, _form, _render, _to_login

router = APIRouter(include_in_schema=False)


async def _seller(uow: UoW, caller: Caller) -> str:
    home = await uow.global_.scalar(select(Org.home_country).where(
        Org.id == caller.actor.org()))
    return home or "CN"


def advice_for(seller: str, markets: list[str]) -> list[dict[str, Any]]:
    culture = load_culture()
    out = []
    for m in markets:
        try:
            out.append(culture.advise(seller, m))
        except UnknownCulture:
            continue
    return out


def _page(request: Request, comms: Comms, caller: Caller, status: int = 200,
          **ctx: Any) -> Response:
    ctx.setdefault("form", {"markets": ["US", "DE", "JP"], "lang": "", "text": ""})
    return _render(request, "script_check.html", status, caller=caller,
                   pack_markets=sorted(comms.screener.markets), languages=LANGUAGES,
                   max_chars=MAX_SCRIPT_CHARS, **ctx)


@router.get("/console/script-check")
async def script_check_page(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return _to_login(request)
    comms: Comms = request.app.state.comms
    seller = await _seller(uow, caller)
    return _page(request, comms, caller, report=None, seller=seller,
                 advice=advice_for(seller, ["US", "DE", "JP"]))


@router.post("/console/script-check")
async def script_check_run(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return _to_login(request)
    comms: Comms = request.app.state.comms
    form = await request.form()
    flat = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    markets = [m for m in form.getlist("markets") if isinstance(m, str)
               and m in comms.screener.markets][:30]
    text = flat.get("text", "")
    upload = form.get("file")
    seller = await _seller(uow, caller)
    lang = flat.get("lang") or None
    state = {"markets": markets, "lang": lang or "", "text": text[:MAX_SCRIPT_CHARS]}
    error = None
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_SCRIPT_CHARS * 4 + 1)
        try:
            text = raw.decode("utf-8-sig")
            state["text"] = text[:MAX_SCRIPT_CHARS]
        except UnicodeDecodeError:
            error = "The file is not UTF-8 text."
    if not _csrf_ok(caller, {"csrf_token": flat.get("csrf_token", "")}):
        error = "Your form expired; reload and try again."
    elif not markets:
        error = "Choose at least one market."
    elif not text.strip() and error is None:
        error = "Paste a script or choose a file."
    elif lang is not None and lang not in LANGUAGES:
        error = "Unknown language."
    report = None
    if error is None:
        try:
            report = await offload(check_script, comms.screener, text, markets, lang=lang)
        except ScriptTooLarge as exc:
            error = str(exc)
    return _page(request, comms, caller, 422 if error else 200, form=state, error=error,
                 report=report, totals=summary(report) if report is not None else None,
                 seller=seller, advice=advice_for(seller, markets))


@router.get("/console/glossary")
async def glossary_page(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return _to_login(request)
    return await _glossary(request, uow, caller)


async def _glossary(request: Request, uow: UoW, caller: Caller, status: int = 200,
                    error: str | None = None, form: dict[str, str] | None = None) -> Response:
    org = caller.actor.org()
    brands = (await uow.global_.scalars(select(Product.brand).where(
        Product.org_id == org, Product.brand != "").distinct())).all()
    return _render(request, "glossary.html", status, caller=caller,
                   terms=await service.list_terms(uow.global_, org),
                   memory=await service.list_memory(uow.global_, org, limit=200),
                   brands=sorted(brands), languages=LANGUAGES, error=error,
                   form=form or {}, can_write=caller.actor.can(Perm.CATALOG_WRITE))


@router.post("/console/glossary")
async def glossary_change(request: Request, uow: UoW) -> Response:
    """One form per action: add a term, delete a term, add a memory entry."""
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.STAFF:
        return _to_login(request)
    form = await _form(request)
    if not _csrf_ok(caller, form):
        return await _glossary(request, uow, caller, 403, "Your form expired; reload.", form)
    if not caller.actor.can(Perm.CATALOG_WRITE):
        return await _glossary(request, uow, caller, 403,
                               "Only catalog editors may change the glossary.", form)
    org = caller.actor.org()
    action = form.get("action")
    try:
        if action == "add_term":
            await service.add_term(uow.global_, org, TermIn.model_validate({
                "source": form.get("source", ""),
                "source_lang": form.get("source_lang") or None,
                "target_lang": form.get("target_lang") or None,
                "target": form.get("target") or None,
                "case_sensitive": form.get("case_sensitive") == "on"}))
        elif action == "delete_term":
            await service.delete_term(uow.global_, org, form.get("term_id", ""))
        elif action == "add_memory":
            await service.add_memory(uow.global_, org, MemoryIn.model_validate({
                "source_lang": form.get("source_lang", ""),
                "target_lang": form.get("target_lang", ""),
                "source": form.get("source", ""), "target": form.get("target", "")}))
        else:
            return await _glossary(request, uow, caller, 422, "Unknown action.", form)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        return await _glossary(request, uow, caller, 422, f"{where}: {first['msg']}", form)
    except DomainError as exc:
        return await _glossary(request, uow, caller, exc.status, exc.message, form)
    await uow.commit()
    request.app.state.comms.forget_org(org)
    return RedirectResponse("/console/glossary", status_code=303)
