"""Reconciliation: finishing the payments a crash or a lost answer left open.

The rules (docs/selling.md, "Orders and payments"): every 15 s the reconciler looks up, at
the provider, each payment of ours left ``processing`` for longer than a grace period (a
charge may be in flight that long) and brings the payment and its order in line with what
the provider says — a charge that happened ends in a paid order, a charge the provider
never saw ends as a failed payment (``not_submitted``) on an order the buyer can still pay;
a payment waiting for the buyer's 3-D Secure answer is left to the buyer. A payment that
succeeded on an order still awaiting payment is completed, and a payment still
``succeeded`` on a cancelled or refunded order is refunded. What one payment's trouble
does not do is stop the others: it is logged, with the payment's or order's id, and
retried next time. The answer is the number of payments settled.

A crash is played by a bank that raises in the middle of a call: our payment row was
written, the bank may or may not have recorded the charge, and the app never heard back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from chuhai.checkout import service
from chuhai.checkout.models import Order, Payment
from chuhai.checkout.payments import (
    NEEDS_3DS,
    SUCCEEDS,
    ChargeResult,
    ChargeStatus,
)
from chuhai.checkout.schemas import TransitionIn
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.ids import new_id
from chuhai.inventory import sweeper
from tests.checkout import orders
from tests.checkout.orders import WORKED, pending_order
from tests.factories import (
    ADDRESSES,
    buy_from_drop,
    make_buyer,
    make_shop,
    start_drop,
)

TOTAL_MINOR = WORKED["US"][2]  # 39.13 USD, one unit of a US drop
GRACE = timedelta(seconds=30)  # the reconciler's default grace period


class BankDown(ConnectionError):
    """The bank did not answer (a timeout, a reset connection)."""


class Bank(orders.Bank):
    """The test provider, with a switch for each way a call can go wrong."""

    def __init__(self, data_dir: Path, name: str = "test") -> None:
        super().__init__(data_dir, name)
        self.unreachable = False   # charge: the request never reached the bank
        self.lost_answer = False   # charge: the bank charged, the answer never came back
        self.refunds = "ok"        # "ok" | "unconfirmed" | "unreachable"
        self.retrieved: list[str] = []
        self.refund_calls: list[str] = []

    async def charge(self, payment_id: str, amount_minor: int, currency: str, method: str,
                     return_url: str) -> ChargeResult:
        if self.unreachable:
            raise BankDown("connect timeout")
        result = await super().charge(payment_id, amount_minor, currency, method, return_url)
        if self.lost_answer:
            raise BankDown("read timeout")
        return result

    async def retrieve(self, payment_id: str) -> ChargeResult | None:
        self.retrieved.append(payment_id)
        return await super().retrieve(payment_id)

    async def refund(self, payment_id: str) -> ChargeResult:
        self.refund_calls.append(payment_id)
        if self.refunds == "unreachable":
            raise BankDown("connect timeout")
        if self.refunds == "unconfirmed":
            return ChargeResult(ChargeStatus.SUCCEEDED, f"test_{payment_id}", "refund_failed")
        return await super().refund(payment_id)


class Sale(orders.Sale[Bank]):
    """A US buyer's order of one unit, awaiting payment, and the bank."""

    async def pay_and_crash(self, bank: Bank | None = None) -> Payment:
        """Pay while the bank misbehaves as set up: the call raises; the payment we
        recorded before calling is what is left."""
        with pytest.raises(BankDown):
            await self.pay(bank=bank)
        [payment] = [p for p in await self.payments()
                     if p.provider == (bank or self.bank).name]
        assert payment.status == "processing"
        return payment

    async def payment(self, payment_id: str) -> Payment:
        [found] = [p for p in await self.payments() if p.id == payment_id]
        return found

    async def reconcile(self, now: datetime) -> int:
        return await service.reconcile(self.stores, self.bank, now=now)


@pytest.fixture
async def sale(app_client: httpx.AsyncClient, stores: Stores, settings: Settings,
               tmp_path: Path) -> AsyncIterator[Sale]:
    shop, buyer, order_id = await pending_order(app_client, stores, settings, "US")
    bank = Bank(tmp_path)
    yield Sale(shop, buyer, order_id, bank, stores)
    bank.close()


