"""The seller's video page in the console: upload (resumable, with a progress bar), watch
processing step by step, tag products, publish market by market. The page is a shell; the
work runs in ``static/js/console-videos.js`` against the video API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chuhai.catalog import service as catalog
from chuhai.markets.profiles import default_profiles
from chuhai.video import service
from chuhai.video.storage import storage_for
from chuhai.web.deps import UoW, optional_caller
from chuhai.web.pages import _render, _to_login

router = APIRouter(include_in_schema=False)


@router.get("/console/videos")
async def videos_page(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None:
        return _to_login(request)
    store = storage_for(request.app.state.settings)
    videos = [service.view(v, store) for v in await service.list_videos(uow.global_,
                                                                          caller.actor)]
    products, _ = await catalog.list_products(uow.global_, caller.actor, per_page=100)
    markets = sorted(m for m in default_profiles() if m != "CN")
    return _render(request, "console_videos.html", caller=caller, videos=videos,
                   products=[(p.id, p.code, p.title) for p in products], markets=markets,
                   product_codes={p.id: p.code for p in products})
