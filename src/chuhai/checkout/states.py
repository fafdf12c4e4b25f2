"""The order state machine. Pure: no I/O.

``pending_payment → paid → allocated → shipped → delivered`` is the happy path. An order can
be cancelled before it ships (a paid one is refunded on the way), refunded after payment,
and returned once delivered. Anything else is refused with a stable code, so a double click
or a replayed webhook can never move an order backwards.
"""

from __future__ import annotations

from enum import StrEnum

from chuhai.core.errors import Conflict


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    ALLOCATED = "allocated"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    RETURNED = "returned"


S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.ALLOCATED, S.CANCELLED, S.REFUNDED}),
    S.ALLOCATED: frozenset({S.SHIPPED, S.CANCELLED, S.REFUNDED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.RETURNED}),
    S.DELIVERED: frozenset({S.RETURNED, S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
    S.RETURNED: frozenset({S.REFUNDED}),
}
TERMINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
# Transitions staff may make by hand; payment ones come from the payment flow only.
STAFF_MOVES = frozenset({S.ALLOCATED, S.SHIPPED, S.DELIVERED, S.CANCELLED, S.REFUNDED,
                         S.RETURNED})


class InvalidTransition(Conflict):
    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"an order that is {current} cannot become {wanted}",
                         code="invalid_transition")
        self.extra.update({"from": current, "to": wanted})


def check(current: str, wanted: str) -> OrderStatus:
    """The target status if ``current → wanted`` is allowed; raises otherwise."""
    try:
        frm, to = OrderStatus(current), OrderStatus(wanted)
    except ValueError:
        raise InvalidTransition(current, wanted) from None
    if to not in TRANSITIONS[frm]:
        raise InvalidTransition(current, wanted)
    return to
