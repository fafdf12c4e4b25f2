"""One charge at a time per order (checkout/service.py ``pay``): two pay calls for the
same order with different idempotency keys — a second tab, a double tap that made a fresh
key — reach the bank at most once at the same time. The second is answered 409
``payment_in_progress``, its payment is recorded as never charged, and the order is paid
exactly once. Before, both were charged and the extra one refunded afterwards."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from chuhai.checkout.models import Order, Payment
from chuhai.checkout.payments import SUCCEEDS
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from tests.checkout.test_idempotency import order_for
from tests.factories import committed_shop, idempotency_key, make_buyer, make_shop


class SlowBank:
    """The node's test bank, taking a while to answer (and counting what it was sent)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.charges: list[str] = []

    async def charge(self, payment_id: str, *args: Any) -> Any:
        self.charges.append(payment_id)
        await asyncio.sleep(0.3)
        return await self.inner.charge(payment_id, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_a_second_pay_while_the_first_is_at_the_bank_is_refused_and_never_charged(
        migrated_settings: Settings, tmp_path: Path) -> None:
    from chuhai.app import create_app

    async with committed_shop(migrated_settings, tmp_path / "var", 10) as (
            settings, stores, shop):
        app = create_app(settings, stores=stores)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as client:
            buyer = await make_buyer(stores, settings, "US")
            order = await order_for(client, shop, buyer)
            bank = SlowBank(app.state.payments)
            app.state.payments = bank
            first, second = await asyncio.gather(*(
                client.post(f"/api/orders/{order['id']}/pay", headers=buyer.headers,
                            json={"card_number": SUCCEEDS,
                                  "idempotency_key": idempotency_key()})
                for _ in range(2)))
            app.state.payments = bank.inner
            answers = sorted([first, second], key=lambda r: r.status_code)
            assert [r.status_code for r in answers] == [200, 409], [r.text for r in answers]
            assert answers[1].json()["code"] == "payment_in_progress"
            assert answers[0].json()["status"] == "paid"
            assert len(bank.charges) == 1  # the bank saw one charge
            async with stores.session(buyer.actor.region) as r:
                payments = (await r.scalars(select(Payment).where(
                    Payment.order_id == order["id"]))).all()
                kept = await r.scalar(select(Order).where(Order.id == order["id"]))
            assert sorted((p.status, p.decline_code or "") for p in payments) == [
                ("failed", "payment_in_progress"), ("succeeded", "")]
            assert kept is not None and kept.paying_until is None  # the slot is given back
            again = await client.post(f"/api/orders/{order['id']}/pay", headers=buyer.headers,
                                      json={"card_number": SUCCEEDS,
                                            "idempotency_key": idempotency_key()})
            assert (again.status_code, again.json()["code"]) == (409, "order_not_payable")


async def test_a_declined_charge_gives_the_slot_back_for_another_card(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings) -> None:
    from chuhai.checkout.payments import DECLINED

    shop = await make_shop(stores, settings, app_client)
    buyer = await make_buyer(stores, settings, "US")
    order = await order_for(app_client, shop, buyer)
    declined = await app_client.post(f"/api/orders/{order['id']}/pay", headers=buyer.headers,
                                     json={"card_number": DECLINED,
                                           "idempotency_key": idempotency_key()})
    assert declined.status_code == 200 and declined.json()["status"] == "pending_payment"
    paid = await app_client.post(f"/api/orders/{order['id']}/pay", headers=buyer.headers,
                                 json={"card_number": SUCCEEDS,
                                       "idempotency_key": idempotency_key()})
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