def assert_logged_once(caplog: pytest.LogCaptureFixture, what: str,
                       error: type[Exception] = BankDown) -> None:
    """One error was logged, naming the payment or order it is about (what an operator
    searches the log for), with the exception that stopped it."""
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert what in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], error)


# --- payments left processing ----------------------------------------------------------------

async def test_a_payment_the_bank_never_saw_fails_as_not_submitted_and_the_order_stays_payable(
        sale: Sale) -> None:
    sale.bank.unreachable = True
    payment = await sale.pay_and_crash()
    assert sale.bank.ledger(payment.id) is None

    assert await sale.reconcile(now=payment.updated_at + GRACE + timedelta(seconds=1)) == 1

    failed = await sale.payment(payment.id)
    assert (failed.status, failed.decline_code, failed.provider_ref) == (
        "failed", "not_submitted", "")  # the bank has no reference for it
    assert sale.bank.ledger(payment.id) is None  # nothing was charged, nothing is
    assert (await sale.order()).status == "pending_payment"
    assert (await sale.reservation()).status == "held"
    # The buyer pays again, and this time the bank answers.
    sale.bank.unreachable = False
    order, second = await sale.pay()
    assert (order.status, second.status) == ("paid", "succeeded")
    assert sale.bank.ledger(second.id) == (TOTAL_MINOR, "USD", "succeeded")


async def test_a_charge_whose_answer_was_lost_ends_in_a_paid_order(sale: Sale) -> None:
    sale.bank.lost_answer = True
    payment = await sale.pay_and_crash()
    assert sale.bank.ledger(payment.id) == (TOTAL_MINOR, "USD", "succeeded")
    assert (await sale.order()).status == "pending_payment"

    assert await sale.reconcile(now=payment.updated_at + GRACE + timedelta(seconds=1)) == 1

    done = await sale.payment(payment.id)
    assert (done.status, done.provider_ref) == ("succeeded", f"test_{payment.id}")
    assert (await sale.order()).status == "paid"
    res = await sale.reservation()
    assert (res.status, res.order_id) == ("converted", sale.order_id)
    # Settled once: the next round has nothing left to do.
    assert await sale.reconcile(now=payment.updated_at + 2 * GRACE) == 0
    assert sale.bank.ledger(payment.id) == (TOTAL_MINOR, "USD", "succeeded")


async def test_a_payment_younger_than_the_grace_period_is_left_alone(sale: Sale) -> None:
    """Its charge may still be on its way to the bank: failing it as never submitted now
    would leave a charge that lands a moment later without its order."""
    sale.bank.unreachable = True
    payment = await sale.pay_and_crash()

    for age in (timedelta(0), timedelta(seconds=10), GRACE - timedelta(seconds=1)):
        assert await sale.reconcile(now=payment.updated_at + age) == 0
        assert (await sale.payment(payment.id)).status == "processing"
    assert sale.bank.retrieved == []

    assert await sale.reconcile(now=payment.updated_at + GRACE + timedelta(seconds=1)) == 1
    assert (await sale.payment(payment.id)).status == "failed"


async def test_a_payment_waiting_for_3ds_is_left_to_the_buyer_and_does_not_hold_up_others(
        sale: Sale, app_client: httpx.AsyncClient, stores: Stores, settings: Settings,
        tmp_path: Path) -> None:
    _order, waiting = await sale.pay(card=NEEDS_3DS)
    assert waiting.status == "requires_action"
    # Another buyer's payment, made after it, that never reached the bank.
    _shop, other_buyer, other_order = await pending_order(app_client, stores, settings, "US")
    other = Sale(sale.shop, other_buyer, other_order, sale.bank, stores)
    sale.bank.unreachable = True
    lost = await other.pay_and_crash()

    later = max(waiting.updated_at, lost.updated_at) + GRACE + timedelta(seconds=1)
    assert await sale.reconcile(now=later) == 1

    still = await sale.payment(waiting.id)
    assert (still.status, still.action_url) == ("requires_action", waiting.action_url)
    assert (await sale.order()).status == "pending_payment"
    assert (await other.payment(lost.id)).decline_code == "not_submitted"


