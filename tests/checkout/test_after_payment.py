"""After the money is taken: cancelling, refunding and returning a paid order.

What each path must do, as the selling guide states it (docs/selling.md, "Orders and
payments"): cancelling or refunding a paid order refunds the payment — once, for what was
charged; stock follows with ledger entries (a cancelled unit is no longer reserved, a
returned one is back on hand); every move is recorded with its actor and announced to
webhooks; and a hold that lapses while the bank is answering ends in a refund, not in a
charge without goods.

One unit of a US drop (3 units from the US-W warehouse, which starts with 100 on hand) is
bought for 39.13 USD (worked in ``tests/checkout/orders.py``). The bank is the test
provider with a record of what it was asked; its own ledger is read back from its file.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from chuhai.checkout import service
from chuhai.checkout.payments import ChargeResult, ChargeStatus
from chuhai.checkout.states import InvalidTransition
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.errors import Conflict
from chuhai.core.outbox import RegionalOutbox
from chuhai.inventory import stock, sweeper
from chuhai.inventory.ledger import Levels
from chuhai.inventory.models import Reservation, StockEntry
from tests.checkout import orders
from tests.checkout.orders import WORKED, pending_order
from tests.factories import idempotency_key

TOTAL_MINOR = WORKED["US"][2]  # 39.13 USD
TOTAL = WORKED["US"][1]["total"]
SELL = ("sell", 0, -1, 1)       # (kind, on_hand, allocated, reserved) moved by an entry
RELEASE = ("release", 0, 0, -1)
SHIP = ("ship", -1, 0, -1)
RETURN = ("return", 1, 0, 0)


class Bank(orders.Bank):
    """The test provider, remembering every charge and refund it was asked for."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.charges: list[tuple[str, int, str]] = []
        self.refunds: list[str] = []
        self.while_answering: Callable[[], Awaitable[object]] | None = None
        self.while_refunding: Callable[[], Awaitable[object]] | None = None
        self.refuse_refunds = 0  # this many refund calls fail (the bank is down)

    async def charge(self, payment_id: str, amount_minor: int, currency: str, method: str,
                     return_url: str) -> ChargeResult:
        self.charges.append((payment_id, amount_minor, currency))
        result = await super().charge(payment_id, amount_minor, currency, method, return_url)
        if self.while_answering is not None:
            await self.while_answering()
        return result

    async def refund(self, payment_id: str) -> ChargeResult:
        self.refunds.append(payment_id)
        if self.while_refunding is not None:
            hook, self.while_refunding = self.while_refunding, None
            await hook()
        if self.refuse_refunds:
            self.refuse_refunds -= 1
            return ChargeResult(ChargeStatus.SUCCEEDED, f"test_{payment_id}", "refund_failed")
        return await super().refund(payment_id)


class Sale(orders.Sale[Bank]):
    async def entries(self) -> list[tuple[str, int, int, int]]:
        """The stock ledger's entries made for this order, in order."""
        async with self.stores.session() as s:
            rows = (await s.scalars(select(StockEntry).where(
                StockEntry.ref == self.order_id).order_by(StockEntry.id))).all()
        return [(e.kind, e.d_on_hand, e.d_allocated, e.d_reserved) for e in rows]

    async def webhooks(self) -> list[tuple[str, str, str]]:
        """(event type, status, total) of this order's events in the outbox, in order."""
        async with self.stores.session(self.region) as r:
            rows = (await r.scalars(select(RegionalOutbox).order_by(RegionalOutbox.id))).all()
        out = []
        for row in rows:
            data = row.payload["data"]
            if data.get("order_id") == self.order_id:
                out.append((row.type, data["status"], data["total"]))
        return out


@pytest.fixture
async def sale(app_client: httpx.AsyncClient, stores: Stores, settings: Settings,
               tmp_path: Path) -> AsyncIterator[Sale]:
    """A US buyer's order of one unit, awaiting payment."""
    shop, buyer, order_id = await pending_order(app_client, stores, settings, "US")
    bank = Bank(tmp_path)
    yield Sale(shop, buyer, order_id, bank, stores)
    bank.close()


@pytest.fixture
async def paid(sale: Sale) -> Sale:
    order, payment = await sale.pay()
    assert (order.status, payment.status) == ("paid", "succeeded")
    assert sale.bank.charges == [(payment.id, TOTAL_MINOR, "USD")]
    assert await sale.levels() == Levels(on_hand=100, allocated=2, reserved=1)
    assert await sale.entries() == [SELL]
    return sale


async def assert_stock_ledger_consistent(stores: Stores) -> None:
    async with stores.session() as s:
        _n, mismatches = await stock.check(s)
    assert mismatches == []


