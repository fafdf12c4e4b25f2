"""Randomized holdouts through the API: the platform holds a share of buyers out of the
feed, a seller out of its own items, or anyone out of personalization; each buyer's group
is recorded once, when first active, and never changes; a stopped experiment never runs
again; the lift report compares the groups' paid orders."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from chuhai.analytics.experiments import HOLDOUT, group_of
from chuhai.analytics.models import Experiment, ExperimentAssignment
from chuhai.core.actor import Role
from chuhai.core.db import Stores
from tests.analytics.test_orders_attributed import add, checkout_and_pay
from tests.factories import Buyer, make_buyer, make_platform_staff, make_shop
from tests.shop.test_cart_api import slug_of


async def start(client: httpx.AsyncClient, headers: dict[str, str], **body: Any
                ) -> httpx.Response:
    return await client.post("/api/experiments", headers=headers,
                             json={"name": "Does the feed sell?", **body})


async def salt(stores: Stores, exp_id: str) -> tuple[str, int]:
    async with stores.session() as s:
        exp = await s.get(Experiment, exp_id)
    assert exp is not None
    return exp.salt, exp.share_bp


async def one_of_each(stores: Stores, settings: Any, exp_id: str) -> tuple[Buyer, Buyer]:
    """A DE buyer drawn into the holdout and one exposed (by the experiment's own draw)."""
    s, bp = await salt(stores, exp_id)
    got: dict[bool, Buyer] = {}
    while len(got) < 2:
        b = await make_buyer(stores, settings, "DE")
        got.setdefault(group_of(s, b.actor.subject_id, bp) == HOLDOUT, b)
    return got[True], got[False]


async def feed(client: httpx.AsyncClient, buyer: Buyer) -> dict[str, Any]:
    resp = await client.get("/api/feed", params={"market": "DE"}, headers=buyer.headers)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def assignments(stores: Stores, exp_id: str) -> dict[str, str]:
    async with stores.session("eu") as r:
        return dict((await r.execute(select(ExperimentAssignment.subject_id,
                                            ExperimentAssignment.group).where(
            ExperimentAssignment.experiment_id == exp_id))).all())


async def test_the_platforms_interest_holdout_gives_held_out_buyers_no_feed(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    platform = await make_platform_staff(stores, settings, Role.OWNER)
    started = await start(app_client, platform.headers, share=0.5)
    assert started.status_code == 201, started.text
    exp = started.json()
    assert exp["kind"] == "interest" and exp["scope"] == "platform" and exp["share"] == 0.5
    held, exposed = await one_of_each(stores, settings, exp["id"])

    theirs = await feed(app_client, held)
    assert theirs["held_out"] and theirs["items"] == [] and theirs["next"] is None
    mine = await feed(app_client, exposed)
    assert not mine["held_out"] and shop.product_id in {i["id"] for i in mine["items"]}

    # recorded once each, in their home region, and never again
    await feed(app_client, held)
    await app_client.get(f"/shop/{await slug_of(stores, shop.tenant.org_id)}?market=DE",
                         headers=held.headers)
    assert await assignments(stores, exp["id"]) == {held.actor.subject_id: "holdout",
                                                    exposed.actor.subject_id: "exposed"}
    async with stores.session("eu") as r:
        assert await r.scalar(select(func.count()).select_from(ExperimentAssignment)) == 2

    # stopped: everyone has the feed again; it never restarts (the draw is never redone)
    stopped = await app_client.patch(f"/api/experiments/{exp['id']}",
                                     headers=platform.headers, json={"status": "stopped"})
    assert stopped.json()["status"] == "stopped" and stopped.json()["stopped_at"]
    assert not (await feed(app_client, held))["held_out"]
    again = await app_client.patch(f"/api/experiments/{exp['id']}", headers=platform.headers,
                                   json={"status": "running"})
    assert (again.status_code, again.json()["code"]) == (409, "experiment_stopped")


async def test_a_sellers_holdout_hides_only_its_own_items(stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    other = await make_shop(stores, settings, app_client)
    exp = (await start(app_client, shop.tenant.headers, share="0.5")).json()
    assert exp["scope"] == "seller"
    held, exposed = await one_of_each(stores, settings, exp["id"])
    body = await feed(app_client, held)
    theirs = {i["id"] for i in body["items"]}
    assert shop.product_id not in theirs and other.product_id in theirs
    assert not body["held_out"]  # other sellers' items remain: an ordinary feed
    mine = {i["id"] for i in (await feed(app_client, exposed))["items"]}
    assert {shop.product_id, other.product_id} <= mine


async def test_a_personalization_holdout_gives_the_common_feed(stores, settings, app_client):
    await make_shop(stores, settings, app_client)
    platform = await make_platform_staff(stores, settings, Role.OWNER)
    exp = (await start(app_client, platform.headers, kind="personalization",
                       share=0.5)).json()
    held, exposed = await one_of_each(stores, settings, exp["id"])
    assert (await feed(app_client, held))["mode"] == "popular"
    assert (await feed(app_client, exposed))["mode"] == "for_you"


async def test_bad_experiments_are_refused_with_codes(stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    h = shop.tenant.headers
    for body, code in (({"share": 0.6}, "bad_share"), ({"share": 0}, "bad_share"),
                       ({"share": "half"}, "bad_share"), ({"kind": "pricing"}, None),
                       ({"name": ""}, None)):
        bad = await start(app_client, h, **body)
        assert bad.status_code == 422, (body, bad.text)
        if code:
            assert bad.json()["code"] == code
    first = await start(app_client, h)
    assert first.status_code == 201 and first.json()["share"] == 0.1  # the default 10 %
    second = await start(app_client, h)
    assert (second.status_code, second.json()["code"]) == (409, "experiment_running")
    other = await make_shop(stores, settings, app_client)
    hidden = await app_client.get(f"/api/experiments/{first.json()['id']}/lift",
                                  headers=other.tenant.headers)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "experiment_not_found")
    buyer = await make_buyer(stores, settings, "DE")
    assert (await start(app_client, buyer.headers)).status_code == 403
    # a personalization holdout changes every seller's feed: the platform's alone
    theirs = await start(app_client, other.tenant.headers, kind="personalization")
    assert (theirs.status_code, theirs.json()["code"]) == (403, "platform_only")


async def test_two_running_experiments_of_a_kind_cannot_coexist_even_when_starts_race(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    first = (await start(app_client, shop.tenant.headers)).json()
    async with stores.session() as s:  # what a concurrent start would insert
        s.add(Experiment(id="exp_racer0001", org_id=shop.tenant.org_id, name="race",
                         kind="interest", share_bp=1000, salt="x", status="running",
                         created_by="t"))
        with pytest.raises(IntegrityError):
            await s.commit()
        await s.rollback()
    await app_client.patch(f"/api/experiments/{first['id']}", headers=shop.tenant.headers,
                           json={"status": "stopped"})
    again = await start(app_client, shop.tenant.headers)  # a stopped one does not block
    assert again.status_code == 201, again.text


async def test_a_guest_seen_in_two_regions_is_one_buyer_in_the_report(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    slug = await slug_of(stores, shop.tenant.org_id)
    exp = (await start(app_client, shop.tenant.headers, share=0.5)).json()
    gid = (await app_client.post("/api/guest")).json()["guest_id"]
    await app_client.get(f"/shop/{slug}?market=DE")  # eu
    await app_client.get(f"/shop/{slug}?market=US")  # us
    app_client.cookies.clear()
    regions = []
    for region in ("eu", "us"):
        async with stores.session(region) as r:
            if await r.scalar(select(ExperimentAssignment.id).where(
                    ExperimentAssignment.subject_id == gid)) is not None:
                regions.append(region)
    assert regions == ["eu", "us"]
    lift = (await app_client.get(f"/api/experiments/{exp['id']}/lift",
                                 headers=shop.tenant.headers)).json()
    assert sum(lift["assigned"].values()) == 1


async def test_the_lift_report_compares_the_groups_paid_orders(stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    slug = await slug_of(stores, shop.tenant.org_id)
    exp = (await start(app_client, shop.tenant.headers, share=0.5)).json()
    early = (await app_client.get(f"/api/experiments/{exp['id']}/lift",
                                  headers=shop.tenant.headers)).json()
    assert early["report"] is None and early["reason"]["code"] == "lift_empty_group"
    s, bp = await salt(stores, exp["id"])
    bought = {True: 0, False: 0}
    for i in range(8):
        b = await make_buyer(stores, settings, "DE")
        await feed(app_client, b)  # active: enrolled
        if i % 2 == 0:  # half of them buy, whatever their group
            await add(app_client, slug, b, shop.sku_id, {"channel": "browse"})
            await checkout_and_pay(app_client, slug, b)
            bought[group_of(s, b.actor.subject_id, bp) == HOLDOUT] += 1
    got = (await app_client.get(f"/api/experiments/{exp['id']}/lift",
                                headers=shop.tenant.headers)).json()
    assert got["currency"] == "CNY" and sum(got["assigned"].values()) == 8
    report = got["report"]
    if report is None:  # every buyer fell in one group (1 in 128): nothing to compare
        assert got["reason"]["code"] == "lift_empty_group"
        return
    groups = report["groups"]
    assert groups["exposed"]["n"] + groups["holdout"]["n"] == 8
    held_n = groups["holdout"]["n"]
    if held_n:
        assert groups["holdout"]["conversion_rate"] == bought[True] / held_n
    assert set(report["lift"]) == {"conversion", "orders", "gmv"}
    assert "delta method" in report["method"]


async def test_a_buyer_who_only_shops_the_storefront_is_in_the_population_too(
        stores, settings, app_client):
    """Enrollment is wherever a buyer is active, the same for both groups: a buyer who never
    opens the feed still counts (else the comparison would be chosen by exposure)."""
    shop = await make_shop(stores, settings, app_client)
    slug = await slug_of(stores, shop.tenant.org_id)
    exp = (await start(app_client, shop.tenant.headers, share=0.5)).json()
    browser = await make_buyer(stores, settings, "DE")
    page = await app_client.get(f"/shop/{slug}?market=DE", headers=browser.headers)
    assert page.status_code == 200
    product = await app_client.get(f"/shop/{slug}/products/{shop.product_id}?market=DE",
                                   headers=browser.headers)
    assert product.status_code == 200
    s, bp = await salt(stores, exp["id"])
    expected = group_of(s, browser.actor.subject_id, bp)
    assert await assignments(stores, exp["id"]) == {browser.actor.subject_id: expected}
    # a guest with a cookie is enrolled in the region of the market they browse
    guest = await app_client.post("/api/guest")
    gid = guest.json()["guest_id"]
    await app_client.get(f"/shop/{slug}?market=DE")
    assert gid in await assignments(stores, exp["id"])
    app_client.cookies.clear()


async def test_the_feed_page_of_a_held_out_buyer_says_so_in_their_language(
        stores, settings, app_client):
    await make_shop(stores, settings, app_client)
    platform = await make_platform_staff(stores, settings, Role.OWNER)
    exp = (await start(app_client, platform.headers, share=0.5)).json()
    held, _ = await one_of_each(stores, settings, exp["id"])
    page = await app_client.get("/feed?market=DE",
                                headers={**held.headers, "Accept-Language": "de-DE"})
    assert page.status_code == 200
    assert "Gerade keine Empfehlungen für dich" in page.text
    assert 'id="feed-choice"' not in page.text  # no feed to choose between