@pytest.mark.parametrize("approve", [True, False], ids=["approved", "declined"])
async def test_a_3ds_answer_that_never_came_back_to_us_is_picked_up_from_the_bank(
        sale: Sale, approve: bool) -> None:
    """The buyer answered on the bank's page and closed the tab before returning."""
    _order, waiting = await sale.pay(card=NEEDS_3DS)
    assert waiting.status == "requires_action"
    await sale.bank.buyer_answers_3ds(waiting.id, approve)

    assert await sale.reconcile(now=waiting.updated_at + GRACE + timedelta(seconds=1)) == 1

    settled = await sale.payment(waiting.id)
    if approve:
        assert settled.status == "succeeded" and (await sale.order()).status == "paid"
    else:
        assert (settled.status, settled.decline_code) == ("failed", "authentication_failed")
        assert (await sale.order()).status == "pending_payment"


async def test_payments_of_another_provider_are_left_to_that_providers_reconciler(
        sale: Sale, tmp_path: Path) -> None:
    """The test bank cannot know a payment made elsewhere: asking it would find nothing,
    and the payment would wrongly be failed as never submitted."""
    other_bank = Bank(tmp_path / "elsewhere", name="elsewhere")
    try:
        other_bank.lost_answer = True
        payment = await sale.pay_and_crash(bank=other_bank)
        later = payment.updated_at + GRACE + timedelta(seconds=1)

        assert await sale.reconcile(now=later) == 0
        assert sale.bank.retrieved == []
        assert (await sale.payment(payment.id)).status == "processing"

        assert await service.reconcile(sale.stores, other_bank, now=later) == 1
        assert (await sale.payment(payment.id)).status == "succeeded"
        assert (await sale.order()).status == "paid"

        # Cancelled, its refund unconfirmed: the money is owed through the other provider.
        other_bank.refunds = "unconfirmed"
        await service.transition(sale.stores, other_bank, sale.shop.tenant.actor,
                                 sale.order_id, TransitionIn(to="cancelled", reason="x"))  # type: ignore[arg-type]
        other_bank.refunds = "ok"
        assert await sale.reconcile(now=later) == 0
        assert sale.bank.refund_calls == []
        assert await service.reconcile(sale.stores, other_bank, now=later) == 1
        assert (await sale.payment(payment.id)).status == "refunded"
    finally:
        other_bank.close()


# --- succeeded payments whose order did not follow -------------------------------------------

async def test_a_succeeded_payment_on_an_order_still_awaiting_payment_completes_the_order(
        sale: Sale) -> None:
    """A crash between recording the charge and moving the order leaves the payment
    succeeded and the order pending: reconciling finishes the move, charging nothing."""
    _order, payment = await sale.pay()
    async with sale.stores.session(sale.region) as r:  # the state the crash leaves
        await r.execute(update(Order).where(Order.id == sale.order_id).values(
            status="pending_payment"))
        await r.commit()

    assert await sale.reconcile(now=payment.updated_at + GRACE) == 1

    assert (await sale.order()).status == "paid"
    assert [p.status for p in await sale.payments()] == ["succeeded"]
    assert sale.bank.ledger(payment.id) == (TOTAL_MINOR, "USD", "succeeded")
    assert await sale.reconcile(now=payment.updated_at + GRACE) == 0


async def test_an_order_that_cannot_be_completed_now_is_logged_and_completed_next_round(
        sale: Sale, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
        ) -> None:
    """The regional store refuses the order's move for a moment (a fault injected where the
    order is moved): the payment's id is logged and the next round completes it."""
    _order, payment = await sale.pay()
    async with sale.stores.session(sale.region) as r:  # the state the crash leaves
        await r.execute(update(Order).where(Order.id == sale.order_id).values(
            status="pending_payment"))
        await r.commit()

    class StoreBusy(Exception):
        pass

    async def busy(*_args: object, **_kw: object) -> Order:
        raise StoreBusy("database is locked")

    with monkeypatch.context() as patch:
        patch.setattr(service, "_move", busy)
        with caplog.at_level(logging.ERROR, logger="chuhai.checkout"):
            assert await sale.reconcile(now=payment.updated_at + GRACE) == 0
    assert_logged_once(caplog, payment.id, StoreBusy)
    assert (await sale.order()).status == "pending_payment"

    assert await sale.reconcile(now=payment.updated_at + GRACE) == 1
    assert (await sale.order()).status == "paid"


