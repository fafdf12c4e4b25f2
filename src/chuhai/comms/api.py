"""Communication routes for staff: screen a line or a script, translate, localization
advice, and the org's glossary and translation memory."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response

from chuhai.comms import service
from chuhai.comms.culture import UnknownCulture
from chuhai.comms.culture import load as load_culture
from chuhai.comms.detect import detect
from chuhai.comms.models import GlossaryTerm
from chuhai.comms.schemas import (
    AdviceOut,
    MemoryIn,
    MemoryOut,
    ScreenIn,
    ScreenOut,
    ScriptIn,
    ScriptReportOut,
    TermIn,
    TermOut,
    TranslateIn,
    TranslationOut,
)
from chuhai.comms.screening.engine import Screener, strongest
from chuhai.comms.script_check import ScriptTooLarge, check_script, summary
from chuhai.comms.translator import ProviderError, TranslationUnavailable
from chuhai.core.actor import Perm
from chuhai.core.errors import Conflict, InvalidInput, NotFound
from chuhai.core.workers import offload
from chuhai.web.deps import CurrentActor, UoW, limit

router = APIRouter(prefix="/api", tags=["communication"])


def _comms(request: Request) -> service.Comms:
    comms: service.Comms = request.app.state.comms
    return comms


def _check_markets(comms: service.Comms, markets: list[str]) -> list[str]:
    wanted = [m.upper() for m in dict.fromkeys(markets)]
    unknown = [m for m in wanted if m not in comms.screener.markets]
    if unknown:
        raise InvalidInput(f"no screening pack for {', '.join(unknown)}",
                           code="market_unknown")
    return wanted


@router.post("/screen", response_model=ScreenOut)
async def screen(body: ScreenIn, request: Request, uow: UoW,
                 actor: CurrentActor) -> dict[str, Any]:
    """One line against each market: ``action`` is the strongest over the markets; each
    market's verdict lists findings with rule ids, sources and rewrites."""
    actor.require(Perm.CATALOG_READ)
    comms = _comms(request)
    markets = _check_markets(comms, body.markets)
    lang = body.lang or (await offload(detect, body.text, "en")).lang
    prices = {}
    if body.product_id:
        for m in markets:
            history = await service.price_history(uow.global_, body.product_id, m)
            if history is not None:
                prices[m] = history
    verdicts = await offload(lambda: [
        comms.screener.screen(body.text, lang, m, body.side, regions=markets,
                              prices=prices.get(m), meaning=comms.settings.screening_meaning)
        for m in markets])
    return {"action": strongest(v.action for v in verdicts), "lang": lang,
            "markets": {v.market: v.as_dict() for v in verdicts}}


@router.post("/screen/script", response_model=ScriptReportOut)
async def screen_script(body: ScriptIn, request: Request,
                        actor: CurrentActor) -> Response:
    """A run-of-show script line by line, per market, with rewrites."""
    # The report is encoded in the worker and answered as is: ``response_model`` only
    # documents it (FastAPI neither validates nor re-encodes a returned Response).
    actor.require(Perm.CATALOG_READ)
    comms = _comms(request)
    markets = _check_markets(comms, body.markets)
    try:
        report = await offload(_script_report, comms.screener, body.text, markets,
                               body.lang, body.side)
    except ScriptTooLarge as exc:
        raise InvalidInput(str(exc), code="script_too_large") from exc
    return Response(report, media_type="application/json")


def _script_report(screener: Screener, text: str, markets: list[str], lang: str | None,
                   side: str) -> bytes:
    """Check and encode in the worker: a long script's report runs to tens of megabytes
    of JSON, and encoding it on the loop held every other request for as long."""
    reports = check_script(screener, text, markets, lang=lang, side=side)
    return orjson.dumps({"summary": summary(reports), "lines": [r.as_dict() for r in reports]})


