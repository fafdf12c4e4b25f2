"""The stock ledger's arithmetic: which buckets each entry kind moves, and what is refused.

The expected movements below are written out from the module's documentation, independently
of ``delta_for``, so that the property tests compare the code against the specification and
not against itself.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from chuhai.core.errors import Conflict, InvalidInput
from chuhai.inventory.ledger import (
    Delta,
    EntryKind,
    InsufficientStock,
    Levels,
    apply,
    delta_for,
    fold,
)

# (on_hand, allocated, reserved) moved per unit of quantity, as the docstrings describe them.
MOVES_PER_UNIT: dict[tuple[EntryKind, str], tuple[int, int, int]] = {
    (EntryKind.RECEIVE, "allocated"): (1, 0, 0),
    (EntryKind.ALLOCATE, "allocated"): (0, 1, 0),
    (EntryKind.RELEASE, "allocated"): (0, -1, 0),
    (EntryKind.RELEASE, "reserved"): (0, 0, -1),
    (EntryKind.RESERVE, "allocated"): (0, 0, 1),
    (EntryKind.SELL, "allocated"): (0, -1, 1),
    (EntryKind.SHIP, "allocated"): (-1, 0, -1),
    (EntryKind.RETURN, "allocated"): (1, 0, 0),
    (EntryKind.ADJUST, "allocated"): (1, 0, 0),
}

POSITIVE_ONLY_KINDS = [k for k in EntryKind if k is not EntryKind.ADJUST]


def expected_delta(kind: EntryKind, quantity: int, from_bucket: str = "allocated") -> Delta:
    bucket = from_bucket if kind is EntryKind.RELEASE else "allocated"
    oh, al, rs = MOVES_PER_UNIT[(kind, bucket)]
    return Delta(on_hand=oh * quantity, allocated=al * quantity, reserved=rs * quantity)


def model_apply(levels: Levels, delta: Delta) -> Levels:
    return Levels(levels.on_hand + delta.on_hand, levels.allocated + delta.allocated,
                  levels.reserved + delta.reserved)


def is_valid(levels: Levels) -> bool:
    available = levels.on_hand - levels.allocated - levels.reserved
    return min(levels.on_hand, levels.allocated, levels.reserved, available) >= 0


# ---------------------------------------------------------------------------------------------
# Levels
# ---------------------------------------------------------------------------------------------


def test_available_is_on_hand_minus_allocated_minus_reserved() -> None:
    assert Levels(on_hand=10, allocated=3, reserved=2).available == 5
    assert Levels().available == 0


def test_levels_with_everything_set_aside_are_still_valid() -> None:
    assert Levels(on_hand=5, allocated=2, reserved=3).valid()
    assert Levels().valid()


@pytest.mark.parametrize("levels", [
    Levels(on_hand=-1),
    Levels(on_hand=5, allocated=-1),
    Levels(on_hand=5, reserved=-1),
    Levels(on_hand=5, allocated=4, reserved=2),  # every bucket >= 0, but available is -1
])
def test_a_negative_bucket_or_negative_available_is_invalid(levels: Levels) -> None:
    assert not levels.valid()


# ---------------------------------------------------------------------------------------------
# delta_for: each kind moves exactly the buckets its docstring names
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "from_bucket", "expected"), [
    (EntryKind.RECEIVE, "allocated", Delta(on_hand=4)),
    (EntryKind.ALLOCATE, "allocated", Delta(allocated=4)),
    (EntryKind.RELEASE, "allocated", Delta(allocated=-4)),
    (EntryKind.RELEASE, "reserved", Delta(reserved=-4)),
    (EntryKind.RESERVE, "allocated", Delta(reserved=4)),
    (EntryKind.SELL, "allocated", Delta(allocated=-4, reserved=4)),
    (EntryKind.SHIP, "allocated", Delta(on_hand=-4, reserved=-4)),
    (EntryKind.RETURN, "allocated", Delta(on_hand=4)),
    (EntryKind.ADJUST, "allocated", Delta(on_hand=4)),
])
def test_each_kind_moves_exactly_its_buckets(kind: EntryKind, from_bucket: str,
                                             expected: Delta) -> None:
    assert delta_for(kind, 4, from_bucket=from_bucket) == expected


def test_release_gives_back_to_allocated_by_default() -> None:
    assert delta_for(EntryKind.RELEASE, 3) == Delta(allocated=-3)


def test_a_negative_adjustment_lowers_on_hand_only() -> None:
    assert delta_for(EntryKind.ADJUST, -7) == Delta(on_hand=-7)


def test_from_bucket_only_matters_for_release() -> None:
    for kind in EntryKind:
        if kind is EntryKind.RELEASE:
            continue
        assert delta_for(kind, 2, from_bucket="reserved") == delta_for(kind, 2)


@pytest.mark.parametrize(("kind", "change_in_available"), [
    (EntryKind.RECEIVE, +1), (EntryKind.ALLOCATE, -1), (EntryKind.RESERVE, -1),
    (EntryKind.SELL, 0), (EntryKind.SHIP, 0), (EntryKind.RETURN, +1), (EntryKind.ADJUST, +1),
])
def test_each_kind_changes_available_as_its_meaning_implies(kind: EntryKind,
                                                            change_in_available: int) -> None:
    before = Levels(on_hand=100, allocated=10, reserved=10)
    after = apply(before, delta_for(kind, 5))
    assert after.available - before.available == 5 * change_in_available


@pytest.mark.parametrize("from_bucket", ["allocated", "reserved"])
def test_release_makes_units_available_again(from_bucket: str) -> None:
    before = Levels(on_hand=100, allocated=10, reserved=10)
    after = apply(before, delta_for(EntryKind.RELEASE, 5, from_bucket=from_bucket))
    assert after.available == before.available + 5


@given(kind=st.sampled_from(list(EntryKind)), quantity=st.integers(1, 10**9),
       from_bucket=st.sampled_from(["allocated", "reserved"]))
def test_delta_is_linear_in_the_quantity(kind: EntryKind, quantity: int,
                                         from_bucket: str) -> None:
    assert delta_for(kind, quantity, from_bucket=from_bucket) == expected_delta(
        kind, quantity, from_bucket)


@pytest.mark.parametrize("kind", POSITIVE_ONLY_KINDS)
def test_the_plain_string_value_of_a_kind_means_the_same_kind(kind: EntryKind) -> None:
    """EntryKind is a StrEnum and entries are stored as ``str(kind)``; a value read back or
    taken from an API body as a plain string must move the same buckets (ADJUST: below)."""
    assert delta_for(str(kind.value), 3) == delta_for(kind, 3)  # type: ignore[arg-type]


@pytest.mark.parametrize("quantity", [3, -3])
def test_a_plain_string_adjust_is_an_adjustment(quantity: int) -> None:
    assert delta_for("adjust", quantity) == Delta(on_hand=quantity)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Invalid input: stable codes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", POSITIVE_ONLY_KINDS)
@pytest.mark.parametrize("quantity", [0, -1, -250])
def test_non_positive_quantities_are_invalid_for_every_kind_but_adjust(kind: EntryKind,
                                                                       quantity: int) -> None:
    with pytest.raises(InvalidInput) as err:
        delta_for(kind, quantity)
    assert err.value.code == "invalid_quantity"
    assert err.value.status == 422


@given(kind=st.sampled_from(POSITIVE_ONLY_KINDS), quantity=st.integers(max_value=0),
       from_bucket=st.sampled_from(["allocated", "reserved", "on_hand"]))
def test_any_non_positive_quantity_is_refused_with_invalid_quantity(kind: EntryKind,
                                                                    quantity: int,
                                                                    from_bucket: str) -> None:
    with pytest.raises(InvalidInput) as err:
        delta_for(kind, quantity, from_bucket=from_bucket)
    assert err.value.code == "invalid_quantity"


def test_an_adjustment_of_zero_is_invalid() -> None:
    with pytest.raises(InvalidInput) as err:
        delta_for(EntryKind.ADJUST, 0)
    assert err.value.code == "invalid_quantity"


@pytest.mark.parametrize("bucket", ["on_hand", "available", "", "Allocated"])
def test_release_from_an_unknown_bucket_is_invalid(bucket: str) -> None:
    with pytest.raises(InvalidInput) as err:
        delta_for(EntryKind.RELEASE, 1, from_bucket=bucket)
    assert err.value.code == "invalid_bucket"


def test_an_unknown_entry_kind_is_invalid() -> None:
    with pytest.raises(InvalidInput) as err:
        delta_for("teleport", 1)  # type: ignore[arg-type]
    assert err.value.code == "invalid_entry_kind"


# ---------------------------------------------------------------------------------------------
# apply and fold
# ---------------------------------------------------------------------------------------------


def test_apply_adds_the_delta_to_each_bucket() -> None:
    before = Levels(on_hand=10, allocated=2, reserved=1)
    assert apply(before, Delta(on_hand=3, allocated=-1, reserved=2)) == Levels(13, 1, 3)


def test_apply_may_take_available_to_exactly_zero() -> None:
    assert apply(Levels(on_hand=5), delta_for(EntryKind.ALLOCATE, 5)) == Levels(5, 5, 0)


@pytest.mark.parametrize(("before", "kind", "quantity", "from_bucket"), [
    (Levels(on_hand=5), EntryKind.ALLOCATE, 6, "allocated"),           # available < 0
    (Levels(on_hand=5, allocated=5), EntryKind.RESERVE, 1, "allocated"),
    (Levels(on_hand=5, allocated=2), EntryKind.RELEASE, 3, "allocated"),  # allocated < 0
    (Levels(on_hand=5, reserved=2), EntryKind.RELEASE, 3, "reserved"),    # reserved < 0
    (Levels(on_hand=5, allocated=1), EntryKind.SELL, 2, "allocated"),
    (Levels(on_hand=5, reserved=1), EntryKind.SHIP, 2, "allocated"),
    (Levels(on_hand=5, reserved=3), EntryKind.ADJUST, -3, "allocated"),  # available < 0
    (Levels(on_hand=2), EntryKind.ADJUST, -3, "allocated"),              # on_hand < 0
])
def test_an_entry_that_would_overdraw_a_bucket_is_refused(before: Levels, kind: EntryKind,
                                                          quantity: int,
                                                          from_bucket: str) -> None:
    with pytest.raises(InsufficientStock) as err:
        apply(before, delta_for(kind, quantity, from_bucket=from_bucket))
    assert err.value.code == "insufficient_stock"
    assert isinstance(err.value, Conflict)
    assert err.value.status == 409


def test_the_refusal_names_the_current_figures() -> None:
    with pytest.raises(InsufficientStock) as err:
        apply(Levels(on_hand=7, allocated=3, reserved=2), delta_for(EntryKind.ALLOCATE, 9))
    message = str(err.value)
    assert "on hand 7" in message
    assert "allocated 3" in message
    assert "reserved 2" in message
    assert "available 2" in message


def test_fold_of_nothing_is_empty_levels() -> None:
    assert fold([]) == Levels()


def test_fold_sums_each_bucket() -> None:
    deltas = [Delta(on_hand=10), Delta(allocated=4), Delta(allocated=-1, reserved=1),
              Delta(on_hand=-1, reserved=-1)]
    assert fold(deltas) == Levels(on_hand=9, allocated=3, reserved=0)


def test_fold_accepts_any_iterable() -> None:
    assert fold(Delta(on_hand=n) for n in range(4)) == Levels(on_hand=6)


# ---------------------------------------------------------------------------------------------
# Sequences of entries
# ---------------------------------------------------------------------------------------------


@st.composite
def entries(draw: st.DrawFn) -> tuple[EntryKind, int, str]:
    kind = draw(st.sampled_from(list(EntryKind)))
    if kind is EntryKind.ADJUST:
        quantity = draw(st.integers(-15, 15).filter(lambda n: n != 0))
    else:
        quantity = draw(st.integers(1, 15))
    from_bucket = draw(st.sampled_from(["allocated", "reserved"]))
    return kind, quantity, from_bucket


@settings(max_examples=300)
@given(seq=st.lists(entries(), max_size=60))
def test_random_entry_sequences_keep_the_ledger_consistent(
        seq: list[tuple[EntryKind, int, str]]) -> None:
    levels = Levels()
    accepted: list[Delta] = []
    for kind, quantity, from_bucket in seq:
        delta = delta_for(kind, quantity, from_bucket=from_bucket)
        assert delta == expected_delta(kind, quantity, from_bucket)
        would_be = model_apply(levels, delta)
        before = levels
        try:
            levels = apply(levels, delta)
        except InsufficientStock as err:
            assert err.code == "insufficient_stock"
            assert not is_valid(would_be), "a valid result was refused"
            assert levels == before
            continue
        assert is_valid(would_be), "an invalid result was accepted"
        assert levels == would_be
        assert levels.valid()
        assert levels.available >= 0
        accepted.append(delta)
    assert fold(accepted) == levels


class LedgerMachine(RuleBasedStateMachine):
    """One SKU in one warehouse, driven entry by entry."""

    levels: Levels
    accepted: list[Delta]

    @initialize()
    def start_empty(self) -> None:
        self.levels = Levels()
        self.accepted = []

    def _enter(self, kind: EntryKind, quantity: int, from_bucket: str = "allocated") -> None:
        delta = delta_for(kind, quantity, from_bucket=from_bucket)
        would_be = model_apply(self.levels, delta)
        before = self.levels
        try:
            self.levels = apply(self.levels, delta)
        except InsufficientStock:
            assert not is_valid(would_be)
            assert self.levels == before
            return
        assert self.levels == would_be
        self.accepted.append(delta)

    @rule(n=st.integers(1, 20))
    def receive(self, n: int) -> None:
        self._enter(EntryKind.RECEIVE, n)

    @rule(n=st.integers(1, 20))
    def allocate(self, n: int) -> None:
        self._enter(EntryKind.ALLOCATE, n)

    @rule(n=st.integers(1, 20), bucket=st.sampled_from(["allocated", "reserved"]))
    def release(self, n: int, bucket: str) -> None:
        self._enter(EntryKind.RELEASE, n, bucket)

    @rule(n=st.integers(1, 20))
    def reserve(self, n: int) -> None:
        self._enter(EntryKind.RESERVE, n)

    @rule(n=st.integers(1, 20))
    def sell(self, n: int) -> None:
        self._enter(EntryKind.SELL, n)

    @rule(n=st.integers(1, 20))
    def ship(self, n: int) -> None:
        self._enter(EntryKind.SHIP, n)

    @rule(n=st.integers(1, 20))
    def return_(self, n: int) -> None:
        self._enter(EntryKind.RETURN, n)

    @rule(n=st.integers(-20, 20).filter(lambda n: n != 0))
    def adjust(self, n: int) -> None:
        self._enter(EntryKind.ADJUST, n)

    @invariant()
    def levels_are_valid(self) -> None:
        assert self.levels.valid()
        assert min(self.levels.on_hand, self.levels.allocated, self.levels.reserved) >= 0
        assert self.levels.available >= 0

    @invariant()
    def the_accepted_entries_fold_to_the_levels(self) -> None:
        assert fold(self.accepted) == self.levels


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: delta_for("teleport", 1), "unknown entry kind 'teleport'"),
    (lambda: delta_for(EntryKind.ADJUST, 0), "an adjustment of 0 changes nothing"),
    (lambda: delta_for(EntryKind.SELL, 0), "sell needs a positive quantity"),
    (lambda: delta_for(EntryKind.RELEASE, 1, from_bucket="on_hand"),
     "cannot release from 'on_hand'"),
], ids=["kind", "adjust", "quantity", "bucket"])
def test_each_refusal_tells_the_operator_what_was_wrong(call, message: str) -> None:
    """The code is for programs; the message is what the console shows a person."""
    with pytest.raises(InvalidInput) as err:
        call()
    assert str(err.value) == message
