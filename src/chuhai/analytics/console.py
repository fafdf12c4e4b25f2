"""The seller's analytics page in the console: where orders came from (a chart of orders and
GMV per channel group and week, from ``GET /api/analytics/channels``), the attribution
settings, and holdout experiments with their lift. The page is a shell; the work runs in
``static/js/console-analytics.js`` against the analytics API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chuhai.markets.profiles import default_profiles
from chuhai.web.deps import UoW, optional_caller
from chuhai.web.pages import _render, _to_login

router = APIRouter(include_in_schema=False)


@router.get("/console/analytics")
async def analytics_page(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None:
        return _to_login(request)
    markets = sorted(m for m in default_profiles() if m != "CN")
    return _render(request, "console_analytics.html", caller=caller, markets=markets)
