"""The built-in test payment provider, as a buyer and the checkout see it.

The rules (the four cards are listed in docs/selling.md, "Test cards"): each of Stripe's
well-known test cards answers the same way every time — 4242 4242 4242 4242 succeeds,
4000 0000 0000 0002 is declined (card_declined), 4000 0000 0000 9995 is declined for
insufficient funds, 4000 0027 6000 3184 asks for 3-D Secure. Any other number that passes
the Luhn check succeeds; one that fails it, or is shorter than 12 digits, is refused as
``invalid_number``. A payment charged twice gets its first answer back and is never charged
again; only a succeeded charge can be refunded.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chuhai.checkout.payments import (
    DECLINED,
    INSUFFICIENT_FUNDS,
    NEEDS_3DS,
    SUCCEEDS,
    ChargeResult,
    ChargeStatus,
    TestProvider,
)


@pytest.fixture
def bank(tmp_path: Path):
    provider = TestProvider(tmp_path / "bank" / "testpay.db")
    yield provider
    provider.close()


async def _charge(bank: TestProvider, card: str, pid: str = "pay_1",
                  amount: int = 1999) -> ChargeResult:
    return await bank.charge(pid, amount, "EUR", card, "/back")


@pytest.mark.parametrize(("card", "status", "decline"), [
    (SUCCEEDS, ChargeStatus.SUCCEEDED, None),
    ("4242 4242 4242 4242", ChargeStatus.SUCCEEDED, None),  # spaces as typed
    (DECLINED, ChargeStatus.FAILED, "card_declined"),
    (INSUFFICIENT_FUNDS, ChargeStatus.FAILED, "insufficient_funds"),
    (NEEDS_3DS, ChargeStatus.REQUIRES_ACTION, None),
    # other numbers: the Luhn check decides (every second digit from the right doubled)
    ("5555555555554444", ChargeStatus.SUCCEEDED, None),   # Mastercard test number
    ("378282246310005", ChargeStatus.SUCCEEDED, None),    # Amex: odd length
    ("4000056655665556", ChargeStatus.SUCCEEDED, None),   # digits > 4 doubled past 9
    ("79927398713", ChargeStatus.FAILED, "invalid_number"),  # Luhn-valid but 11 digits
    ("079927398713", ChargeStatus.SUCCEEDED, None),       # the same with a 12th digit
    ("4242424242424241", ChargeStatus.FAILED, "invalid_number"),
    ("5555555555554445", ChargeStatus.FAILED, "invalid_number"),
    ("378282246310006", ChargeStatus.FAILED, "invalid_number"),
    ("", ChargeStatus.FAILED, "invalid_number"),
])
async def test_each_card_answers_as_documented(bank, card, status, decline) -> None:
    result = await _charge(bank, card)
    assert (result.status, result.decline_code) == (status, decline)
    assert result.provider_ref == "test_pay_1"
    assert (result.action_url is not None) == (status is ChargeStatus.REQUIRES_ACTION)


async def test_the_same_payment_is_charged_once_and_answers_the_same(bank) -> None:
    first = await _charge(bank, DECLINED, amount=1000)
    again = await _charge(bank, SUCCEEDS, amount=5000)  # a retry cannot change the answer
    assert again == first
    assert await bank.retrieve("pay_1") == first


async def test_3ds_sends_the_buyer_to_the_banks_page_then_their_answer_decides(bank) -> None:
    asked = await _charge(bank, NEEDS_3DS, "pay_a")
    assert asked.action_url == "/pay/3ds/pay_a"
    ok = await bank.authenticate("pay_a", approve=True)
    assert (ok.status, ok.decline_code, ok.action_url) == (ChargeStatus.SUCCEEDED, None, None)
    # answered once: a second answer changes nothing
    assert (await bank.authenticate("pay_a", approve=False)).status is ChargeStatus.SUCCEEDED

    await _charge(bank, NEEDS_3DS, "pay_b")
    no = await bank.authenticate("pay_b", approve=False)
    assert (no.status, no.decline_code) == (ChargeStatus.FAILED, "authentication_failed")


async def test_an_unknown_payment_is_not_found_nor_authenticated_nor_refunded(bank) -> None:
    assert await bank.retrieve("nope") is None
    assert await bank.authenticate("nope", approve=True) == ChargeResult(
        ChargeStatus.FAILED, "", "unknown_payment")
    assert await bank.refund("nope") == ChargeResult(ChargeStatus.FAILED, "", "unknown_payment")


async def test_only_a_succeeded_charge_is_refunded(bank) -> None:
    await _charge(bank, SUCCEEDS, "pay_ok")
    refunded = await bank.refund("pay_ok")
    assert (refunded.status, refunded.provider_ref) == (ChargeStatus.REFUNDED, "test_pay_ok")
    await _charge(bank, DECLINED, "pay_no")
    assert (await bank.refund("pay_no")).status is ChargeStatus.FAILED
    await _charge(bank, NEEDS_3DS, "pay_3ds")
    assert (await bank.refund("pay_3ds")).status is ChargeStatus.REQUIRES_ACTION


async def test_the_ledger_survives_a_new_provider_on_the_same_file(tmp_path: Path) -> None:
    first = TestProvider(tmp_path / "testpay.db")
    await _charge(first, SUCCEEDS, "pay_1")
    first.close()
    second = TestProvider(tmp_path / "testpay.db")
    try:
        assert (await second.retrieve("pay_1")).status is ChargeStatus.SUCCEEDED
    finally:
        second.close()
