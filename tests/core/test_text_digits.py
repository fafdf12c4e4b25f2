"""Digits as a buyer's keyboard types them (core/text.py ``ascii_digits``): a card number,
postal code or phone number typed in Arabic-Indic, Persian, Thai, Devanagari or full-width
digits means the same number; everything else is left as it was."""

from __future__ import annotations

import pytest

from chuhai.checkout.schemas import PayIn
from chuhai.core.text import ascii_digits


@pytest.mark.parametrize(("typed", "meant"), [
    ("٤٢٤٢ ٤٢٤٢", "4242 4242"),        # Arabic-Indic (ar-SA keyboards)
    ("۴۲۴۲", "4242"),                  # Extended Arabic-Indic (Persian, Urdu)
    ("๔๒๔๒", "4242"),                  # Thai
    ("४२४२", "4242"),                  # Devanagari
    ("１００－０００１", "100-0001"),     # full-width, a Japanese postal code
    ("０３ー１２３４", "03-1234"),        # the long-vowel mark typed as a dash
    ("12345", "12345"),
    ("丸の内1-1", "丸の内1-1"),           # letters stay
    ("", ""),
])
def test_digits_of_any_script_read_as_ascii(typed, meant):
    assert ascii_digits(typed) == meant


def test_what_is_not_text_is_left_alone():
    assert ascii_digits(None) is None and ascii_digits(42) == 42


def test_a_card_number_typed_in_arabic_digits_is_the_same_card():
    paid = PayIn.model_validate({"card_number": "٤٢٤٢ ٤٢٤٢ ٤٢٤٢ ٤٢٤٢",
                                 "idempotency_key": "k-arabic-digits-1"})
    assert paid.card_number == "4242 4242 4242 4242"
    with pytest.raises(ValueError):
        PayIn.model_validate({"card_number": "٤٢٤٢<script>", "idempotency_key": "k-2-xxxxx"})
