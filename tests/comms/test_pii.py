"""PII in public chat is masked before broadcast and storage; ordinary numbers are not."""

from __future__ import annotations

import pytest

from chuhai.comms.screening.pii import luhn_ok, redact


@pytest.mark.parametrize(("text", "out", "kinds"), [
    ("mail me at lena@example.de", "mail me at [email hidden]", ("email",)),
    ("call +49 30 901820", "call [phone hidden]", ("phone",)),
    ("(415) 555-2671 is my cell", "[phone hidden] is my cell", ("phone",)),
    ("card 4111 1111 1111 1111 ok?", "card [card hidden] ok?", ("card",)),
    ("I live at 12 Baker Street, London", "I live at [address hidden], London", ("address",)),
    ("Hauptstraße 5, Berlin", "[address hidden], Berlin", ("address",)),
    ("15 rue de Rivoli, Paris", "[address hidden], Paris", ("address",)),
    ("Jl. Sudirman No. 5 Jakarta", "[address hidden] Jakarta", ("address",)),
    ("東京都港区六本木1-2-3", "[address hidden]", ("address",)),
])
def test_personal_data_is_masked(text, out, kinds):
    got = redact(text, regions=("DE", "US", "GB"))
    assert got.text == out and got.kinds == kinds


@pytest.mark.parametrize("text", [
    "order 12345 size 42", "it costs 1.299,00 €", "4 colours available",
    "best seller 2024, 30 days return", "the jacket is 100 cm long",
    "빨간색으로 3개 주세요", "XL로 2개요", "4111 1111 1111 1112",  # fails Luhn
])
def test_ordinary_numbers_stay(text):
    assert redact(text, regions=("DE", "US", "KR")).kinds == ()


def test_luhn():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