@pytest.mark.parametrize("before", [(), ("allocated",)], ids=["paid", "allocated"])
@pytest.mark.parametrize("to", ["cancelled", "refunded"])
async def test_cancelling_or_refunding_before_shipment_refunds_the_total_once_and_frees_the_unit(
        paid: Sale, before: tuple[str, ...], to: str) -> None:
    staff = paid.shop.tenant.actor
    for step in before:
        await paid.move(step)
    [payment] = await paid.payments()

    moved = await paid.move(to, reason="the buyer changed their mind")

    assert moved.status == to
    assert paid.bank.refunds == [payment.id]
    assert paid.bank.ledger(payment.id) == (TOTAL_MINOR, "USD", "refunded")
    assert [p.status for p in await paid.payments()] == ["refunded"]
    # The unit is no longer promised to anyone: available again in US-W (2 stay with the drop).
    assert await paid.entries() == [SELL, RELEASE]
    assert await paid.levels() == Levels(on_hand=100, allocated=2, reserved=0)
    await assert_stock_ledger_consistent(paid.stores)
    steps = ["pending_payment", "paid", *before, to]
    assert [e[1] for e in await paid.history()] == steps
    assert (await paid.history())[-1] == (steps[-2], to, staff.subject_id, "staff")
    assert await paid.webhooks() == [
        ("order.created", "pending_payment", TOTAL), ("order.paid", "paid", TOTAL),
        *((f"order.{s}", s, TOTAL) for s in before), (f"order.{to}", to, TOTAL)]

    # Asked again — by a double click, a retried request or the other exit — nothing moves.
    for again in ("cancelled", "refunded"):
        with pytest.raises(InvalidTransition) as err:
            await paid.move(again)
        assert err.value.code == "invalid_transition"
    assert paid.bank.refunds == [payment.id]
    assert await paid.entries() == [SELL, RELEASE]
    assert len(await paid.webhooks()) == len(steps)


@pytest.mark.parametrize("delivered", [True, False], ids=["after-delivery", "in-transit"])
async def test_a_returned_parcel_is_back_on_hand_and_its_refund_is_paid_once(
        paid: Sale, delivered: bool) -> None:
    for step in ("allocated", "shipped", *(("delivered",) if delivered else ())):
        await paid.move(step)
    [payment] = await paid.payments()
    assert await paid.levels() == Levels(on_hand=99, allocated=2, reserved=0)

    await paid.move("returned", reason="arrived damaged")
    assert await paid.entries() == [SELL, SHIP, RETURN]
    assert await paid.levels() == Levels(on_hand=100, allocated=2, reserved=0)
    assert paid.bank.refunds == []  # the parcel is back; the money follows on "refunded"

    await paid.move("refunded")
    assert paid.bank.refunds == [payment.id]
    assert paid.bank.ledger(payment.id) == (TOTAL_MINOR, "USD", "refunded")
    assert await paid.entries() == [SELL, SHIP, RETURN]  # the unit came back once
    await assert_stock_ledger_consistent(paid.stores)
    hooks = [t for t, _s, _total in await paid.webhooks()]
    assert hooks[-2:] == ["order.returned", "order.refunded"]
    with pytest.raises(InvalidTransition):
        await paid.move("refunded")
    assert paid.bank.refunds == [payment.id]


async def test_a_delivered_order_refunded_without_a_return_keeps_its_unit_out(
        paid: Sale) -> None:
    for step in ("allocated", "shipped", "delivered"):
        await paid.move(step)
    [payment] = await paid.payments()
    await paid.move("refunded", reason="goodwill")
    assert paid.bank.refunds == [payment.id]
    assert await paid.entries() == [SELL, SHIP]
    assert await paid.levels() == Levels(on_hand=99, allocated=2, reserved=0)


@pytest.mark.parametrize("reached", ["shipped", "delivered"])
async def test_a_shipped_or_delivered_order_cannot_be_cancelled(paid: Sale,
                                                                reached: str) -> None:
    path = ["allocated", "shipped", "delivered"]
    for step in path[:path.index(reached) + 1]:
        await paid.move(step)
    entries, levels, hooks = await paid.entries(), await paid.levels(), await paid.webhooks()

    with pytest.raises(InvalidTransition) as err:
        await paid.move("cancelled")

    assert (err.value.code, err.value.status) == ("invalid_transition", 409)
    assert err.value.extra == {"from": reached, "to": "cancelled"}
    assert (await paid.order()).status == reached
    assert paid.bank.refunds == []
    assert [p.status for p in await paid.payments()] == ["succeeded"]
    assert await paid.entries() == entries and await paid.levels() == levels
    assert await paid.webhooks() == hooks


