"""Webhooks: events leave through the outbox, signed, retried with backoff, visible."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest

from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.webhooks import service, signing
from tests.checkout.test_flow_api import ADDRESS, key, live_drop, reserve
from tests.factories import make_buyer, make_shop


class Receiver:
    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.fail_next = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                outer.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = 500 if outer.fail_next > 0 else 200
                outer.fail_next -= 1
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def test_signatures_verify_and_tampering_or_age_fails() -> None:
    body = b'{"a":1}'
    header = signing.sign("whsec_x", body, timestamp=1_000_000)
    assert signing.verify("whsec_x", body, header, now=1_000_010)
    assert not signing.verify("whsec_x", b'{"a":2}', header, now=1_000_010)
    assert not signing.verify("whsec_y", body, header, now=1_000_010)
    assert not signing.verify("whsec_x", body, header, now=1_000_000 + 301)
    assert not signing.verify("whsec_x", body, "garbage", now=1_000_010)


def test_backoff_grows_then_gives_up() -> None:
    delays = [signing.next_delay(n) for n in range(1, signing.MAX_ATTEMPTS + 1)]
    assert delays[:-1] == sorted(delays[:-1]) and delays[0] == 10
    assert delays[-1] is None


async def test_an_order_event_is_delivered_signed_and_a_failure_is_retried_later(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings,
        receiver: Receiver) -> None:
    shop = await make_shop(stores, settings, app_client)
    buyer = await make_buyer(stores, settings, "US")
    resp = await app_client.post("/api/webhooks", headers=shop.tenant.headers,
                                 json={"url": receiver.url, "events": ["order.created"]})
    assert resp.status_code == 201
    secret = resp.json()["secret"]
    drop = await live_drop(app_client, shop)
    res = (await reserve(app_client, buyer, drop)).json()
    order = (await app_client.post("/api/checkout", headers=buyer.headers, json={
        "reservation_id": res["id"], "ship_to": ADDRESS, "idempotency_key": key()})).json()

    receiver.fail_next = 1
    assert await service.dispatch(stores) == 1
    assert await service.dispatch(stores) == 0  # already dispatched
    async with httpx.AsyncClient() as client:
        assert await service.deliver_due(stores, client, allow_private=True) == 1
        rows = (await app_client.get("/api/webhooks/deliveries",
                                     headers=shop.tenant.headers)).json()
        assert rows[0]["status"] == "pending" and rows[0]["attempts"] == 1
        assert rows[0]["history"][0]["error"] == "HTTP 500"
        assert await service.deliver_due(stores, client, allow_private=True) == 0  # not yet
        later = utcnow() + timedelta(seconds=11)
        assert await service.deliver_due(stores, client, allow_private=True, now=later) == 1
    rows = (await app_client.get("/api/webhooks/deliveries",
                                 headers=shop.tenant.headers)).json()
    assert rows[0]["status"] == "delivered" and rows[0]["attempts"] == 2
    headers, body = receiver.got[-1]
    assert signing.verify(secret, body, headers["chuhai-signature"])
    event = json.loads(body)
    assert event["type"] == "order.created" and event["data"]["order_id"] == order["id"]
    assert "Portland" not in body.decode() and "Ann Buyer" not in body.decode()


async def test_private_addresses_are_refused_unless_allowed(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings,
        receiver: Receiver) -> None:
    shop = await make_shop(stores, settings, app_client)
    await app_client.post("/api/webhooks", headers=shop.tenant.headers,
                          json={"url": receiver.url, "events": ["*"]})
    await live_drop(app_client, shop)
    assert await service.dispatch(stores) == 2  # drop.scheduled, drop.started
    async with httpx.AsyncClient() as client:
        await service.deliver_due(stores, client, allow_private=False)
    rows = (await app_client.get("/api/webhooks/deliveries",
                                 headers=shop.tenant.headers)).json()
    assert "private address" in rows[0]["history"][0]["error"] and receiver.got == []


async def test_bad_endpoints_are_refused(app_client: httpx.AsyncClient, stores: Stores,
                                         settings: Settings) -> None:
    shop = await make_shop(stores, settings, app_client)
    for body, code in (({"url": "ftp://x.example/h"}, "invalid_webhook_url"),
                       ({"url": "https://x.example/h", "events": ["order.eaten"]},
                        "unknown_event_type")):
        resp = await app_client.post("/api/webhooks", headers=shop.tenant.headers, json=body)
        assert resp.status_code == 422 and resp.json()["code"] == code


@pytest.mark.parametrize(("delivery", "status"), [
    (str(2**64), 422), (str(2**63), 422), ("0", 422), ("-3", 422), (str(2**63 - 1), 404)])
async def test_retrying_a_delivery_number_no_database_can_hold_is_a_client_error(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings, delivery: str,
        status: int) -> None:
    shop = await make_shop(stores, settings, app_client)
    resp = await app_client.post(f"/api/webhooks/deliveries/{delivery}/retry",
                                 headers=shop.tenant.headers)
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