# --- money kept on a cancelled order -----------------------------------------------------------

async def test_a_refund_that_could_not_reach_the_bank_is_logged_and_retried(
        sale: Sale, caplog: pytest.LogCaptureFixture) -> None:
    _order, payment = await sale.pay()
    sale.bank.refunds = "unconfirmed"
    await service.transition(sale.stores, sale.bank, sale.shop.tenant.actor, sale.order_id,
                             TransitionIn(to="cancelled", reason="out of stock"))  # type: ignore[arg-type]
    assert [p.status for p in await sale.payments()] == ["succeeded"]  # still owed
    now = payment.updated_at + GRACE

    sale.bank.refunds = "unreachable"
    with caplog.at_level(logging.ERROR, logger="chuhai.checkout"):
        assert await sale.reconcile(now=now) == 0
    assert_logged_once(caplog, sale.order_id)
    assert [p.status for p in await sale.payments()] == ["succeeded"]

    sale.bank.refunds = "ok"
    assert await sale.reconcile(now=now) == 1
    assert [p.status for p in await sale.payments()] == ["refunded"]
    assert sale.bank.ledger(payment.id) == (TOTAL_MINOR, "USD", "refunded")


# --- one payment's trouble does not stop the others -------------------------------------------

async def test_a_payment_that_cannot_be_settled_is_logged_and_retried_next_round(
        sale: Sale, caplog: pytest.LogCaptureFixture) -> None:
    """The bank charged, the answer was lost, and by the time the reconciler asks, the hold
    has lapsed: the charge must be refunded — but the bank is down for refunds. The payment
    stays open, its id is in the log, and the next round finishes it."""
    sale.bank.lost_answer = True
    payment = await sale.pay_and_crash()
    later = (await sale.reservation()).expires_at + timedelta(minutes=1)
    await sweeper.sweep(sale.stores, now=later)
    assert (await sale.reservation()).status == "expired"

    sale.bank.refunds = "unreachable"
    with caplog.at_level(logging.ERROR, logger="chuhai.checkout"):
        assert await sale.reconcile(now=later) == 0
    assert_logged_once(caplog, payment.id)
    assert (await sale.payment(payment.id)).status == "processing"

    sale.bank.refunds = "ok"
    assert await sale.reconcile(now=later) == 1
    assert (await sale.payment(payment.id)).status == "refunded"
    assert (await sale.order()).status == "cancelled"
    assert sale.bank.ledger(payment.id) == (TOTAL_MINOR, "USD", "refunded")


# --- the answer ------------------------------------------------------------------------------

async def test_the_answer_counts_every_payment_settled_in_the_round(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings,
        tmp_path: Path) -> None:
    """Four buyers of one drop: two paid orders a crash left awaiting payment, one
    cancelled order whose refund went unconfirmed, one payment that never reached the
    bank. One round settles all four."""
    shop = await make_shop(stores, settings, app_client)
    drop = await start_drop(app_client, shop, ("US",), quantity=4)
    bank = Bank(tmp_path)
    try:
        sales = []
        for _ in range(4):
            buyer = await make_buyer(stores, settings, "US")
            order_id = await buy_from_drop(app_client, drop, buyer, ADDRESSES["US"],
                                           pay=False)
            sales.append(Sale(shop, buyer, order_id, bank, stores))
        stuck_1, stuck_2, owed, lost = sales
        for sale in (stuck_1, stuck_2, owed):
            await sale.pay()
        for sale in (stuck_1, stuck_2):  # the state a crash before the move leaves
            async with stores.session(sale.region) as r:
                await r.execute(update(Order).where(Order.id == sale.order_id).values(
                    status="pending_payment"))
                await r.commit()
        bank.refunds = "unconfirmed"
        await service.transition(stores, bank, shop.tenant.actor, owed.order_id,
                                 TransitionIn(to="cancelled", reason="x"))  # type: ignore[arg-type]
        bank.refunds = "ok"
        bank.unreachable = True
        payment = await lost.pay_and_crash()

        later = payment.updated_at + GRACE + timedelta(seconds=1)
        assert await lost.reconcile(now=later) == 4

        assert [(await s.order()).status for s in sales] == [
            "paid", "paid", "cancelled", "pending_payment"]
        assert [[p.status for p in await s.payments()] for s in sales] == [
            ["succeeded"], ["succeeded"], ["refunded"], ["failed"]]
        assert await lost.reconcile(now=later) == 0
    finally:
        bank.close()


