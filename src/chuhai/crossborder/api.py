"""``POST /api/quotes``: the landed cost of a basket (public: it reads only published rules)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from chuhai.core.errors import InvalidInput
from chuhai.crossborder import service
from chuhai.crossborder.schemas import QuoteIn, QuoteOut

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
