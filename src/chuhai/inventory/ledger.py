"""The stock ledger's arithmetic. Pure: no I/O.

Stock of one SKU in one warehouse sits in three buckets: ``on_hand`` (physically there),
``allocated`` (set aside for a drop or an auction) and ``reserved`` (promised to an order that
has not shipped). ``available = on_hand - allocated - reserved`` is what a new drop or a new
order may take. Every change is one ledger entry of a known kind; the kind fixes which buckets
move and in which direction, so a wrong-signed entry cannot be written, and no entry may leave
a bucket negative or ``available`` below zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from chuhai.core.errors import Conflict, InvalidInput


class EntryKind(StrEnum):
    RECEIVE = "receive"    # goods arrived: on_hand +n
    ALLOCATE = "allocate"  # set aside for a drop/auction: allocated +n
    RELEASE = "release"    # back from a drop (allocated -n) or an order (reserved -n)
    RESERVE = "reserve"    # promised to an order outside a drop: reserved +n
    SELL = "sell"          # a drop unit was paid for: allocated -n, reserved +n
    SHIP = "ship"          # left the warehouse: on_hand -n, reserved -n
    RETURN = "return"      # came back from a buyer: on_hand +n
    ADJUST = "adjust"      # stock count correction: on_hand ±n


@dataclass(frozen=True)
class Levels:
    on_hand: int = 0
    allocated: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated - self.reserved

    def valid(self) -> bool:
        return min(self.on_hand, self.allocated, self.reserved, self.available) >= 0


@dataclass(frozen=True)
class Delta:
    on_hand: int = 0
    allocated: int = 0
    reserved: int = 0


class InsufficientStock(Conflict):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="insufficient_stock")


def delta_for(kind: EntryKind, quantity: int, *, from_bucket: str = "allocated") -> Delta:
    """The bucket movements of one entry. ``quantity`` is positive except for ADJUST, which
    may be negative; ``from_bucket`` says what a RELEASE gives back (allocated|reserved)."""
    try:
        kind = EntryKind(kind)
    except ValueError:
        raise InvalidInput(f"unknown entry kind {kind!r}", code="invalid_entry_kind") from None
    if kind is EntryKind.ADJUST:
        if quantity == 0:
            raise InvalidInput("an adjustment of 0 changes nothing", code="invalid_quantity")
        return Delta(on_hand=quantity)
    if quantity <= 0:
        raise InvalidInput(f"{kind} needs a positive quantity", code="invalid_quantity")
    n = quantity
    match kind:
        case EntryKind.RECEIVE | EntryKind.RETURN:
            return Delta(on_hand=n)
        case EntryKind.ALLOCATE:
            return Delta(allocated=n)
        case EntryKind.RESERVE:
            return Delta(reserved=n)
        case EntryKind.SELL:
            return Delta(allocated=-n, reserved=n)
        case EntryKind.SHIP:
            return Delta(on_hand=-n, reserved=-n)
        case EntryKind.RELEASE:
            if from_bucket == "allocated":
                return Delta(allocated=-n)
            if from_bucket == "reserved":
                return Delta(reserved=-n)
            raise InvalidInput(f"cannot release from {from_bucket!r}", code="invalid_bucket")
    raise InvalidInput(f"unknown entry kind {kind!r}", code="invalid_entry_kind")


def apply(levels: Levels, delta: Delta) -> Levels:
    """The levels after ``delta``; refuses a result with a negative bucket."""
    after = Levels(levels.on_hand + delta.on_hand, levels.allocated + delta.allocated,
                   levels.reserved + delta.reserved)
    if not after.valid():
        raise InsufficientStock(
            f"not enough stock: on hand {levels.on_hand}, allocated {levels.allocated}, "
            f"reserved {levels.reserved}, available {levels.available}")
    return after


def fold(deltas: Iterable[Delta]) -> Levels:
    """The levels a sequence of entries adds up to (what ``stock check`` compares against)."""
    on_hand = allocated = reserved = 0
    for d in deltas:
        on_hand += d.on_hand
        allocated += d.allocated
        reserved += d.reserved
    return Levels(on_hand, allocated, reserved)
