"""A live room's sell-out risk: a pinned SKU selling fast from the room's drop is named with
when it runs out and how likely before the planned end, with the host's options, and one
webhook however often the console asks; a room with no planned end speaks of the next hour;
another seller's room is not found; nothing pinned, nothing estimated. The viewers of each
minute since the pin, as the hub counts them, go into the estimate when every minute has a
count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from chuhai.core.actor import Role
from chuhai.core.clock import utcnow
from chuhai.core.ids import new_id
from chuhai.core.outbox import GlobalOutbox
from chuhai.demand import sellout
from chuhai.demand.live import series, viewers_per_minute
from chuhai.inventory.models import DropLine, Reservation
from chuhai.live.models import Room, RoomEvent
from chuhai.realtime.hub import viewer_minutes_key
from tests.factories import add_staff, make_shop

WHEN = "2031-03-01T18:00:00Z"


def test_units_are_counted_in_the_minute_they_were_taken():
    start = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    holds = [(start + timedelta(seconds=5), 2), (start + timedelta(seconds=70), 1),
             (start + timedelta(seconds=75), 1), (start - timedelta(minutes=1), 9),
             (start + timedelta(seconds=185), 4)]
    now = start + timedelta(minutes=3, seconds=2)  # the fourth minute has run 2 s: left out
    assert series(holds, start, now) == ([2, 2, 0], 1.0)
    now = start + timedelta(minutes=3, seconds=15)  # ... 15 s: in, at a quarter of a minute
    assert series(holds, start, now) == ([2, 2, 0, 4], 0.25)


def test_a_flash_sale_is_read_in_its_first_seconds_at_its_rate_a_minute():
    start = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    now = start + timedelta(seconds=20)
    holds = [(start + timedelta(seconds=s), 1) for s in range(0, 20, 1)] * 2  # 40 in 20 s
    counts, share = series(holds, start, now)
    assert counts == [40] and share == pytest.approx(1 / 3)
    est = sellout.estimate(100, counts, 30, last_share=share)
    assert 100 <= est.rate_per_minute <= 140  # 120 a minute, not 40
    assert est.sellout_minute is not None and est.sellout_minute < 1.5
    # at 3 seconds the count is still read over 5 seconds, not over a blink
    counts, share = series(holds, start, start + timedelta(seconds=3))
    assert share == pytest.approx(5 / 60)


def test_each_minute_since_the_pin_takes_the_viewers_of_the_clock_minute_at_its_middle():
    since = utcnow().replace(second=40, microsecond=0) - timedelta(minutes=3)
    first = int(since.timestamp() // 60)  # the pin came at :40; its minute's middle is :10
    counts = {str(first + 1): 600, str(first + 2): 1200, str(first + 3): 1500}
    # read at :41, when the third clock minute is over
    later = since + timedelta(minutes=3, seconds=21)
    assert viewers_per_minute(counts, since, later, 3) == [10, 20, 25]
    # a fourth minute under way (21 s) whose clock minute began a second ago: the one
    # before it is read, whole
    counts[str(first + 4)] = 30
    assert viewers_per_minute(counts, since, later, 4) == [10, 20, 25, 25]
    # twenty seconds on, the running clock minute over the 21 s it has run
    counts[str(first + 4)] = 21 * 30
    assert viewers_per_minute(counts, since, later + timedelta(seconds=20), 4) == [
        10, 20, 25, 30]


def test_a_clock_minute_still_running_is_counted_over_the_seconds_it_has_run():
    """Pinned at :45, read at :50 three minutes later: the last minute's middle (:15) lies in
    a clock minute that has run 50 seconds — a steady 200 viewers, not 167."""
    since = utcnow().replace(second=45, microsecond=0) - timedelta(minutes=4)
    first = int(since.timestamp() // 60)
    now = since + timedelta(minutes=3, seconds=5)
    counts = {str(first + 1): 12_000, str(first + 2): 12_000, str(first + 3): 200 * 50}
    assert viewers_per_minute(counts, since, now, 3) == [200, 200, 200]


def test_a_gap_takes_its_neighbours_count_but_a_missing_last_minute_means_sales_alone():
    since = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=10)
    first = int(since.timestamp() // 60)
    now = since + timedelta(minutes=4)
    full = {str(first + i): 60 * (100 + i) for i in range(4)}
    gap = {k: v for k, v in full.items() if k != str(first + 1)}
    assert viewers_per_minute(gap, since, now, 4) == [100, 100, 102, 103]
    no_last = {k: v for k, v in full.items() if k != str(first + 3)}
    assert viewers_per_minute(no_last, since, now, 4) is None
    mostly_missing = {str(first + 3): 60 * 103}
    assert viewers_per_minute(mostly_missing, since, now, 4) is None


async def live_room_selling(stores, app_client, shop, *, planned: int | None,
                            per_minute: int, left: int) -> str:
    h = shop.tenant.headers
    body = {"titles": {"en": "Launch"}, "markets": ["DE"], "scheduled_at": WHEN}
    if planned:
        body["planned_minutes"] = planned
    room = (await app_client.post("/api/rooms", headers=h, json=body)).json()
    assert room["planned_minutes"] == planned
    assert (await app_client.post(f"/api/rooms/{room['id']}/open", headers=h)
            ).status_code == 200
    drop = await app_client.post("/api/drops", headers=h, json={
        "title": "Launch drop", "room_id": room["id"], "per_buyer_limit": 2,
        "lines": [{"sku_id": shop.sku_id, "market": "DE", "quantity": 60,
                   "price": "29.00"}]})
    started = (await app_client.post(f"/api/drops/{drop.json()['id']}/start", headers=h,
                                     json={"countdown_s": 0})).json()
    now = utcnow()
    async with stores.session() as s:
        # went live 10 minutes ago, the product pinned then; ``per_minute`` units taken
        # each minute since; ``left`` units remain on the drop line
        await s.execute(update(Room).where(Room.id == room["id"]).values(
            started_at=now - timedelta(minutes=10),
            pinned=[{"product_id": shop.product_id}]))
        s.add(RoomEvent(room_id=room["id"], seq=9_000, type="pin",
                        at=now - timedelta(minutes=10),
                        data={"product_id": shop.product_id}))
        line = started["lines"][0]
        await s.execute(update(DropLine).where(DropLine.id == line["id"]).values(
            remaining=left))
        for minute in range(10):
            for k in range(per_minute):
                s.add(Reservation(
                    id=new_id("res"), org_id=shop.tenant.org_id, drop_id=started["id"],
                    line_id=line["id"], sku_id=shop.sku_id, warehouse_id=shop.de,
                    market="DE", buyer_id=f"cus_b{minute}{k}", buyer_region="eu",
                    quantity=1, price_minor=2900, currency="EUR", status="converted",
                    source="buy", expires_at=now, idempotency_key=new_id("k"),
                    created_at=now - timedelta(minutes=10 - minute, seconds=-20)))
        await s.commit()
    return str(room["id"])


async def test_a_fast_selling_pinned_sku_alerts_once(stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    room = await live_room_selling(stores, app_client, shop, planned=40, per_minute=3,
                                   left=20)
    got = await app_client.get(f"/api/rooms/{room}/sellout", headers=shop.tenant.headers)
    assert got.status_code == 200, got.text
    out = got.json()
    assert out["planned_minutes"] == 40 and 29 <= out["minutes_left"] <= 30
    (sku,) = out["skus"]
    assert (sku["sku_id"], sku["source"], sku["remaining"]) == (shop.sku_id, "drop", 20)
    assert 4 <= sku["sellout_minute"] <= 10 and sku["p_sellout_in_slot"] > 0.95
    # Shenzhen also delivers to Germany; the California warehouse does not
    assert sku["alert"] and sku["options"] == ["pause_pin", "open_waitlist",
                                               "switch_warehouse:SZ"]
    assert 2.2 <= sku["rate_per_minute"] <= 3.5  # (an empty running minute may pull it down)
    for _ in range(3):  # the console asks again and again: one webhook
        await app_client.get(f"/api/rooms/{room}/sellout", headers=shop.tenant.headers)
    async with stores.session() as s:
        sent = await s.scalar(select(func.count()).select_from(GlobalOutbox).where(
            GlobalOutbox.type == "room.sellout_risk"))
    assert sent == 1


async def test_without_a_planned_end_the_next_hour_is_estimated_and_said(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    room = await live_room_selling(stores, app_client, shop, planned=None, per_minute=1,
                                   left=500)
    out = (await app_client.get(f"/api/rooms/{room}/sellout",
                                headers=shop.tenant.headers)).json()
    assert out["minutes_left"] is None
    (sku,) = out["skus"]
    assert sku["horizon_minutes"] == 60 and "next 60 minutes" in sku["note"]
    assert not sku["alert"] and sku["sellout_minute"] is None and sku["options"] is None
    other = await make_shop(stores, settings, app_client)
    theirs = await app_client.get(f"/api/rooms/{room}/sellout", headers=other.tenant.headers)
    assert (theirs.status_code, theirs.json()["code"]) == (404, "room_not_found")


async def test_a_pin_that_has_sold_nothing_raises_no_alarm(stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    room = await live_room_selling(stores, app_client, shop, planned=40, per_minute=0,
                                   left=2)
    (sku,) = (await app_client.get(f"/api/rooms/{room}/sellout",
                                   headers=shop.tenant.headers)).json()["skus"]
    assert sku["remaining"] == 2 and not sku["alert"]  # a guess is not a warning


async def test_a_room_with_nothing_pinned_has_nothing_to_estimate(stores, settings,
                                                                  app_client):
    shop = await make_shop(stores, settings, app_client)
    room = (await app_client.post("/api/rooms", headers=shop.tenant.headers, json={
        "titles": {"en": "Quiet"}, "markets": ["DE"], "scheduled_at": WHEN,
        "run_of_show": [{"product_id": shop.product_id, "planned_minutes": 25}]})).json()
    assert room["planned_minutes"] == 25  # the run of show's minutes
    out = (await app_client.get(f"/api/rooms/{room['id']}/sellout",
                                headers=shop.tenant.headers)).json()
    assert out["skus"] == [] and out["status"] == "scheduled"


async def test_the_viewers_of_each_minute_since_the_pin_go_into_the_estimate(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    room = await live_room_selling(stores, app_client, shop, planned=40, per_minute=2,
                                   left=60)
    async with stores.session() as s:
        pinned_at = await s.scalar(select(RoomEvent.at).where(RoomEvent.room_id == room,
                                                          RoomEvent.type == "pin"))
    bus = app_client._transport.app.state.live.bus
    first = int(pinned_at.timestamp() // 60)
    for i in range(12):  # a growing audience: 100 viewers, 20 more each minute
        await bus.add_counter(viewer_minutes_key(room), str(first + i), 60 * (100 + 20 * i))
    (sku,) = (await app_client.get(f"/api/rooms/{room}/sellout",
                                   headers=shop.tenant.headers)).json()["skus"]
    # ten minutes, and a few seconds of the eleventh if the machine was slow
    assert sku["with_viewers"] and 10 <= sku["minutes_observed"] < 10.5
    # two a minute all along while the audience grew: the reading in which sales follow
    # the audience explains that worse, and weighs less
    assert 0 < sku["audience_weight"] < 0.5
    twin = await make_shop(stores, settings, app_client)  # the same sales, no counts
    other = await live_room_selling(stores, app_client, twin, planned=40, per_minute=2,
                                    left=60)
    (alone,) = (await app_client.get(f"/api/rooms/{other}/sellout",
                                     headers=twin.tenant.headers)).json()["skus"]
    assert not alone["with_viewers"] and alone["audience_weight"] is None
    assert alone["remaining"] == sku["remaining"] == 60
    assert abs(sku["p_sellout_in_slot"] - alone["p_sellout_in_slot"]) < 0.15


async def test_operators_see_the_risk_and_moderators_do_not(stores, settings, app_client):
    """The issue's "host console and the operator role": whoever reads the room's orders."""
    shop = await make_shop(stores, settings, app_client)
    room = await live_room_selling(stores, app_client, shop, planned=40, per_minute=3,
                                   left=20)
    operator = await add_staff(stores, settings, shop.tenant, Role.OPERATOR)
    moderator = await add_staff(stores, settings, shop.tenant, Role.MODERATOR)
    got = await app_client.get(f"/api/rooms/{room}/sellout", headers=operator.headers)
    assert got.status_code == 200 and got.json()["skus"][0]["alert"]
    refused = await app_client.get(f"/api/rooms/{room}/sellout", headers=moderator.headers)
    assert refused.status_code == 403


def test_a_warning_needs_evidence_and_before_a_whole_minute_an_imminent_sell_out():
    """A unit or two in the opening seconds read as a fast rate is a guess, and a webhook
    cannot be taken back; forty units in twenty seconds with fifty left is a warning."""
    from chuhai.demand.live import warns

    two_early = sellout.estimate(100, [2], 60, last_share=10 / 60)
    assert two_early.p_sellout_in_slot >= 0.5 and not warns(two_early, 2, 10 / 60, 0.5)
    flash = sellout.estimate(50, [40], 60, last_share=20 / 60)
    assert warns(flash, 40, 20 / 60, 0.5)
    brisk = sellout.estimate(100, [12], 60, last_share=0.25)  # 48 a minute, out in ~2 min
    steady = sellout.estimate(100, [3, 3, 3], 30)  # whole minutes: the threshold decides
    assert warns(steady, 9, 3, 0.5) == (steady.p_sellout_in_slot >= 0.5
                                        and steady.sellout_minute is not None)
    assert not warns(brisk, 12, 0.25, 0.99)  # below the threshold, never