@router.post("/translate", response_model=TranslationOut)
async def translate(body: TranslateIn, request: Request, uow: UoW,
                    actor: CurrentActor) -> dict[str, Any]:
    """Through the org's glossary and memory, then the machine translators in order."""
    actor.require(Perm.CATALOG_READ)
    await limit(request, f"translate:{actor.subject_id}", 120, 60)
    comms = _comms(request)
    org = await comms.org_data(uow.global_, actor.org())
    source = body.source or detect(body.text, "en").lang
    try:
        tr = await comms.chain.translate(body.text, source, body.to, org.glossary, org.memory)
    except TranslationUnavailable as exc:
        raise Conflict("no translator could translate this line",
                       code="translation_unavailable") from exc
    except ProviderError as exc:
        raise InvalidInput(str(exc), code=exc.code) from exc
    return tr.as_dict()


@router.get("/culture/advice", response_model=AdviceOut, responses={
    404: {"description": "No Hofstede scores for a country (`culture_unknown`)"}})
async def advice(
    seller: Annotated[str, Query(min_length=2, max_length=2)],
    market: Annotated[str, Query(min_length=2, max_length=2)],
    actor: CurrentActor,
) -> dict[str, Any]:
    """Presentation advice for a seller culture presenting to a market (Hofstede)."""
    actor.require(Perm.CATALOG_READ)
    try:
        return load_culture().advise(seller, market)
    except UnknownCulture as exc:
        raise NotFound("Hofstede scores for", exc.code, code="culture_unknown") from exc


def _term_out(t: GlossaryTerm) -> dict[str, Any]:
    return {"id": t.id, "source": t.source, "source_lang": t.source_lang,
            "target_lang": t.target_lang, "target": t.target,
            "case_sensitive": t.case_sensitive,
            "kind": "do_not_translate" if t.target is None else "enforced"}


@router.get("/glossary", response_model=list[TermOut])
async def list_terms(uow: UoW, actor: CurrentActor) -> list[dict[str, Any]]:
    actor.require(Perm.CATALOG_READ)
    return [_term_out(t) for t in await service.list_terms(uow.global_, actor.org())]


@router.post("/glossary", status_code=201, response_model=TermOut)
async def add_term(body: TermIn, request: Request, uow: UoW,
                   actor: CurrentActor) -> dict[str, Any]:
    """A term with ``target`` is an enforced translation into ``target_lang`` (required);
    without, the term is never translated (brand and product names)."""
    actor.require(Perm.CATALOG_WRITE)
    term = await service.add_term(uow.global_, actor.org(), body)
    await uow.commit()
    _comms(request).forget_org(actor.org())
    return _term_out(term)


@router.delete("/glossary/{term_id}", status_code=204)
async def delete_term(term_id: str, request: Request, uow: UoW,
                      actor: CurrentActor) -> Response:
    actor.require(Perm.CATALOG_WRITE)
    await service.delete_term(uow.global_, actor.org(), term_id)
    await uow.commit()
    _comms(request).forget_org(actor.org())
    return Response(status_code=204)


@router.get("/translation-memory", response_model=list[MemoryOut])
async def list_memory(uow: UoW, actor: CurrentActor) -> list[dict[str, Any]]:
    actor.require(Perm.CATALOG_READ)
    return [{"id": e.id, "source_lang": e.source_lang, "target_lang": e.target_lang,
             "source": e.source, "target": e.target}
            for e in await service.list_memory(uow.global_, actor.org())]


@router.post("/translation-memory", status_code=201, response_model=MemoryOut)
async def add_memory(body: MemoryIn, request: Request, uow: UoW,
                     actor: CurrentActor) -> dict[str, Any]:
    """A reviewed translation; later lines that match it (exactly, or closely with the
    same numbers) reuse it instead of a machine translation."""
    actor.require(Perm.CATALOG_WRITE)
    entry = await service.add_memory(uow.global_, actor.org(), body)
    await uow.commit()
    _comms(request).forget_org(actor.org())
    return {"id": entry.id, **body.model_dump()}
