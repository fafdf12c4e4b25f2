"""The order state machine, checked against the business rules as written out here — not
against the table the code reads (``states.TRANSITIONS``), so a wrong entry there fails.

The rules (docs/selling.md, "Orders and payments"): the happy path is
pending_payment → paid → allocated → shipped → delivered. An order can be cancelled until
it ships (a paid one is refunded on the way); once a parcel has left it can only come
back (returned) or, once delivered, be refunded; a returned order is then refunded.
Cancelled and refunded are final, and nothing ever goes back to awaiting payment.
"""

from __future__ import annotations

import itertools

import pytest

from chuhai.checkout import states
from chuhai.checkout.states import InvalidTransition, OrderStatus

STATUSES = ["pending_payment", "paid", "allocated", "shipped", "delivered", "cancelled",
            "refunded", "returned"]
HAPPY = ["pending_payment", "paid", "allocated", "shipped", "delivered"]

ALLOWED = {
    ("pending_payment", "paid"),       # the charge succeeded
    ("pending_payment", "cancelled"),  # never paid, or the hold lapsed: nothing to refund
    ("paid", "allocated"),             # units picked in the warehouse
    ("paid", "cancelled"),             # cancelled before shipping: refunded on the way
    ("paid", "refunded"),
    ("allocated", "shipped"),
    ("allocated", "cancelled"),        # still in the warehouse: can be cancelled
    ("allocated", "refunded"),
    ("shipped", "delivered"),
    ("shipped", "returned"),           # refused at the door, sent back in transit
    ("delivered", "returned"),
    ("delivered", "refunded"),         # a goodwill refund without a return
    ("returned", "refunded"),          # the parcel is back: the money follows
}

# The refusals a reader would look for first, each with its reason.
FORBIDDEN = {
    ("shipped", "cancelled"): "the parcel has left: it can only come back",
    ("delivered", "cancelled"): "the buyer has it: return or refund it",
    ("shipped", "refunded"): "money goes back once the parcel is delivered or returned",
    ("pending_payment", "refunded"): "nothing was paid",
    ("pending_payment", "shipped"): "unpaid goods never ship",
    ("paid", "shipped"): "units are allocated before they ship",
    ("pending_payment", "returned"): "nothing was sent",
    ("paid", "returned"): "nothing was sent",
    ("allocated", "returned"): "nothing was sent",
    ("delivered", "shipped"): "no way back along the happy path",
    ("paid", "pending_payment"): "a paid order never awaits payment again",
    ("cancelled", "paid"): "a cancelled order stays cancelled (a late charge is refunded)",
    ("cancelled", "refunded"): "cancelled is final",
    ("refunded", "returned"): "refunded is final",
    ("returned", "delivered"): "a returned parcel is not delivered again",
}


def test_the_rules_here_name_every_status_the_code_knows() -> None:
    assert sorted(STATUSES) == sorted(s.value for s in OrderStatus)
    assert not ALLOWED & set(FORBIDDEN)


def test_the_happy_path_is_allowed_step_by_step() -> None:
    for a, b in itertools.pairwise(HAPPY):
        assert (a, b) in ALLOWED
        assert states.check(a, b) == OrderStatus(b)


@pytest.mark.parametrize(("frm", "to"), sorted(ALLOWED))
def test_an_allowed_move_passes(frm: str, to: str) -> None:
    assert states.check(frm, to) == OrderStatus(to)


@pytest.mark.parametrize(("frm", "to"), [
    (a, b) for a in STATUSES for b in STATUSES if (a, b) not in ALLOWED])
def test_every_other_move_is_refused_with_invalid_transition(frm: str, to: str) -> None:
    with pytest.raises(InvalidTransition) as err:
        states.check(frm, to)
    assert err.value.code == "invalid_transition" and err.value.status == 409
    assert err.value.extra == {"from": frm, "to": to}


@pytest.mark.parametrize(("frm", "to"), sorted(FORBIDDEN), ids=lambda v: str(v))
def test_the_moves_a_reader_would_check_first_are_refused(frm: str, to: str) -> None:
    with pytest.raises(InvalidTransition):
        states.check(frm, to)


def test_cancelled_and_refunded_are_final_and_nothing_goes_back_to_awaiting_payment() -> None:
    final = {"cancelled", "refunded"}
    assert {str(s) for s in states.TERMINAL} == final
    for frm in final:
        for to in STATUSES:
            with pytest.raises(InvalidTransition):
                states.check(frm, to)
    for frm in STATUSES:
        with pytest.raises(InvalidTransition):
            states.check(frm, "pending_payment")


def test_staff_make_every_move_but_the_ones_payment_makes() -> None:
    assert {str(s) for s in states.STAFF_MOVES} == {
        "allocated", "shipped", "delivered", "cancelled", "refunded", "returned"}


def test_unknown_statuses_are_refused_not_crashed_on() -> None:
    with pytest.raises(InvalidTransition) as err:
        states.check("paid", "teleported")
    assert err.value.extra == {"from": "paid", "to": "teleported"}
    with pytest.raises(InvalidTransition) as err:
        states.check("limbo", "paid")
    assert err.value.extra == {"from": "limbo", "to": "paid"}


def test_the_refusal_says_in_words_what_cannot_happen() -> None:
    with pytest.raises(InvalidTransition) as err:
        states.check("shipped", "cancelled")
    assert str(err.value) == "an order that is shipped cannot become cancelled"
