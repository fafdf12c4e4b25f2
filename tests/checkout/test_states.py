"""The order state machine: the happy path, the exits, and everything else refused."""

from __future__ import annotations

import itertools

import pytest

from chuhai.checkout import states
from chuhai.checkout.states import TRANSITIONS, InvalidTransition, OrderStatus

HAPPY = ["pending_payment", "paid", "allocated", "shipped", "delivered"]


def test_the_happy_path_is_allowed_step_by_step() -> None:
    for a, b in itertools.pairwise(HAPPY):
        assert states.check(a, b) == OrderStatus(b)


@pytest.mark.parametrize("frm", list(OrderStatus))
@pytest.mark.parametrize("to", list(OrderStatus))
def test_only_listed_transitions_pass_and_the_rest_say_invalid_transition(
        frm: OrderStatus, to: OrderStatus) -> None:
    if to in TRANSITIONS[frm]:
        assert states.check(frm, to) is to
    else:
        with pytest.raises(InvalidTransition) as err:
            states.check(frm, to)
        assert err.value.code == "invalid_transition" and err.value.status == 409
        assert err.value.extra == {"from": str(frm), "to": str(to)}


def test_terminal_states_go_nowhere_and_nothing_goes_back_to_pending() -> None:
    assert {OrderStatus.CANCELLED, OrderStatus.REFUNDED} == states.TERMINAL
    assert all(OrderStatus.PENDING_PAYMENT not in nxt for nxt in TRANSITIONS.values())


def test_unknown_statuses_are_refused_not_crashed_on() -> None:
    with pytest.raises(InvalidTransition):
        states.check("paid", "teleported")
    with pytest.raises(InvalidTransition):
        states.check("limbo", "paid")
