"""A seller's trust figures, end to end: questions asked in its live rooms and answered,
deliveries against the promised date, returns and refund times, repeat buyers, and the duty
a carrier charged against what the buyer was quoted — recorded one by one or from a
carrier's CSV, with codes for an unknown order and another seller's; rolled up per day,
market and host, counted once however often the rollup runs; shown to buyers only from
the minimum sample."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from chuhai.analytics import rollup, trust
from chuhai.checkout.models import Order, OrderEvent
from chuhai.core.clock import utcnow
from chuhai.live.models import RoomEvent, RoomMessage
from chuhai.realtime.hub import audience_key
from tests.factories import ADDRESSES, Shop, buy_from_drop, make_buyer, make_shop

WHEN = "2031-03-01T18:00:00Z"


async def move(client: httpx.AsyncClient, shop: Shop, order_id: str, *steps: str) -> None:
    for to in steps:
        body: dict[str, Any] = {"to": to}
        if to == "shipped":
            body["tracking"] = "1Z999"
        moved = await client.post(f"/api/orders/{order_id}/transitions",
                                  headers=shop.tenant.headers, json=body)
        assert moved.status_code == 200, moved.text


async def room_with_orders(stores, settings, client, shop: Shop, buyers: int
                           ) -> tuple[str, list[str]]:
    h = shop.tenant.headers
    room = (await client.post("/api/rooms", headers=h, json={
        "titles": {"en": "Launch"}, "markets": ["DE"], "scheduled_at": WHEN,
        "run_of_show": [{"product_id": shop.product_id, "planned_minutes": 10}]})).json()
    drop = await client.post("/api/drops", headers=h, json={
        "title": "Launch drop", "room_id": room["id"], "per_buyer_limit": 2,
        "lines": [{"sku_id": shop.sku_id, "market": "DE", "quantity": 9, "price": "29.00"}]})
    started = (await client.post(f"/api/drops/{drop.json()['id']}/start", headers=h,
                                 json={"countdown_s": 0})).json()
    orders = []
    first = await make_buyer(stores, settings, "DE")
    for i in range(buyers):
        buyer = first if i < 2 else await make_buyer(stores, settings, "DE")
        orders.append(await buy_from_drop(client, started, buyer, ADDRESSES["DE"]))
    return room["id"], orders


async def ask(stores, room_id: str, seq: int, region: str, answered_after_s: int | None
              ) -> None:
    """A question as the live room stores it (in the asker's region), and the host's
    answer event (global) after some seconds."""
    asked = utcnow() - timedelta(minutes=30)
    async with stores.session(region) as r:
        r.add(RoomMessage(id=f"msg_q{seq:06d}xx", region=region, room_id=room_id, seq=seq,
                          kind="question", author_id="cus_someone", author_name="Lena",
                          text="Does it fit?", created_at=asked,
                          answered=answered_after_s is not None))
        await r.commit()
    if answered_after_s is not None:
        async with stores.session() as s:
            s.add(RoomEvent(room_id=room_id, seq=seq + 1000, type="answer",
                            at=asked + timedelta(seconds=answered_after_s),
                            data={"question": seq, "text": "Yes"}))
            await s.commit()


async def trust_of(client: httpx.AsyncClient, shop: Shop, **params: Any) -> dict[str, Any]:
    got = await client.get("/api/analytics/trust", headers=shop.tenant.headers,
                           params=params)
    assert got.status_code == 200, got.text
    return dict(got.json())


async def test_a_sellers_trust_figures_per_host_and_market(stores, settings, app_client,
                                                          monkeypatch):
    shop = await make_shop(stores, settings, app_client)
    room_id, orders = await room_with_orders(stores, settings, app_client, shop, 4)
    region = stores.regions[0]
    # two delivered (one of them late: paid three weeks before it arrived), one returned and
    # refunded, one still on its way
    await move(app_client, shop, orders[0], "allocated", "shipped", "delivered")
    await move(app_client, shop, orders[1], "allocated", "shipped", "delivered")
    await move(app_client, shop, orders[2], "allocated", "shipped", "returned", "refunded")
    for r in stores.regions:
        async with stores.session(r) as s:
            await s.execute(update(OrderEvent).where(
                OrderEvent.order_id == orders[1], OrderEvent.to_status == "paid").values(
                at=utcnow() - timedelta(days=21)))
            await s.execute(update(Order).where(Order.id == orders[1]).values(
                created_at=utcnow() - timedelta(days=21)))  # placed then, too
            # one buyer allowed analytics: their path (a feed click two hours before) kept
            await s.execute(update(Order).where(Order.id == orders[3]).values(
                touchpoints=[{"channel": "feed", "kind": "click",
                              "at": (utcnow() - timedelta(hours=2)).isoformat()},
                             {"channel": "live", "kind": "click",  # the order's own
                              "at": utcnow().isoformat()}]))
            # another did too, but came straight to the order: no first-touch time
            await s.execute(update(Order).where(Order.id == orders[2]).values(
                touchpoints=[{"channel": "live", "kind": "click",
                              "at": utcnow().isoformat()}]))
            await s.commit()
    for seq, after in ((1, 20), (2, 200), (3, None)):
        await ask(stores, room_id, seq, region, after)
    # what the carrier charged: the quote held for one order, not for another
    quoted = (await app_client.get(f"/api/orders/{orders[0]}",
                                   headers=shop.tenant.headers)).json()
    put = await app_client.put(f"/api/orders/{orders[0]}/duty-invoice",
                               headers=shop.tenant.headers,
                               json={"currency": quoted["currency"], "duty": "0",
                                     "tax": "0", "reference": "INV-1"})
    assert put.status_code == 200, put.text
    assert put.json()["held"] is True and put.json()["source"] == "api"
    assert (put.json()["duty"], put.json()["reference"]) == ("0.00", "INV-1")
    csv = (f"order_id;currency;duty;tax;reference\n{orders[1]};{quoted['currency']};"
           f"50.00;30.00;INV-2\n")
    imported = await app_client.post("/api/analytics/duty-invoices",
                                     headers=shop.tenant.headers,
                                     files={"file": ("duty.csv", csv, "text/csv")})
    assert imported.status_code == 200, imported.text
    assert (imported.json()["recorded"], imported.json()["held"]) == (1, 0)

    await rollup.rollup(stores, utcnow() - timedelta(hours=1))
    await rollup.rollup(stores, utcnow() - timedelta(hours=1))  # again: nothing twice
    # the same file again corrects, never doubles
    again = await app_client.post("/api/analytics/duty-invoices",
                                  headers=shop.tenant.headers,
                                  files={"file": ("duty.csv", csv, "text/csv")})
    assert again.status_code == 200
    await rollup.rollup(stores, utcnow() - timedelta(hours=1))

    whole = await trust_of(app_client, shop)
    f30 = whole["windows"]["30"]
    assert (f30["answer_rate"]["n"], f30["on_time"]["n"]) == (3, 2)
    assert f30["return_rate"]["n"] == 2 and f30["refund_time"]["n"] == 1
    assert f30["landed_held"]["n"] == 2 and f30["repeat_rate"]["n"] == 3  # one paid 21 days ago
    assert not f30["answer_rate"]["shown"] and f30["answer_rate"]["value"] is None
    assert whole["definitions"]["on_time"]

    monkeypatch.setattr(trust, "MIN_RATE_N", 1)
    monkeypatch.setattr(trust, "MIN_TIME_N", 1)
    f30 = (await trust_of(app_client, shop))["windows"]["30"]
    assert f30["answer_rate"]["value"] == round(2 / 3, 4)
    assert f30["answer_time"]["within_s"] == 30  # 20 s and 200 s: the median bucket of 20 s
    assert f30["on_time"]["value"] == 0.5  # the late one
    assert f30["return_rate"]["value"] == 0.5
    assert f30["landed_held"]["value"] == 0.5
    assert f30["repeat_rate"]["value"] == round(1 / 3, 4)  # the first buyer's second order
    # step times: from the one buyer with analytics consent, and said so
    steps = (await app_client.get("/api/analytics/funnel", headers=shop.tenant.headers)
             ).json()["step_times"]
    assert steps["first_touch_to_order"]["n"] == 1 and steps["order_to_paid"]["n"] == 2
    assert steps["first_touch_to_order"]["within_s"] == 6 * 3600
    assert steps["order_to_paid"]["within_s"] == 60
    assert "analytics" in steps["note"]
    assert (steps["new_buyer_orders"], steps["returning_buyer_orders"]) == (2, 1)
    host = shop.tenant.actor.subject_id
    by_host = (await trust_of(app_client, shop, host=host))["windows"]["90"]
    assert by_host["on_time"]["n"] == 2 and by_host["answer_rate"]["n"] == 3
    in_us = (await trust_of(app_client, shop, market="US"))["windows"]["90"]
    assert in_us["on_time"]["n"] == 0 and in_us["answer_rate"]["n"] == 3  # questions: all

    # what a buyer sees: the storefront's figures, only those with enough cases
    public = await app_client.get(f"/api/shop/{await slug(stores, shop)}")
    assert public.status_code == 200
    assert public.json()["trust"]["on_time"] == {"value": 0.5, "n": 2, "within_s": None}
    # on the storefront, in the buyer's language and number format
    page = await app_client.get(f"/shop/{await slug(stores, shop)}?market=DE",
                                headers={"Accept-Language": "de-DE"})
    assert page.status_code == 200
    text = page.text.replace("\u00a0", " ")  # German puts a no-break space before %
    assert "50 % der Bestellungen kamen bis zum zugesagten Datum an" in text
    assert "Beantwortet 67 % der Fragen in Livestreams, meist innerhalb von 30 Sekunden" \
        in text
    assert "Zölle und Steuern entsprachen bei 50 % der geprüften Bestellungen" in text
    monkeypatch.setattr(trust, "MIN_RATE_N", 20)
    public = await app_client.get(f"/api/shop/{await slug(stores, shop)}")
    assert public.json()["trust"] == {}
    page = await app_client.get(f"/shop/{await slug(stores, shop)}?market=DE",
                                headers={"Accept-Language": "de-DE"})
    assert 'id="trust"' not in page.text  # too few cases: nothing said at all


async def slug(stores, shop: Shop) -> str:
    from tests.shop.test_cart_api import slug_of
    return str(await slug_of(stores, shop.tenant.org_id))


async def test_duty_invoices_refuse_unknown_orders_other_sellers_and_bad_files(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    _, orders = await room_with_orders(stores, settings, app_client, shop, 1)
    other = await make_shop(stores, settings, app_client)
    h = shop.tenant.headers

    async def put(order_id: str, headers: dict[str, str], **body: Any) -> httpx.Response:
        return await app_client.put(f"/api/orders/{order_id}/duty-invoice", headers=headers,
                                    json={"currency": "EUR", "duty": "1.00", "tax": "2.00",
                                          **body})

    for order_id, headers, body, status, code in (
            ("ord_doesnotexist", h, {}, 404, "order_not_found"),
            (orders[0], other.tenant.headers, {}, 404, "order_not_found"),
            (orders[0], h, {"currency": "USD"}, 422, "currency_mismatch"),
            (orders[0], h, {"duty": "-1"}, 422, "bad_invoice"),
            (orders[0], h, {"duty": "1.001"}, 422, "bad_invoice"),
            (orders[0], h, {"tax": "lots"}, 422, "bad_invoice"),
            (orders[0], h, {"currency": "XYZ"}, 422, "bad_invoice")):
        got = await put(order_id, headers, **body)
        assert (got.status_code, got.json().get("code")) == (status, code), got.text

    async def upload(text: str | bytes) -> httpx.Response:
        data = text.encode() if isinstance(text, str) else text
        return await app_client.post("/api/analytics/duty-invoices", headers=h,
                                     files={"file": ("d.csv", data, "text/csv")})

    bad = await upload(f"order_id,currency,duty,tax\n{orders[0]},EUR,1,1\n"
                       "ord_unknown0000,EUR,1,1\n" f"{orders[0]},EUR,1,1\n")
    assert (bad.status_code, bad.json()["code"]) == (422, "import_invalid")
    lines = sorted(p["line"] for p in bad.json()["errors"])
    assert lines == [4]  # the repeated order (the unknown one is checked once the file parses)
    bad = await upload("order_id,currency,duty,tax\nord_unknown0000,EUR,1,1\n")
    assert bad.status_code == 422
    assert "order_not_found" in bad.json()["errors"][0]["reason"]
    assert (await upload("id,amount\n1,2\n")).json()["errors"][0]["field"] == "(header)"
    not_text = await upload(b"order_id,currency,duty,tax\n\xff\xfe,EUR,1,1\n")
    assert (not_text.status_code, not_text.json()["code"]) == (422, "import_invalid")
    empty = await upload("order_id,currency,duty,tax\n")
    assert empty.json()["errors"][0]["reason"] == "the file has no invoice rows"
    huge = await upload('order_id,currency,duty,tax\n"' + "x" * 200_000 + '",EUR,1,1\n')
    assert (huge.status_code, huge.json()["code"]) == (422, "import_invalid")
    # nothing was recorded by any refused request
    from chuhai.analytics.models import DutyInvoice
    for r in stores.regions:
        async with stores.session(r) as s:
            assert await s.get(DutyInvoice, orders[0]) is None


@pytest.mark.parametrize("peak,watch", [(7, 3600)])
async def test_an_ended_rooms_funnel_says_its_peak_viewers_and_watch_time(
        stores, settings, app_client, peak, watch):
    shop = await make_shop(stores, settings, app_client)
    h = shop.tenant.headers
    room = (await app_client.post("/api/rooms", headers=h, json={
        "titles": {"en": "Launch"}, "markets": ["DE"], "scheduled_at": WHEN})).json()
    assert (await app_client.post(f"/api/rooms/{room['id']}/open", headers=h)
            ).status_code == 200
    bus = app_client._transport.app.state.live.bus  # type: ignore[attr-defined]
    key = audience_key(room["id"])
    await bus.max_counter(key, "peak_viewers", peak)
    await bus.max_counter(key, "peak_viewers", peak - 3)  # never lowered
    await bus.add_counter(key, "watch_s", watch)
    assert (await app_client.post(f"/api/rooms/{room['id']}/end", headers=h)
            ).status_code == 200
    got = await app_client.get("/api/analytics/funnel", headers=h,
                               params={"scope": "room", "id": room["id"]})
    assert got.status_code == 200, got.text
    audience = got.json()["room"]
    assert (audience["peak_viewers"], audience["watch_seconds"]) == (peak, watch)
    assert audience["status"] == "ended" and audience["definition"]
    # a room that never went live has no audience measured: unknown, not zero
    quiet = (await app_client.post("/api/rooms", headers=h, json={
        "titles": {"en": "Never live"}, "markets": ["DE"], "scheduled_at": WHEN})).json()
    assert (await app_client.post(f"/api/rooms/{quiet['id']}/end", headers=h)
            ).status_code == 200
    unknown = (await app_client.get("/api/analytics/funnel", headers=h, params={
        "scope": "room", "id": quiet["id"]})).json()["room"]
    assert unknown["peak_viewers"] is None and unknown["watch_seconds"] is None
    host = await app_client.get("/api/analytics/funnel", headers=h, params={
        "scope": "host", "id": shop.tenant.actor.subject_id})
    assert host.status_code == 200, host.text
    stranger = await app_client.get("/api/analytics/funnel", headers=h, params={
        "scope": "host", "id": "cus_nobody00000"})
    assert (stranger.status_code, stranger.json()["code"]) == (404, "scope_not_found")


async def test_a_corrected_invoice_recounts_the_day_it_was_first_recorded(
        stores, settings, app_client, monkeypatch):
    """An invoice counts on the day it was first recorded; correcting it days later marks
    that day, and the next hourly rollup rebuilds it — the figure follows the correction."""
    monkeypatch.setattr(trust, "MIN_RATE_N", 1)
    shop = await make_shop(stores, settings, app_client)
    _, orders = await room_with_orders(stores, settings, app_client, shop, 1)
    h = shop.tenant.headers
    currency = (await app_client.get(f"/api/orders/{orders[0]}", headers=h)).json()["currency"]
    body = {"currency": currency, "duty": "0", "tax": "0"}
    assert (await app_client.put(f"/api/orders/{orders[0]}/duty-invoice", headers=h,
                                 json=body)).status_code == 200
    from chuhai.analytics.models import DutyInvoice
    for r in stores.regions:
        async with stores.session(r) as s:
            await s.execute(update(DutyInvoice).values(
                recorded_at=utcnow() - timedelta(days=3)))
            await s.commit()
    await rollup.rollup(stores, utcnow() - timedelta(days=4))
    assert (await trust_of(app_client, shop))["windows"]["30"]["landed_held"]["value"] == 1.0
    # the carrier re-issued it: more tax than quoted
    fixed = await app_client.put(f"/api/orders/{orders[0]}/duty-invoice", headers=h,
                                 json={**body, "tax": "99.00"})
    assert fixed.status_code == 200 and fixed.json()["held"] is False
    await rollup.rollup(stores, utcnow() - timedelta(hours=1))  # the hourly run
    landed = (await trust_of(app_client, shop))["windows"]["30"]["landed_held"]
    assert (landed["n"], landed["value"]) == (1, 0.0)  # counted once, as corrected
