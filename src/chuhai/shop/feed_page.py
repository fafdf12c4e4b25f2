"""``/feed``: the buyer's interest feed — phone-first, one item a screen, swipe for the next:
videos playing as they come into view, rooms live now (with how many watch) or soon, and
products with the delivered price (duties and taxes included). Every item says why it is
there; a switch at the top chooses the common, non-profiling feed at any time.

The page embeds its first page of items (what ``GET /api/feed`` answers) and reads on with
the cursor as the buyer scrolls; ``static/js/feed.js`` draws the items and sends the
engagement events (impressions, 3-second views, opens, cart adds)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chuhai.core.errors import DomainError
from chuhai.feed import api as feed_api
from chuhai.markets.profiles import default_profiles, get_profile
from chuhai.shop.pages import _ctx, _page, _problem_page, _who
from chuhai.web.deps import UoW, client_ip, limit

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 10


@router.get("/feed")
async def feed_page(request: Request, uow: UoW, market: str = "") -> Response:
    who = await _who(request, uow)
    code = (market[:2] or who.country or "").upper()
    profile = get_profile(code) if code and code != "CN" else None
    ctx = _ctx(request, who, profile.code if profile else None)
    if profile is None:
        return _page(request, "feed.html", items=None, feed=None, **ctx,
                     choices=sorted(m for m in default_profiles() if m != "CN"))
    await limit(request, f"feed:{client_ip(request)}", 120, 60)
    try:
        feed = await feed_api.answer(request, uow, profile.code, ctx["lang"], PAGE_SIZE)
    except DomainError as exc:
        return _problem_page(request, who, exc)
    return _page(request, "feed.html", feed=feed, choices=None, **ctx)
