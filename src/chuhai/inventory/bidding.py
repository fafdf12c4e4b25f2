"""Auction rules: increments, proxy bids, anti-sniping, the winner. Pure: no I/O.

Bids are proxy (maximum) bids, as buyers know them from eBay and Whatnot: the leader pays
one increment over the runner-up's maximum, never more than their own. Between equal
maxima the earlier bid wins. A bid in the last ``anti_snipe_s`` seconds pushes the end to
``now + anti_snipe_s`` unless the auction is "sudden death".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chuhai.core.errors import Conflict, InvalidInput

# (from price, increment), in major units of the currency; scaled to minor units per auction.
DEFAULT_INCREMENTS: tuple[tuple[int, int], ...] = (
    (0, 1), (20, 2), (100, 5), (500, 10), (1000, 25), (5000, 100),
)


@dataclass(frozen=True)
class AuctionTerms:
    start_minor: int
    increments: tuple[tuple[int, int], ...]  # (from price minor, increment minor), ascending
    anti_snipe_s: int
    sudden_death: bool
    reserve_minor: int | None = None


@dataclass(frozen=True)
class Standing:
    ends_at: datetime
    price_minor: int | None = None  # None until the first bid
    leader_id: str | None = None
    leader_max_minor: int | None = None
    bids: int = 0


@dataclass(frozen=True)
class BidOutcome:
    standing: Standing
    leading: bool        # the bidder leads after this bid
    extended: bool       # the end moved (anti-sniping)


class BidRefused(Conflict):
    pass


def validate_increments(table: Sequence[Sequence[int]]) -> tuple[tuple[int, int], ...]:
    rows = tuple((int(a), int(b)) for a, b in table)
    if not rows or rows[0][0] != 0:
        raise InvalidInput("the increment table must start at price 0", code="invalid_increments")
    if any(b <= 0 for _, b in rows):
        raise InvalidInput("increments must be positive", code="invalid_increments")
    if any(rows[i][0] >= rows[i + 1][0] for i in range(len(rows) - 1)):
        raise InvalidInput("increment thresholds must ascend", code="invalid_increments")
    return rows


def scaled_default(minor_digits: int) -> tuple[tuple[int, int], ...]:
    unit = 10 ** minor_digits
    return tuple((a * unit, b * unit) for a, b in DEFAULT_INCREMENTS)


def increment(terms: AuctionTerms, price: int) -> int:
    step = terms.increments[0][1]
    for threshold, inc in terms.increments:
        if price >= threshold:
            step = inc
    return step


def minimum_bid(terms: AuctionTerms, s: Standing) -> int:
    if s.price_minor is None:
        return terms.start_minor
    return s.price_minor + increment(terms, s.price_minor)


def place_bid(terms: AuctionTerms, s: Standing, bidder: str, max_minor: int,
              now: datetime) -> BidOutcome:
    """The standing after ``bidder`` bids up to ``max_minor`` at ``now``; refuses late,
    low or pointless bids with a stable code."""
    if now >= s.ends_at:
        raise BidRefused("the auction has ended", code="auction_ended")
    if bidder == s.leader_id:
        assert s.leader_max_minor is not None
        if max_minor <= s.leader_max_minor:
            raise BidRefused("you already lead with a higher maximum", code="already_leading")
        new = replace(s, leader_max_minor=max_minor, bids=s.bids + 1)
        return _finish(terms, new, now, leading=True)
    floor = minimum_bid(terms, s)
    if max_minor < floor:
        raise BidRefused(f"the minimum bid is {floor}", code="bid_too_low")
    if s.leader_id is None or s.leader_max_minor is None:
        new = Standing(s.ends_at, terms.start_minor, bidder, max_minor, s.bids + 1)
        return _finish(terms, new, now, leading=True)
    top = s.leader_max_minor
    if max_minor > top:
        price = min(max_minor, top + increment(terms, top))
        new = Standing(s.ends_at, price, bidder, max_minor, s.bids + 1)
        return _finish(terms, new, now, leading=True)
    # The leader's proxy answers; on a tie the earlier bid keeps the lead.
    price = min(top, max_minor + increment(terms, max_minor))
    new = replace(s, price_minor=price, bids=s.bids + 1)
    return _finish(terms, new, now, leading=False)


def _finish(terms: AuctionTerms, s: Standing, now: datetime, *, leading: bool) -> BidOutcome:
    if (terms.reserve_minor is not None and s.leader_max_minor is not None
            and s.price_minor is not None and s.leader_max_minor >= terms.reserve_minor
            > s.price_minor):
        s = replace(s, price_minor=terms.reserve_minor)
    extended = False
    window = timedelta(seconds=terms.anti_snipe_s)
    if not terms.sudden_death and terms.anti_snipe_s > 0 and s.ends_at - now < window:
        s = replace(s, ends_at=now + window)
        extended = True
    return BidOutcome(s, leading, extended)


def winner(terms: AuctionTerms, s: Standing) -> tuple[str, int] | None:
    """(winner, price) once the auction ended, or None if no bid met the reserve."""
    if s.leader_id is None or s.price_minor is None:
        return None
    if terms.reserve_minor is not None and s.price_minor < terms.reserve_minor:
        return None
    return s.leader_id, s.price_minor
