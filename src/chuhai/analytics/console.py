"""The seller's analytics page in the console: where orders came from (a chart of orders and
GMV per channel group and week, from ``GET /api/analytics/channels``), the funnel, the trust
figures with the carriers' duty invoices, the attribution settings, and holdout experiments
with their lift. The page is a shell; the work runs in
``static/js/console-analytics.js`` against the analytics API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from chuhai.accounts.models import Org, StaffProfile
from chuhai.analytics.funnel import hosts_of
from chuhai.catalog.models import Product, Sku
from chuhai.live.models import Room
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
    hosts: list[tuple[str, str]] = []
    rooms: list[tuple[str, str]] = []
    skus: list[tuple[str, str]] = []
    org = await uow.global_.get(Org, caller.actor.org_id) if caller.actor.org_id else None
    if org is not None:
        ids = sorted(await hosts_of(request.app.state.stores, org.id))
        names = dict((await uow.region(org.home_region).execute(select(
            StaffProfile.id, StaffProfile.display_name).where(
            StaffProfile.id.in_(ids)))).all()) if ids else {}
        hosts = sorted(((h, names.get(h) or h) for h in ids), key=lambda x: x[1])
        rooms = [(rid, (titles or {}).get("en") or next(iter((titles or {}).values()), rid))
                 for rid, titles in (await uow.global_.execute(select(Room.id, Room.titles)
                                     .where(Room.org_id == org.id)
                                     .order_by(Room.scheduled_at.desc()).limit(50))).all()]
        skus = [(sid, f"{code} — {title}") for sid, code, title in (await uow.global_.execute(
            select(Sku.id, Sku.code, Product.title).join(Product, Product.id == Sku.product_id)
            .where(Sku.org_id == org.id).order_by(Sku.code).limit(500))).all()]
    return _render(request, "console_analytics.html", caller=caller, markets=markets,
                   hosts=hosts, rooms=rooms, skus=skus)
