"""The script check page: paste or upload a run-of-show script, see per market what to
change (with the rule, its source and a rewrite), and the presentation advice for each
market beside it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from chuhai.accounts.models import Org
from chuhai.comms.culture import UnknownCulture
from chuhai.comms.culture import load as load_culture
from chuhai.comms.script_check import MAX_SCRIPT_CHARS, ScriptTooLarge, check_script, summary
from chuhai.comms.service import LANGUAGES, Comms
from chuhai.core.actor import ActorKind
from chuhai.web.deps import Caller, UoW, optional_caller
from chuhai.web.pages import _csrf_ok, _render, _to_login

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
            report = check_script(comms.screener, text, markets, lang=lang)
        except ScriptTooLarge as exc:
            error = str(exc)
    return _page(request, comms, caller, 422 if error else 200, form=state, error=error,
                 report=report, totals=summary(report) if report is not None else None,
                 seller=seller, advice=advice_for(seller, markets))
