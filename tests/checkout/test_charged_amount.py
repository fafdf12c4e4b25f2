"""The card is charged the order's total — goods, shipping, duty, tax and fees — in the
currency's own minor units: yen have none, euros and dollars two, Kuwaiti dinars three.

Each market's figures are worked out by hand (``orders.WORKED``) from the rule the quote
cites, and the amount is read back from the test provider's own ledger (the "bank"), not
from our tables. The dinar order is rewritten by hand (see ``orders.kuwaiti_order``): no
market chuhai has a profile for uses a three-decimal currency.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from chuhai.checkout import service
from chuhai.checkout.payments import SUCCEEDS, TestProvider
from chuhai.checkout.schemas import PayIn
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from tests.checkout.orders import KWD_TOTAL_MINOR, WORKED, kuwaiti_order, pending_order
from tests.factories import charge_at_test_bank, idempotency_key


@pytest.mark.parametrize("market", list(WORKED))
async def test_the_test_provider_is_asked_for_the_orders_total_in_minor_units(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings,
        market: str) -> None:
    _price, figures, total_minor = WORKED[market]
    _shop, buyer, order_id = await pending_order(app_client, stores, settings, market)

    before = (await app_client.get(f"/api/me/orders/{order_id}", headers=buyer.headers)).json()
    assert {k: before[k] for k in figures} == figures
    resp = await app_client.post(f"/api/orders/{order_id}/pay", headers=buyer.headers,
                                 json={"card_number": SUCCEEDS,
                                       "idempotency_key": idempotency_key()})
    assert resp.status_code == 200, resp.text
    paid = resp.json()
    assert paid["status"] == "paid"
    [payment] = paid["payments"]
    assert (payment["amount"], payment["currency"]) == (figures["total"], figures["currency"])
    assert charge_at_test_bank(settings.data_dir, payment["id"]) == (
        total_minor, figures["currency"], "succeeded")


async def test_a_three_decimal_currency_is_charged_in_thousandths(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings,
        tmp_path: Path) -> None:
    _shop, buyer, order_id = await kuwaiti_order(app_client, stores, settings)
    bank = TestProvider(tmp_path / "testpay.db")
    try:
        order, payment = await service.pay(stores, bank, buyer.actor, order_id, PayIn(
            card_number=SUCCEEDS, idempotency_key=idempotency_key()))
    finally:
        bank.close()
    assert order.status == "paid"
    assert (payment.amount_minor, payment.currency) == (KWD_TOTAL_MINOR, "KWD")
    assert charge_at_test_bank(tmp_path, payment.id) == (KWD_TOTAL_MINOR, "KWD", "succeeded")


def test_the_total_adds_every_part_of_the_quote() -> None:
    """No market chuhai ships with charges a fee at checkout yet (the worked orders above
    all have fees 0.00), so the sum is stated here with each part distinct."""
    quote = service.Quote(None, [], subtotal_minor=10000, shipping_minor=2000,  # type: ignore[arg-type]
                          min_days=1, max_days=2, warehouse_code="US-W", room_id=None,
                          duty_minor=300, tax_minor=40, fees_minor=5)
    assert quote.total_minor == 12345
