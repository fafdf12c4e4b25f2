"""Paying, and moving an order on: the rules of docs/selling.md ("Orders and payments").

A payment request is idempotent per key — a replay answers as the first request did and
charges nothing, even when it finishes what a crash interrupted; the same key with another
card is ``idempotency_key_reused``. A payment that ended (succeeded, failed, refunded) is
not changed by a replayed callback. A hold that lapsed before paying cancels the order and
says why. Staff move an order one step at a time: of two moves made at once only one
happens (and money follows only that one), a shipped order carries its tracking number,
and every refusal says what is wrong.

One unit of a US drop, bought for 39.13 USD (worked in ``tests/checkout/orders.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from chuhai.checkout import service
from chuhai.checkout.models import Order
from chuhai.checkout.payments import (
    DECLINED,
    SUCCEEDS,
    ChargeResult,
    ChargeStatus,
)
from chuhai.checkout.states import InvalidTransition
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.errors import NotFound
from chuhai.core.idempotency import IdempotencyKeyReused
from chuhai.inventory import drops, sweeper
from chuhai.inventory.ledger import Levels
from tests.checkout import orders
from tests.checkout.orders import TRACKING, WORKED, pending_order
from tests.factories import idempotency_key, make_buyer

TOTAL_MINOR = WORKED["US"][2]


class Bank(orders.Bank):
    """The test provider, remembering the charges and refunds it was asked for."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.charges: list[str] = []
        self.refunds: list[str] = []

    async def charge(self, payment_id: str, amount_minor: int, currency: str, method: str,
                     return_url: str) -> ChargeResult:
        self.charges.append(payment_id)
        return await super().charge(payment_id, amount_minor, currency, method, return_url)

    async def refund(self, payment_id: str) -> ChargeResult:
        self.refunds.append(payment_id)
        return await super().refund(payment_id)


Sale = orders.Sale[Bank]


@pytest.fixture
async def sale(app_client: httpx.AsyncClient, stores: Stores, settings: Settings,
               tmp_path: Path) -> AsyncIterator[Sale]:
    shop, buyer, order_id = await pending_order(app_client, stores, settings, "US")
    bank = Bank(tmp_path)
    yield Sale(shop, buyer, order_id, bank, stores)
    bank.close()


# --- replays --------------------------------------------------------------------------------

async def test_a_replay_after_a_crash_between_the_charge_and_the_order_answers_paid(
        sale: Sale) -> None:
    """The charge succeeded and was recorded, then the process died before the order was
    marked paid. The buyer's app retries with the same key: the answer is the paid order
    and the payment that paid it, and the card is not charged again.

    (Only the answer is checked: this replay finishes the order while its own session of
    the regional store is open, and the rolled-back ``stores`` of the tests undo what an
    inner session commits when the outer one closes; real stores keep it.)"""
    key = idempotency_key()
    _order, payment = await sale.pay(key)
    async with sale.stores.session(sale.region) as r:  # the state the crash leaves
        await r.execute(update(Order).where(Order.id == sale.order_id).values(
            status="pending_payment"))
        await r.commit()

    order, again = await sale.pay(key)

    assert (order.id, order.status) == (sale.order_id, "paid")
    assert (again.id, again.status, again.provider_ref) == (
        payment.id, "succeeded", payment.provider_ref)
    assert sale.bank.charges == [payment.id]


