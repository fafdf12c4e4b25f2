"""``POST /api/quotes``: the landed cost of a basket (public: it reads only published rules)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from chuhai.core.clock import utcnow
from chuhai.core.errors import InvalidInput
from chuhai.core.money import MoneyError, parse_amount
from chuhai.crossborder import service
from chuhai.crossborder.fx import ECB_SOURCE, FxError
from chuhai.crossborder.loader import rulebook
from chuhai.crossborder.pricing import Charm, convert_price
from chuhai.crossborder.schemas import ConvertedOut, FxRatesOut, QuoteIn, QuoteOut

router = APIRouter(prefix="/api", tags=["cross-border"])
MAX_BODY = 256 * 1024

_EXAMPLE: dict[str, Any] = {
    "destination": "DE", "date": "2026-11-24", "currency": "EUR", "channel": "own_site",
    "incoterm": "DDP", "registrations": ["EU_IOSS"],
    "shipping": {"amount": "5.00", "currency": "EUR"},
    "items": [{"hs_code": "851822", "origin": "CN", "unit_value": "40.00", "currency": "EUR",
               "quantity": 1, "weight_kg": "0.4"}]}


@router.post("/quotes", response_model=QuoteOut, openapi_extra={"requestBody": {
    "required": True, "content": {"application/json": {
        "schema": QuoteIn.model_json_schema(ref_template="#/components/schemas/{model}"),
        "example": _EXAMPLE}}}})
async def create_quote(request: Request) -> Response:
    """Duty, tax and fees for a basket under the rules in force on its date.

    Errors: 422 ``invalid_basket`` (with the fields), 422 ``duty_rate_unknown`` /
    ``hs_code_ambiguous`` / ``restricted_goods`` / ``fx_rate_unknown`` / ``market_unknown`` …
    """
    body = await request.body()
    if len(body) > MAX_BODY:
        raise InvalidInput(f"the basket is larger than {MAX_BODY // 1024} KiB",
                           code="body_too_large")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInput("the body is not JSON", code="invalid_json") from None
    out = service.quote_json(data, request.app.state.settings.data_dir)
    return Response(orjson.dumps(out), media_type="application/json")


@router.get("/fx/convert", response_model=ConvertedOut)
async def convert(
    request: Request,
    amount: Annotated[str, Query(max_length=40, pattern=r"^\d+(\.\d+)?$")],
    source: Annotated[str, Query(alias="from", min_length=3, max_length=3)],
    target: Annotated[str, Query(alias="to", min_length=3, max_length=3)],
    on: Annotated[date | None, Query(alias="date")] = None,
    charm: Annotated[Charm, Query()] = "none",
    locale: Annotated[str, Query(max_length=20, pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")] = "en_US",
) -> dict[str, Any]:
    """A price in another currency at the ECB reference rate of the day, charmed, displayed."""
    day = on or utcnow().date()
    try:
        value = parse_amount(amount, source.upper())
        fx = rulebook(request.app.state.settings.data_dir).fx
        out = convert_price(fx, value, source.upper(), target.upper(), day, locale, charm)
    except (MoneyError, ValueError) as exc:
        code = getattr(exc, "code", "invalid_input")
        raise InvalidInput(str(exc), code=code) from None
    return {"amount": str(out.amount), "currency": out.currency, "display": out.display,
            "rate_date": out.rate_date.isoformat() if out.rate_date else None,
            "source": ECB_SOURCE}


@router.get("/fx/rates", response_model=FxRatesOut)
async def rates(request: Request,
                on: Annotated[date | None, Query(alias="date")] = None) -> dict[str, Any]:
    """Units per EUR of every known currency on a day (the latest publication before it)."""
    day = on or utcnow().date()
    fx = rulebook(request.app.state.settings.data_dir).fx
    out: dict[str, Any] = {}
    for cur in sorted(fx.currencies() - {"EUR"}):
        try:
            used = fx.per_eur(cur, day)
        except FxError:
            continue
        out[cur] = {"per_eur": str(used.per_eur), "date": used.on.isoformat()}
    return {"base": "EUR", "date": day.isoformat(), "rates": out, "source": ECB_SOURCE}
