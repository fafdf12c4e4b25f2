"""A search is an analytics event (search/api.py ``note_search``): its text is kept only in
the person's own regional events and only with analytics consent; without consent only an
anonymous per-day count grows, with no text anywhere; a result opened from a search is a
``search.click`` a page may send."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from chuhai.analytics.models import AnalyticsCount, AnalyticsEvent
from chuhai.core.db import Stores
from tests.analytics.test_api import consent, counted, guest, kept_rows, send
from tests.factories import create_product, make_tenant


async def all_queries(stores: Stores) -> list[str | None]:
    out: list[str | None] = []
    for region in stores.regions:
        async with stores.session(region) as s:
            out += list((await s.scalars(select(AnalyticsEvent.query))).all())
    return out


async def test_the_query_text_is_kept_only_with_analytics_consent(
        app_client: httpx.AsyncClient, stores: Stores, settings) -> None:
    tenant = await make_tenant(stores, settings)
    product = await create_product(app_client, tenant, code="LAMP", title="Lampe",
                                   listings=[{"market": "DE", "title": "Schreibtischlampe",
                                              "price": "49.00"}])
    gid = await guest(app_client)  # a DE guest: analytics is opt-in under the GDPR
    before = await counted(stores, "DE", "search")  # (other tests may share the database)
    resp = await app_client.get("/api/search", params={"q": "lampe qx7private", "market": "DE"})
    assert resp.status_code == 200
    assert await counted(stores, "DE", "search") == before + 1
    assert await kept_rows(stores, gid) == {}
    assert not any("qx7private" in (q or "") for q in await all_queries(stores))
    assert not hasattr(AnalyticsCount, "query")  # the anonymous count has no place for text

    await consent(app_client, {"analytics": True})
    await app_client.get("/api/search", params={"q": "schreibtisch lampe", "market": "DE"})
    kept = await kept_rows(stores, gid)
    assert [(e.type, e.query) for e in kept["eu"]] == [("search", "schreibtisch lampe")]

    click = await send(app_client, [{"type": "search.click", "product_id": product["id"]}])
    assert click.status_code == 200 and click.json()["mode"] == "full"
    assert await counted(stores, "DE", "search.click", product_id=product["id"]) == 1


async def test_an_empty_search_is_not_an_event_and_a_page_cannot_send_one(
        app_client: httpx.AsyncClient, stores: Stores) -> None:
    await guest(app_client)
    before = await counted(stores, "DE", "search")
    await app_client.get("/api/search", params={"q": "  ", "market": "DE"})
    assert await counted(stores, "DE", "search") == before
    forged = await send(app_client, [{"type": "search", "product_id": "prd_abcdefgh"}])
    assert forged.status_code == 422 and forged.json()["code"] == "bad_event_type"
