"""Refunds touch only the order refunded; staff lists and reads of orders.

The rules (docs/selling.md, "Orders and payments"; docs/privacy.md, transfers): cancelling
or refunding a paid order refunds *its* payments — every one that succeeded, and no other
order's; a refund the bank did not confirm is retried by reconciliation, which answers
with the number of payments settled. Staff see their organisation's orders newest first
(at most 100, the newest); a staff member reading the order of a buyer stored in another
region is counted in the transfer register under the buyer's market.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from chuhai.checkout import service
from chuhai.checkout.models import Order, Payment
from chuhai.checkout.payments import (
    DECLINED,
    SUCCEEDS,
    ChargeResult,
    ChargeStatus,
    TestProvider,
)
from chuhai.checkout.schemas import PayIn, TransitionIn
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.ids import new_id
from chuhai.privacy import audit
from chuhai.privacy.models import AuditEntry, TransferPerson
from tests.factories import (
    ADDRESSES,
    buy_from_drop,
    charge_at_test_bank,
    idempotency_key,
    make_buyer,
    make_shop,
    start_drop,
)


async def _payments(stores: Stores, region: str, order_id: str) -> list[Payment]:
    async with stores.session(region) as r:
        return list((await r.scalars(select(Payment).where(
            Payment.order_id == order_id).order_by(Payment.created_at))).all())


async def test_cancelling_one_paid_order_refunds_its_payment_and_no_other_orders(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> None:
    shop = await make_shop(stores, settings, app_client)
    drop = await start_drop(app_client, shop, ("US",))
    ann = await make_buyer(stores, settings, "US")
    bob = await make_buyer(stores, settings, "US")
    cancelled = await buy_from_drop(app_client, drop, ann, ADDRESSES["US"])
    kept = await buy_from_drop(app_client, drop, bob, ADDRESSES["US"])
    [ann_paid] = await _payments(stores, "us", cancelled)
    [bob_paid] = await _payments(stores, "us", kept)

    resp = await app_client.post(f"/api/orders/{cancelled}/transitions",
                                 headers=shop.tenant.headers,
                                 json={"to": "cancelled", "reason": "buyer asked"})
    assert resp.status_code == 200, resp.text

    assert [p.status for p in await _payments(stores, "us", cancelled)] == ["refunded"]
    assert charge_at_test_bank(settings.data_dir, ann_paid.id)[2] == "refunded"  # type: ignore[index]
    assert [p.status for p in await _payments(stores, "us", kept)] == ["succeeded"]
    assert charge_at_test_bank(settings.data_dir, bob_paid.id) == (
        bob_paid.amount_minor, "USD", "succeeded")


class Bank:
    """The test provider, remembering the refunds it was asked for; they go unconfirmed
    while ``confirm`` is False."""

    name = "test"

    def __init__(self, path: Path, confirm: bool = True) -> None:
        self.inner = TestProvider(path)
        self.confirm = confirm
        self.refunds: list[str] = []

    async def charge(self, payment_id: str, amount_minor: int, currency: str, method: str,
                     return_url: str) -> ChargeResult:
        return await self.inner.charge(payment_id, amount_minor, currency, method, return_url)

    async def retrieve(self, payment_id: str) -> ChargeResult | None:
        return await self.inner.retrieve(payment_id)

    async def refund(self, payment_id: str) -> ChargeResult:
        self.refunds.append(payment_id)
        if not self.confirm:
            return ChargeResult(ChargeStatus.SUCCEEDED, f"test_{payment_id}", "refund_failed")
        return await self.inner.refund(payment_id)


async def test_reconciliation_refunds_every_payment_of_an_order_charged_twice_and_counts_each(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient,
        caplog: pytest.LogCaptureFixture) -> None:
    """Two payment requests that raced both charged the card: cancelling the order owes
    the buyer both, and the reconciler, once the bank confirms refunds, pays back both."""
    bank = Bank(settings.data_dir / "testpay.db", confirm=False)  # the app's test bank
    try:
        shop = await make_shop(stores, settings, app_client)
        drop = await start_drop(app_client, shop, ("US",))
        buyer = await make_buyer(stores, settings, "US")
        order_id = await buy_from_drop(app_client, drop, buyer, ADDRESSES["US"])
        [first] = await _payments(stores, "us", order_id)
        second = Payment(id=new_id("pay"), region="us", order_id=order_id, provider="test",
                         status="succeeded", amount_minor=first.amount_minor,
                         currency=first.currency, card_last4="4242",
                         idempotency_key=idempotency_key())
        charged = await bank.charge(second.id, second.amount_minor, second.currency,
                                    SUCCEEDS, "")
        assert charged.status is ChargeStatus.SUCCEEDED
        async with stores.session("us") as r:
            r.add(second)
            await r.commit()
        twice = [first, second]

        with caplog.at_level(logging.WARNING, logger="chuhai.checkout"):
            await service.transition(stores, bank, shop.tenant.actor, order_id,
                                     TransitionIn(to="cancelled", reason="charged twice"))  # type: ignore[arg-type]
        assert [p.status for p in await _payments(stores, "us", order_id)] == [
            "succeeded", "succeeded"]  # both still owed
        # Each unconfirmed refund is logged with the payment and the bank's reason.
        warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warned) == 2
        for p, message in zip(twice, warned, strict=True):
            assert p.id in message and "refund_failed" in message

        bank.confirm = True
        assert await service.reconcile(stores, bank, now=utcnow()) == 2
        assert [p.status for p in await _payments(stores, "us", order_id)] == [
            "refunded", "refunded"]
        assert [charge_at_test_bank(settings.data_dir, p.id)[2]  # type: ignore[index]
                for p in twice] == [
            "refunded", "refunded"]
    finally:
        bank.inner.close()


async def test_cancelling_refunds_what_was_charged_and_not_a_declined_attempt(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient,
        tmp_path: Path) -> None:
    bank = Bank(tmp_path / "testpay.db")
    try:
        shop = await make_shop(stores, settings, app_client)
        drop = await start_drop(app_client, shop, ("US",))
        buyer = await make_buyer(stores, settings, "US")
        order_id = await buy_from_drop(app_client, drop, buyer, ADDRESSES["US"], pay=False)
        for card in (DECLINED, SUCCEEDS):
            await service.pay(stores, bank, buyer.actor, order_id,
                              PayIn(card_number=card, idempotency_key=idempotency_key()))
        declined, charged = await _payments(stores, "us", order_id)
        assert (declined.status, charged.status) == ("failed", "succeeded")

        await service.transition(stores, bank, shop.tenant.actor, order_id,
                                 TransitionIn(to="cancelled", reason="buyer asked"))  # type: ignore[arg-type]

        assert bank.refunds == [charged.id]
        assert [p.status for p in await _payments(stores, "us", order_id)] == [
            "failed", "refunded"]
    finally:
        bank.inner.close()


async def _copies(stores: Stores, region: str, order_id: str, *changes: dict[str, object]
                  ) -> list[str]:
    """Orders like ``order_id`` stored beside it, one per ``changes`` (the ids)."""
    ids = []
    async with stores.session(region) as r:
        order = await r.scalar(select(Order).where(Order.id == order_id))
        assert order is not None
        columns = {c.key: getattr(order, c.key) for c in Order.__table__.columns}
        for n, change in enumerate(changes):
            copy = Order(**{**columns, "id": new_id("ord"), "reservation_id": new_id("res"),
                            "idempotency_key": f"copy-{n}", **change})
            r.add(copy)
            ids.append(copy.id)
        await r.commit()
    return ids


async def _placed_at(stores: Stores, region: str, order_id: str, at: datetime) -> None:
    async with stores.session(region) as r:
        await r.execute(update(Order).where(Order.id == order_id).values(created_at=at))
        await r.commit()


async def _last_audit_entry(stores: Stores, actor_id: str) -> AuditEntry:
    async with stores.session() as s:
        entries, _head = await audit.read_chain(s)
    return [e for e in entries if e.actor == actor_id][-1]


async def test_staff_see_their_orders_of_every_region_newest_first_and_by_status(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> None:
    """Orders of a US buyer (stored in us) and a German buyer (stored in eu), placed in
    turn a minute apart; one of them was cancelled."""
    shop = await make_shop(stores, settings, app_client)
    drop = await start_drop(app_client, shop, ("US", "DE"))
    us_buyer = await make_buyer(stores, settings, "US")
    de_buyer = await make_buyer(stores, settings, "DE")
    us_0 = await buy_from_drop(app_client, drop, us_buyer, ADDRESSES["US"], pay=False)
    de_0 = await buy_from_drop(app_client, drop, de_buyer, ADDRESSES["DE"], pay=False)
    t = utcnow() - timedelta(hours=1)
    [us_1] = await _copies(stores, "us", us_0, {"created_at": t + timedelta(minutes=2),
                                                "status": "cancelled"})
    [de_1] = await _copies(stores, "eu", de_0, {"created_at": t + timedelta(minutes=3)})
    await _placed_at(stores, "us", us_0, t)
    await _placed_at(stores, "eu", de_0, t + timedelta(minutes=1))
    staff = shop.tenant.actor

    async def listed(**kw: object) -> list[str]:
        return [o.id for o in await service.list_orders(stores, staff, **kw)]  # type: ignore[arg-type]

    assert await listed() == [de_1, us_1, de_0, us_0]
    entry = await _last_audit_entry(stores, staff.subject_id)
    assert (entry.action, entry.region, entry.details) == (
        "pd.list", "eu,us", {"what": "orders", "people": 2})
    assert await listed(limit=1) == [de_1]
    assert await listed(limit=3) == [de_1, us_1, de_0]
    assert await listed(status="cancelled") == [us_1]
    assert await listed(status="pending_payment") == [de_1, de_0, us_0]
    entry = await _last_audit_entry(stores, staff.subject_id)
    assert (entry.action, entry.details) == ("pd.list", {"what": "orders", "people": 2})


async def test_the_order_list_shows_the_newest_hundred(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> None:
    shop = await make_shop(stores, settings, app_client)
    drop = await start_drop(app_client, shop, ("US",))
    buyer = await make_buyer(stores, settings, "US")
    oldest = await buy_from_drop(app_client, drop, buyer, ADDRESSES["US"], pay=False)
    t = utcnow() - timedelta(days=1)
    await _placed_at(stores, "us", oldest, t)
    later = await _copies(stores, "us", oldest,
                          *({"created_at": t + timedelta(minutes=n)} for n in range(1, 101)))

    resp = await app_client.get("/api/orders", headers=shop.tenant.headers)

    assert resp.status_code == 200, resp.text
    assert [o["id"] for o in resp.json()] == later[::-1]  # the oldest of 101 is not shown


async def test_a_staff_read_of_one_order_counts_the_buyer_under_their_market(
        stores: Stores, settings: Settings, app_client: httpx.AsyncClient) -> None:
    """A seller based in China (staff stored in cn) reads one order of a German buyer
    (stored in eu): a transfer from the EU, under the GDPR — market DE."""
    shop = await make_shop(stores, settings, app_client)
    buyer = await make_buyer(stores, settings, "DE")
    drop = await start_drop(app_client, shop, ("DE",))
    order_id = await buy_from_drop(app_client, drop, buyer, ADDRESSES["DE"], pay=False)
    assert (shop.tenant.actor.region, buyer.actor.region) == ("cn", "eu")

    resp = await app_client.get(f"/api/orders/{order_id}", headers=shop.tenant.headers)

    assert resp.status_code == 200, resp.text
    async with stores.session() as s:
        rows = (await s.scalars(select(TransferPerson).where(
            TransferPerson.subject_id == buyer.actor.subject_id))).all()
    assert [(r.from_region, r.to_region, r.market) for r in rows] == [("eu", "cn", "DE")]