class RivalPayment:
    """Another payment request for the order that gets through while this one is keeping
    the buyer's hold alive (between looking its key up and recording its payment)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch,
                 request: Callable[[], Awaitable[Any]]) -> None:
        self.request: Callable[[], Awaitable[Any]] | None = request
        real = drops.extend_hold

        async def extend_then_rival(*args: Any, **kw: Any) -> bool:
            alive = await real(*args, **kw)
            if self.request is not None:
                request, self.request = self.request, None
                await request()
            return alive

        monkeypatch.setattr(drops, "extend_hold", extend_then_rival)


async def test_two_racing_payments_with_one_key_and_two_cards_charge_once_and_refuse_one(
        sale: Sale, monkeypatch: pytest.MonkeyPatch) -> None:
    key = idempotency_key()
    RivalPayment(monkeypatch, lambda: sale.pay(key, card=DECLINED))

    with pytest.raises(IdempotencyKeyReused):
        await sale.pay(key, card=SUCCEEDS)

    [payment] = await sale.payments()
    assert (payment.status, payment.decline_code) == ("failed", "card_declined")
    assert sale.bank.charges == [payment.id]
    assert (await sale.order()).status == "pending_payment"


async def test_two_racing_payments_with_one_key_and_one_card_charge_once(
        sale: Sale, monkeypatch: pytest.MonkeyPatch) -> None:
    key = idempotency_key()
    RivalPayment(monkeypatch, lambda: sale.pay(key))

    _order, payment = await sale.pay(key)

    assert [p.id for p in await sale.payments()] == [payment.id]
    assert sale.bank.charges == [payment.id]
    assert (await sale.order()).status == "paid"


async def test_a_replayed_callback_changes_nothing_on_a_payment_that_failed(
        sale: Sale) -> None:
    """The bank declined; a callback about that payment delivered again later — even one
    that, out of order or forged, claims success — leaves it failed and the order payable,
    its units still held for the buyer."""
    _order, failed = await sale.pay(card=DECLINED)
    assert (failed.status, failed.decline_code) == ("failed", "card_declined")

    for late in (ChargeResult(ChargeStatus.FAILED, failed.provider_ref, "expired_card"),
                 ChargeResult(ChargeStatus.SUCCEEDED, failed.provider_ref)):
        order, payment = await service.apply_result(sale.stores, sale.bank, sale.region,
                                                    failed.id, late)
        assert (order.status, payment.status, payment.decline_code) == (
            "pending_payment", "failed", "card_declined")
    [still] = await sale.payments()
    assert (still.status, still.decline_code, still.updated_at) == (
        "failed", "card_declined", failed.updated_at)
    assert (await sale.reservation()).status == "held"
    assert sale.bank.refunds == []


async def test_a_callback_about_a_payment_we_do_not_have_is_payment_not_found(
        sale: Sale) -> None:
    with pytest.raises(NotFound) as err:
        await service.apply_result(sale.stores, sale.bank, sale.region, "pay_unknown",
                                   ChargeResult(ChargeStatus.SUCCEEDED, "test_pay_unknown"))
    assert err.value.code == "payment_not_found"
    assert "pay_unknown" in err.value.message


async def test_a_buyer_cannot_see_another_buyers_payment(
        sale: Sale, stores: Stores, settings: Settings) -> None:
    """What the bank's 3-D Secure page shows is the buyer's alone: to anyone else the
    payment does not exist, and the answer says which thing was not found."""
    _order, payment = await sale.pay()
    mine, _order, _merchant = await service.buyer_payment(stores, sale.buyer.actor, payment.id)
    assert mine.id == payment.id
    other = await make_buyer(stores, settings, "US")

    with pytest.raises(NotFound) as err:
        await service.buyer_payment(stores, other.actor, payment.id)

    assert (err.value.code, err.value.message) == (
        "payment_not_found", f"payment {payment.id} was not found")


async def test_paying_after_the_hold_lapsed_cancels_the_order_and_says_why(
        sale: Sale, app_client: httpx.AsyncClient) -> None:
    await sweeper.sweep(sale.stores, now=utcnow() + timedelta(hours=2))

    resp = await app_client.post(f"/api/orders/{sale.order_id}/pay",
                                 headers=sale.buyer.headers,
                                 json={"card_number": SUCCEEDS,
                                       "idempotency_key": idempotency_key()})

    assert resp.status_code == 409
    assert (resp.json()["code"], resp.json()["detail"]) == (
        "reservation_expired", "the reservation expired; the units went back on sale")
    order = (await app_client.get(f"/api/me/orders/{sale.order_id}",
                                  headers=sale.buyer.headers)).json()
    assert order["status"] == "cancelled"
    assert [(e["to_status"], e["actor_kind"], e["reason"]) for e in order["events"]][-1] == (
        "cancelled", "system", "reservation expired before payment")
    assert sale.bank.charges == []


# --- staff moves ----------------------------------------------------------------------------

async def test_a_shipped_order_carries_its_tracking_number_to_the_buyer(
        sale: Sale, app_client: httpx.AsyncClient) -> None:
    await sale.pay()
    await sale.move("allocated")

    shipped = await sale.move("shipped", tracking=TRACKING)

    assert (shipped.status, shipped.tracking) == ("shipped", TRACKING)
    seen = (await app_client.get(f"/api/me/orders/{sale.order_id}",
                                 headers=sale.buyer.headers)).json()
    assert (seen["status"], seen["tracking"]) == ("shipped", TRACKING)


async def test_shipping_without_a_tracking_number_is_refused_and_says_so(
        sale: Sale, app_client: httpx.AsyncClient) -> None:
    await sale.pay()
    await sale.move("allocated")

    resp = await app_client.post(f"/api/orders/{sale.order_id}/transitions",
                                 headers=sale.shop.tenant.headers, json={"to": "shipped"})

    assert resp.status_code == 422
    assert (resp.json()["code"], resp.json()["detail"]) == (
        "tracking_required", "a shipped order needs a tracking number")
    assert (await sale.order()).status == "allocated"


async def test_of_two_staff_moving_an_order_at_once_only_one_move_happens(
        sale: Sale, monkeypatch: pytest.MonkeyPatch) -> None:
    """One staff member cancels an order while another ships it. The shipment gets in
    first (between the canceller reading the order and moving it): the cancellation is
    refused, the parcel's payment is not refunded and its unit is not released."""
    await sale.pay()
    await sale.move("allocated")
    real = service.find_order
    rival: list[Callable[[], Awaitable[Order]]] = [
        lambda: sale.move("shipped", tracking=TRACKING)]

    async def read_then_rival_moves(*args: Any, **kw: Any) -> Order:
        order = await real(*args, **kw)
        if rival:
            await rival.pop()()
        return order

    monkeypatch.setattr(service, "find_order", read_then_rival_moves)

    with pytest.raises(InvalidTransition) as err:
        await sale.move("cancelled", reason="buyer asked")

    assert err.value.code == "invalid_transition"
    now = await sale.order()
    assert (now.status, now.tracking) == ("shipped", TRACKING)
    assert [h[1] for h in await sale.history()] == [
        "pending_payment", "paid", "allocated", "shipped"]
    assert sale.bank.refunds == []
    assert [p.status for p in await sale.payments()] == ["succeeded"]
    assert await sale.levels() == Levels(on_hand=99, allocated=2, reserved=0)  # shipped


async def test_a_move_raced_by_another_of_the_same_kind_happens_once(
        sale: Sale, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two staff members cancel the same paid order at once: one cancellation, one
    refund."""
    await sale.pay()
    real = service.find_order
    rival: list[Callable[[], Awaitable[Order]]] = [lambda: sale.move("cancelled")]

    async def read_then_rival_moves(*args: Any, **kw: Any) -> Order:
        order = await real(*args, **kw)
        if rival:
            await rival.pop()()
        return order

    monkeypatch.setattr(service, "find_order", read_then_rival_moves)

    with pytest.raises(InvalidTransition):
        await sale.move("cancelled")

    assert [h[1] for h in await sale.history()] == ["pending_payment", "paid", "cancelled"]
    assert len(sale.bank.refunds) == 1