async def test_a_cancel_that_loses_the_race_with_shipping_refunds_nothing(
        paid: Sale) -> None:
    """Two staff members at once: one cancels the allocated order while the other ships
    it. Whoever moves the order first wins; the parcel that left is not refunded."""
    await paid.move("allocated")
    [payment] = await paid.payments()

    async def ship_meanwhile() -> None:
        with contextlib.suppress(InvalidTransition):  # the other request's own answer
            await paid.move("shipped", reason="picked up by the courier")

    paid.bank.while_refunding = ship_meanwhile
    with contextlib.suppress(InvalidTransition):  # if shipping won
        await paid.move("cancelled")
    order = await paid.order()
    if order.status == "shipped":
        assert paid.bank.ledger(payment.id) == (TOTAL_MINOR, "USD", "succeeded")
        assert [p.status for p in await paid.payments()] == ["succeeded"]
        assert await paid.entries() == [SELL, SHIP]
    else:  # cancelling won: refunded, and the unit was not shipped
        assert order.status == "cancelled"
        assert paid.bank.ledger(payment.id) == (TOTAL_MINOR, "USD", "refunded")
        assert await paid.entries() == [SELL, RELEASE]
    await assert_stock_ledger_consistent(paid.stores)


async def test_a_refund_the_bank_did_not_confirm_is_retried_by_reconciliation(
        paid: Sale) -> None:
    [payment] = await paid.payments()
    paid.bank.refuse_refunds = 1

    await paid.move("cancelled")

    assert (await paid.order()).status == "cancelled"
    assert [p.status for p in await paid.payments()] == ["succeeded"]  # still owed
    assert paid.bank.ledger(payment.id) == (TOTAL_MINOR, "USD", "succeeded")
    assert await paid.entries() == [SELL, RELEASE]  # the unit is free all the same

    assert await service.reconcile(paid.stores, paid.bank, older_than=timedelta(0)) == 1
    assert paid.bank.refunds == [payment.id, payment.id]
    assert paid.bank.ledger(payment.id) == (TOTAL_MINOR, "USD", "refunded")
    assert [p.status for p in await paid.payments()] == ["refunded"]
    assert await service.reconcile(paid.stores, paid.bank, older_than=timedelta(0)) == 0
    assert len(paid.bank.refunds) == 2


async def test_cancelling_an_unpaid_order_refunds_nothing(sale: Sale) -> None:
    await sale.move("cancelled")
    assert sale.bank.refunds == [] and await sale.payments() == []
    assert await sale.entries() == []


async def test_a_hold_that_lapses_while_the_bank_answers_is_refunded_and_the_order_cancelled(
        sale: Sale) -> None:
    """The charge succeeds, but by the time the bank answers the sweeper has expired the
    reservation (and the drop, now over, has given its units back to the warehouse)."""
    later = utcnow() + timedelta(hours=2)
    sale.bank.while_answering = lambda: sweeper.sweep(sale.stores, now=later)
    key = idempotency_key()

    order, payment = await sale.pay(key)

    assert (order.status, payment.status) == ("cancelled", "refunded")
    assert sale.bank.charges == [(payment.id, TOTAL_MINOR, "USD")]
    assert sale.bank.refunds == [payment.id]
    assert sale.bank.ledger(payment.id) == (TOTAL_MINOR, "USD", "refunded")
    async with sale.stores.session() as s:
        res = await s.scalar(select(Reservation).where(Reservation.id == order.reservation_id))
    assert res is not None and (res.status, res.order_id) == ("expired", None)
    assert await sale.entries() == []  # never sold
    assert await sale.levels() == Levels(on_hand=100, allocated=0, reserved=0)
    await assert_stock_ledger_consistent(sale.stores)
    assert await sale.history() == [(None, "pending_payment", sale.buyer.actor.subject_id,
                                     "customer"),
                                    ("pending_payment", "cancelled", "system", "system")]
    assert await sale.webhooks() == [("order.created", "pending_payment", TOTAL),
                                     ("order.cancelled", "cancelled", TOTAL)]

    # The buyer's retry and the reconciler both see a finished payment: nothing moves again.
    again_order, again_payment = await sale.pay(key)
    assert (again_order.status, again_payment.id) == ("cancelled", payment.id)
    assert await service.reconcile(sale.stores, sale.bank, older_than=timedelta(0)) == 0
    assert len(sale.bank.charges) == 1 and sale.bank.refunds == [payment.id]
    with pytest.raises(Conflict) as err:
        await sale.pay()
    assert err.value.code == "order_not_payable"


async def test_a_hold_that_lapsed_before_paying_is_never_charged(sale: Sale) -> None:
    await sweeper.sweep(sale.stores, now=utcnow() + timedelta(hours=2))
    with pytest.raises(Conflict) as err:
        await sale.pay()
    assert err.value.code == "reservation_expired"
    assert sale.bank.charges == [] and sale.bank.refunds == []
    assert (await sale.order()).status == "cancelled"
    assert await sale.payments() == []
