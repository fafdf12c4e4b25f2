"""The test bank's 3-D Secure page (``/pay/3ds/{payment}``) is the buyer's alone: another
buyer, or a visitor who only knows the payment id, can neither see it nor answer it; the
answer needs the session's CSRF token; the page says who asks for how much, in the buyer's
locale."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx
import pytest
from babel.numbers import format_currency

from chuhai.checkout.payments import NEEDS_3DS
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.web import i18n
from tests.factories import (
    ADDRESSES,
    Buyer,
    Shop,
    idempotency_key,
    make_buyer,
    make_shop,
    start_drop,
)


@pytest.fixture
async def shop(stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> Shop:
    return await make_shop(stores, settings, app_client)


async def asked_to_authenticate(client: httpx.AsyncClient, shop: Shop, buyer: Buyer,
                                market: str = "US") -> tuple[dict[str, Any], dict[str, Any]]:
    """The buyer's order and its payment waiting for 3-D Secure."""
    drop = await start_drop(client, shop, (market,))
    res = await client.post(f"/api/drops/{drop['id']}/reserve", headers=buyer.headers, json={
        "line_id": drop["lines"][0]["id"], "quantity": 1, "idempotency_key": idempotency_key()})
    order = await client.post("/api/checkout", headers=buyer.headers, json={
        "reservation_id": res.json()["id"], "ship_to": ADDRESSES[market],
        "idempotency_key": idempotency_key()})
    paid = await client.post(f"/api/orders/{order.json()['id']}/pay", headers=buyer.headers,
                             json={"card_number": NEEDS_3DS,
                                   "idempotency_key": idempotency_key()})
    payment = paid.json()["payments"][0]
    assert payment["status"] == "requires_action", paid.text
    return paid.json(), payment


async def status_of(client: httpx.AsyncClient, buyer: Buyer, order_id: str) -> tuple[str, str]:
    order = (await client.get(f"/api/me/orders/{order_id}", headers=buyer.headers)).json()
    return order["status"], order["payments"][0]["status"]


def answer(buyer: Buyer | None, choice: str = "approve", csrf: str | None = None
           ) -> dict[str, Any]:
    headers = {"Cookie": buyer.headers["Cookie"]} if buyer else {}
    data = {"answer": choice}
    if csrf is not None:
        data["csrf_token"] = csrf
    return {"headers": headers, "data": data}


async def test_another_buyer_or_a_visitor_can_neither_see_nor_answer_the_page(
        app_client: httpx.AsyncClient, shop: Shop, stores: Stores, settings: Settings) -> None:
    owner = await make_buyer(stores, settings, "US")
    other = await make_buyer(stores, settings, "US")
    order, payment = await asked_to_authenticate(app_client, shop, owner)
    url = payment["action_url"]
    assert (await app_client.get(url, headers=other.headers)).status_code == 404
    assert (await app_client.get(url)).status_code == 403
    theirs = await app_client.post(url, **answer(other, csrf=other.headers["x-csrf-token"]))
    assert theirs.status_code == 404
    anonymous = await app_client.post(url, **answer(None, csrf="anything"))
    assert anonymous.status_code == 403
    assert await status_of(app_client, owner, order["id"]) == (
        "pending_payment", "requires_action")
    mine = await app_client.get(url, headers=owner.headers)
    assert mine.status_code == 200 and "Approve" in mine.text


@pytest.mark.parametrize("csrf", [None, "", "forged-token"])
async def test_an_answer_without_the_sessions_csrf_token_changes_nothing(
        app_client: httpx.AsyncClient, shop: Shop, stores: Stores, settings: Settings,
        csrf: str | None) -> None:
    buyer = await make_buyer(stores, settings, "US")
    order, payment = await asked_to_authenticate(app_client, shop, buyer)
    resp = await app_client.post(payment["action_url"], **answer(buyer, csrf=csrf))
    assert resp.status_code == 403
    assert await status_of(app_client, buyer, order["id"]) == (
        "pending_payment", "requires_action")
    resp = await app_client.post(payment["action_url"],
                                 **answer(buyer, "decline", buyer.headers["x-csrf-token"]))
    assert resp.status_code == 303 and resp.headers["location"] == f"/orders/{order['id']}"
    assert await status_of(app_client, buyer, order["id"]) == ("pending_payment", "failed")


async def test_the_page_shows_the_amount_in_the_buyers_locale_and_the_merchant(
        app_client: httpx.AsyncClient, shop: Shop, stores: Stores, settings: Settings) -> None:
    buyer = await make_buyer(stores, settings, "DE")  # German by default
    order, payment = await asked_to_authenticate(app_client, shop, buyer, "DE")
    merchant = (await app_client.get("/api/org", headers=shop.tenant.headers)).json()["name"]
    page = await app_client.get(payment["action_url"], headers=buyer.headers)
    assert page.status_code == 200
    amount = format_currency(Decimal(order["total"]), "EUR", locale="de_DE")
    assert re.search(r'<strong id="amount">([^<]*)</strong>', page.text)[1] == amount
    assert amount.endswith("€") and "," in amount  # 39,71 € — not 39.71 EUR
    assert re.search(r'<strong id="merchant">([^<]*)</strong>', page.text)[1] == merchant
    assert '<html lang="de" dir="ltr">' in page.text  # the buyer's setting
    approve = i18n.translations("de").gettext("Approve")
    assert approve != "Approve" and f'id="approve">{approve}<' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert csrf and csrf[1] == buyer.headers["x-csrf-token"]