async def test_a_buyer_who_retried_after_a_lost_answer_is_charged_once(sale):
    """The first answer was lost after the bank charged; the buyer paid again and that
    charge succeeded too. The order is paid once: the reconciler refunds the first charge
    (the one the order did not keep), and a second round changes nothing."""
    sale.bank.lost_answer = True
    first = await sale.pay_and_crash()
    sale.bank.lost_answer = False  # the buyer tries again, with a new key
    order, second = await sale.pay()
    assert (order.status, second.status) == ("paid", "succeeded")
    settled = await sale.reconcile(now=first.updated_at + GRACE + timedelta(seconds=1))
    assert settled >= 1
    statuses = {p.id: p.status for p in await sale.payments()}
    assert sorted(statuses.values()) == ["refunded", "succeeded"]
    assert sale.bank.ledger(first.id)[2] == "refunded" or \
        sale.bank.ledger(second.id)[2] == "refunded"
    assert (await sale.order()).status == "paid"
    assert await sale.reconcile(now=first.updated_at + 10 * GRACE) == 0


async def test_a_second_charge_whose_refund_did_not_go_through_is_refunded_next_round(sale):
    sale.bank.lost_answer = True
    first = await sale.pay_and_crash()
    sale.bank.lost_answer = False
    await sale.pay()
    sale.bank.refunds = "unconfirmed"
    await sale.reconcile(now=first.updated_at + GRACE + timedelta(seconds=1))
    assert sorted(p.status for p in await sale.payments()) == ["succeeded", "succeeded"]
    sale.bank.refunds = "ok"
    assert await sale.reconcile(now=first.updated_at + 2 * GRACE) == 1
    assert sorted(p.status for p in await sale.payments()) == ["refunded", "succeeded"]


async def test_a_second_charge_is_found_among_more_paid_orders_than_one_round_looks_at(
        sale: Sale) -> None:
    """A round looks at a batch of orders (200). A region with more paid orders than that,
    each charged once, must not hide the one order charged twice: its second charge is
    refunded in the first round. (The order charged twice is the newest.)"""
    async with sale.stores.session(sale.region) as r:
        template = await r.scalar(select(Order).where(Order.id == sale.order_id))
        assert template is not None
        columns = {c.key: getattr(template, c.key) for c in Order.__table__.columns}

        def paid_order(n: int, charges: int) -> tuple[Order, list[Payment]]:
            order = Order(**{**columns, "id": new_id("ord"), "status": "paid",
                             "reservation_id": new_id("res"), "idempotency_key": f"copy-{n}"})
            return order, [Payment(id=new_id("pay"), region=sale.region, order_id=order.id,
                                   provider=sale.bank.name, status="succeeded",
                                   amount_minor=TOTAL_MINOR, currency="USD", card_last4="4242",
                                   idempotency_key=f"charge-{c}") for c in range(charges)]

        for n in range(200):
            order, payments = paid_order(n, charges=1)
            r.add_all([order, *payments])
        await r.flush()
        await asyncio.sleep(0.002)  # the next ids are of a later millisecond
        twice, charges = paid_order(200, charges=2)
        first, second = sorted(charges, key=lambda p: p.id)
        r.add_all([twice, *charges])
        await r.commit()
    for p in (first, second):
        await sale.bank.charge(p.id, TOTAL_MINOR, "USD", SUCCEEDS, "")

    assert await sale.reconcile(now=utcnow()) == 1

    async with sale.stores.session(sale.region) as r:
        kept = (await r.scalars(select(Payment).where(Payment.order_id == twice.id)
                                .order_by(Payment.id))).all()
    assert [(p.id, p.status) for p in kept] == [(first.id, "succeeded"), (second.id, "refunded")]
    assert sale.bank.refund_calls == [second.id]
    assert sale.bank.ledger(second.id) == (TOTAL_MINOR, "USD", "refunded")
