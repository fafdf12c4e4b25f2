"""Auction rules: proxy bids, increments, anti-sniping, reserve prices and the winner."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chuhai.core.errors import Conflict, InvalidInput
from chuhai.inventory.bidding import (
    AuctionTerms,
    BidOutcome,
    BidRefused,
    Standing,
    increment,
    minimum_bid,
    place_bid,
    scaled_default,
    validate_increments,
    winner,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ENDS = T0 + timedelta(hours=1)
EARLY = T0 + timedelta(minutes=1)  # far outside any anti-sniping window

# Below 20.00 the step is 1.00, from 20.00 it is 2.00, from 100.00 it is 5.00 (minor units).
INCREMENTS: tuple[tuple[int, int], ...] = ((0, 100), (2000, 200), (10000, 500))


def terms(*, start: int = 1000, anti_snipe_s: int = 30, sudden_death: bool = False,
          reserve: int | None = None) -> AuctionTerms:
    return AuctionTerms(start_minor=start, increments=INCREMENTS, anti_snipe_s=anti_snipe_s,
                        sudden_death=sudden_death, reserve_minor=reserve)


def fresh(ends_at: datetime = ENDS) -> Standing:
    return Standing(ends_at=ends_at)


def bids(t: AuctionTerms, *placed: tuple[str, int], at: datetime = EARLY) -> Standing:
    """The standing after each (bidder, max) in turn, all accepted."""
    s = fresh()
    for bidder, max_minor in placed:
        s = place_bid(t, s, bidder, max_minor, at).standing
    return s


def refusal(t: AuctionTerms, s: Standing, bidder: str, max_minor: int,
            now: datetime = EARLY) -> BidRefused:
    with pytest.raises(BidRefused) as err:
        place_bid(t, s, bidder, max_minor, now)
    return err.value


# ---------------------------------------------------------------------------------------------
# Increments and the minimum bid
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("price", "step"), [
    (0, 100), (1999, 100), (2000, 200), (9999, 200), (10000, 500), (10**9, 500),
])
def test_the_increment_is_the_step_of_the_highest_threshold_reached(price: int,
                                                                    step: int) -> None:
    assert increment(terms(), price) == step


def test_the_minimum_bid_is_the_start_price_before_anyone_bids() -> None:
    assert minimum_bid(terms(start=1234), fresh()) == 1234


def test_the_minimum_bid_is_one_increment_over_the_current_price() -> None:
    s = replace(fresh(), price_minor=2500, leader_id="a", leader_max_minor=3000, bids=1)
    assert minimum_bid(terms(), s) == 2700


# The default increments in whole currency units, as sellers know them from eBay-style
# tables: 1 below 20, 2 from 20, 5 from 100, 10 from 500, 25 from 1,000, 100 from 5,000.
DEFAULT_IN_UNITS = ((0, 1), (20, 2), (100, 5), (500, 10), (1000, 25), (5000, 100))


@pytest.mark.parametrize(("digits", "unit"), [(0, 1), (2, 100), (3, 1000)],
                         ids=["JPY", "USD", "KWD"])
def test_the_default_table_scales_to_the_currencys_minor_units(digits: int,
                                                                 unit: int) -> None:
    assert scaled_default(digits) == tuple((a * unit, b * unit) for a, b in DEFAULT_IN_UNITS)


@pytest.mark.parametrize("digits", [0, 2, 3])
def test_the_scaled_default_table_is_valid(digits: int) -> None:
    assert validate_increments(scaled_default(digits)) == scaled_default(digits)


# ---------------------------------------------------------------------------------------------
# validate_increments
# ---------------------------------------------------------------------------------------------


def test_a_valid_table_is_returned_as_integer_tuples() -> None:
    assert validate_increments([[0, 50], [1000, 100]]) == ((0, 50), (1000, 100))


@pytest.mark.parametrize(("table", "why"), [
    ([], "empty"),
    ([(100, 10)], "does not start at 0"),
    ([(0, 10), (50, 0)], "zero increment"),
    ([(0, -5)], "negative increment"),
    ([(0, 10), (100, 20), (100, 30)], "repeated threshold"),
    ([(0, 10), (500, 20), (200, 30)], "descending threshold"),
])
def test_malformed_increment_tables_are_refused(table: list[tuple[int, int]],
                                                why: str) -> None:
    with pytest.raises(InvalidInput) as err:
        validate_increments(table)
    assert err.value.code == "invalid_increments", why
    assert err.value.status == 422


# ---------------------------------------------------------------------------------------------
# The first bid
# ---------------------------------------------------------------------------------------------


def test_the_first_bid_sets_the_price_to_the_start_and_leads() -> None:
    out = place_bid(terms(start=1000), fresh(), "alice", 5000, EARLY)

    assert out == BidOutcome(
        Standing(ends_at=ENDS, price_minor=1000, leader_id="alice", leader_max_minor=5000,
                 bids=1),
        leading=True, extended=False)


def test_a_first_bid_of_exactly_the_start_price_is_accepted() -> None:
    out = place_bid(terms(start=1000), fresh(), "alice", 1000, EARLY)
    assert out.standing.price_minor == 1000
    assert out.standing.leader_id == "alice"


def test_a_first_bid_below_the_start_price_is_too_low() -> None:
    err = refusal(terms(start=1000), fresh(), "alice", 999)
    assert err.code == "bid_too_low"
    assert "1000" in str(err)
    assert isinstance(err, Conflict)
    assert err.status == 409


# ---------------------------------------------------------------------------------------------
# Proxy bidding
# ---------------------------------------------------------------------------------------------


def test_a_higher_maximum_takes_the_lead_one_increment_over_the_old_maximum() -> None:
    s = bids(terms(), ("alice", 5000))
    out = place_bid(terms(), s, "bob", 8000, EARLY)

    assert out.leading
    assert out.standing.leader_id == "bob"
    assert out.standing.leader_max_minor == 8000
    assert out.standing.price_minor == 5000 + 200
    assert out.standing.bids == 2


def test_the_new_leader_never_pays_more_than_their_own_maximum() -> None:
    s = bids(terms(), ("alice", 5000))
    out = place_bid(terms(), s, "bob", 5100, EARLY)  # 5000 + 200 would exceed bob's 5100

    assert out.standing.leader_id == "bob"
    assert out.standing.price_minor == 5100


def test_a_lower_maximum_leaves_the_leader_and_raises_the_price() -> None:
    s = bids(terms(), ("alice", 5000))
    out = place_bid(terms(), s, "bob", 3000, EARLY)

    assert not out.leading
    assert out.standing.leader_id == "alice"
    assert out.standing.leader_max_minor == 5000
    assert out.standing.price_minor == 3000 + 200
    assert out.standing.bids == 2


def test_the_leaders_proxy_answers_at_most_up_to_the_leaders_maximum() -> None:
    s = bids(terms(), ("alice", 5000))
    out = place_bid(terms(), s, "bob", 4900, EARLY)  # 4900 + 200 would exceed alice's 5000

    assert out.standing.leader_id == "alice"
    assert out.standing.price_minor == 5000


def test_between_equal_maxima_the_earlier_bidder_keeps_the_lead_at_that_maximum() -> None:
    s = bids(terms(), ("alice", 5000))
    out = place_bid(terms(), s, "bob", 5000, EARLY)

    assert not out.leading
    assert out.standing.leader_id == "alice"
    assert out.standing.price_minor == 5000


def test_after_a_tie_the_next_bid_must_beat_the_tied_maximum_by_an_increment() -> None:
    s = bids(terms(), ("alice", 5000), ("bob", 5000))
    assert refusal(terms(), s, "carol", 5199).code == "bid_too_low"
    out = place_bid(terms(), s, "carol", 5200, EARLY)
    assert out.standing.leader_id == "carol"
    assert out.standing.price_minor == 5200


def test_the_leader_may_raise_their_own_maximum_without_raising_the_price() -> None:
    s = bids(terms(), ("alice", 5000), ("bob", 3000))
    out = place_bid(terms(), s, "alice", 9000, EARLY)

    assert out.leading
    assert out.standing.leader_id == "alice"
    assert out.standing.leader_max_minor == 9000
    assert out.standing.price_minor == s.price_minor == 3200
    assert out.standing.bids == 3


def test_a_raised_maximum_defends_against_bids_it_would_have_lost_to() -> None:
    s = bids(terms(), ("alice", 5000), ("alice", 9000))
    out = place_bid(terms(), s, "bob", 8000, EARLY)
    assert out.standing.leader_id == "alice"
    assert out.standing.price_minor == 8000 + 200


@pytest.mark.parametrize("max_minor", [5000, 4000, 1000])
def test_the_leader_cannot_bid_again_at_or_below_their_own_maximum(max_minor: int) -> None:
    s = bids(terms(), ("alice", 5000))
    assert refusal(terms(), s, "alice", max_minor).code == "already_leading"


def test_a_bid_below_one_increment_over_the_price_is_too_low() -> None:
    s = bids(terms(), ("alice", 5000), ("bob", 3000))  # price 3200
    err = refusal(terms(), s, "carol", 3399)
    assert err.code == "bid_too_low"
    assert "3400" in str(err)
    assert place_bid(terms(), s, "carol", 3400, EARLY).standing.price_minor == 3600


def test_an_outbid_bidder_may_bid_again() -> None:
    s = bids(terms(), ("alice", 5000), ("bob", 8000))
    out = place_bid(terms(), s, "alice", 12000, EARLY)
    assert out.standing.leader_id == "alice"
    assert out.standing.price_minor == 8000 + 200


# ---------------------------------------------------------------------------------------------
# The end of the auction and anti-sniping
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("now", [ENDS, ENDS + timedelta(seconds=1), ENDS + timedelta(days=3)])
def test_bids_at_or_after_the_end_are_refused(now: datetime) -> None:
    assert refusal(terms(), fresh(), "alice", 5000, now).code == "auction_ended"


def test_even_the_leader_cannot_bid_after_the_end() -> None:
    s = bids(terms(), ("alice", 5000))
    assert refusal(terms(), s, "alice", 9000, ENDS).code == "auction_ended"


def test_a_bid_inside_the_window_moves_the_end_to_now_plus_the_window() -> None:
    now = ENDS - timedelta(seconds=10)
    out = place_bid(terms(anti_snipe_s=30), fresh(), "alice", 5000, now)

    assert out.extended
    assert out.standing.ends_at == now + timedelta(seconds=30)


def test_a_bid_in_the_last_instant_is_still_extended() -> None:
    now = ENDS - timedelta(microseconds=1)
    out = place_bid(terms(anti_snipe_s=30), fresh(), "alice", 5000, now)
    assert out.extended
    assert out.standing.ends_at == now + timedelta(seconds=30)


@pytest.mark.parametrize("before_end_s", [30, 31, 600])
def test_a_bid_outside_the_window_leaves_the_end_alone(before_end_s: int) -> None:
    now = ENDS - timedelta(seconds=before_end_s)
    out = place_bid(terms(anti_snipe_s=30), fresh(), "alice", 5000, now)

    assert not out.extended
    assert out.standing.ends_at == ENDS


def test_a_losing_bid_and_a_leaders_raise_also_extend() -> None:
    s = bids(terms(), ("alice", 5000))
    now = ENDS - timedelta(seconds=5)
    losing = place_bid(terms(), s, "bob", 3000, now)
    raising = place_bid(terms(), s, "alice", 9000, now)
    for out in (losing, raising):
        assert out.extended
        assert out.standing.ends_at == now + timedelta(seconds=30)


def test_a_sudden_death_auction_is_never_extended() -> None:
    now = ENDS - timedelta(seconds=1)
    out = place_bid(terms(anti_snipe_s=30, sudden_death=True), fresh(), "alice", 5000, now)

    assert not out.extended
    assert out.standing.ends_at == ENDS


def test_no_window_means_no_extension() -> None:
    now = ENDS - timedelta(seconds=1)
    out = place_bid(terms(anti_snipe_s=0), fresh(), "alice", 5000, now)
    assert not out.extended
    assert out.standing.ends_at == ENDS


def test_after_an_extension_a_bid_at_the_old_end_is_accepted() -> None:
    t = terms(anti_snipe_s=30)
    s = place_bid(t, fresh(), "alice", 5000, ENDS - timedelta(seconds=10)).standing
    out = place_bid(t, s, "bob", 8000, ENDS)
    assert out.standing.leader_id == "bob"
    assert out.standing.ends_at == ENDS + timedelta(seconds=30)


# ---------------------------------------------------------------------------------------------
# Reserve price and the winner
# ---------------------------------------------------------------------------------------------


def test_no_bids_means_no_winner() -> None:
    assert winner(terms(), fresh()) is None
    assert winner(terms(reserve=500), fresh()) is None


def test_without_a_reserve_the_leader_wins_at_the_current_price() -> None:
    s = bids(terms(), ("alice", 5000), ("bob", 3000))
    assert winner(terms(), s) == ("alice", 3200)


def test_below_the_reserve_there_is_no_winner() -> None:
    t = terms(reserve=6000)
    s = bids(t, ("alice", 5000), ("bob", 3000))

    assert s.price_minor == 3200
    assert winner(t, s) is None


def test_the_price_jumps_to_the_reserve_once_the_leaders_maximum_meets_it() -> None:
    t = terms(reserve=6000)
    s = bids(t, ("alice", 5000))
    assert s.price_minor == 1000

    out = place_bid(t, s, "alice", 7000, EARLY)

    assert out.standing.price_minor == 6000
    assert winner(t, out.standing) == ("alice", 6000)


def test_a_first_bid_at_or_over_the_reserve_is_priced_at_the_reserve() -> None:
    t = terms(start=1000, reserve=6000)
    assert place_bid(t, fresh(), "alice", 6000, EARLY).standing.price_minor == 6000
    assert place_bid(t, fresh(), "alice", 9000, EARLY).standing.price_minor == 6000


def test_a_new_leader_over_the_reserve_pays_at_least_the_reserve() -> None:
    t = terms(reserve=6000)
    s = bids(t, ("alice", 5000))
    out = place_bid(t, s, "bob", 6500, EARLY)  # proxy alone would say 5200

    assert out.standing.leader_id == "bob"
    assert out.standing.price_minor == 6000
    assert winner(t, out.standing) == ("bob", 6000)


def test_a_reserve_already_passed_by_the_price_does_not_lower_it() -> None:
    t = terms(reserve=2000)
    s = bids(t, ("alice", 5000), ("bob", 4000))
    assert s.price_minor == 4200
    assert winner(t, s) == ("alice", 4200)


def test_a_reserve_below_the_start_price_changes_nothing() -> None:
    t = terms(start=1000, reserve=500)
    s = bids(t, ("alice", 5000))
    assert s.price_minor == 1000
    assert winner(t, s) == ("alice", 1000)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


@st.composite
def increment_tables(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    thresholds = sorted(draw(st.sets(st.integers(1, 20000), max_size=4)))
    rows = [(0, draw(st.integers(1, 500)))]
    rows += [(th, draw(st.integers(1, 1000))) for th in thresholds]
    return tuple(rows)


@st.composite
def auction_terms(draw: st.DrawFn) -> AuctionTerms:
    return AuctionTerms(
        start_minor=draw(st.integers(0, 5000)),
        increments=validate_increments(draw(increment_tables())),
        anti_snipe_s=draw(st.integers(0, 120)),
        sudden_death=draw(st.booleans()),
        reserve_minor=draw(st.none() | st.integers(0, 20000)),
    )


bid_steps = st.lists(
    st.tuples(st.sampled_from(["ann", "ben", "cat", "dan"]),
              st.integers(0, 20000),
              st.integers(0, 300)),  # seconds since the previous bid
    max_size=40)


@settings(max_examples=400)
@given(t=auction_terms(), steps=bid_steps, length_s=st.integers(1, 3600))
def test_any_sequence_of_bids_keeps_the_auction_consistent(
        t: AuctionTerms, steps: list[tuple[str, int, int]], length_s: int) -> None:
    s = Standing(ends_at=T0 + timedelta(seconds=length_s))
    now = T0
    accepted: list[tuple[str, int]] = []  # (bidder, max) in the order accepted
    for bidder, max_minor, gap_s in steps:
        now += timedelta(seconds=gap_s)
        before = s
        try:
            out = place_bid(t, s, bidder, max_minor, now)
        except BidRefused as err:
            if now >= before.ends_at:
                assert err.code == "auction_ended"
            elif bidder == before.leader_id:
                assert err.code == "already_leading"
                assert before.leader_max_minor is not None
                assert max_minor <= before.leader_max_minor
            else:
                assert err.code == "bid_too_low"
                assert max_minor < minimum_bid(t, before)
            continue
        s = out.standing
        accepted.append((bidder, max_minor))
        assert now < before.ends_at, "a bid after the end was accepted"
        if bidder != before.leader_id:
            assert max_minor >= minimum_bid(t, before)

        # The price is bounded by the start and the leader's maximum, and never falls.
        assert s.price_minor is not None
        assert s.leader_max_minor is not None
        assert t.start_minor <= s.price_minor <= s.leader_max_minor
        if before.price_minor is not None:
            assert s.price_minor >= before.price_minor

        # The leader holds the highest maximum seen; between equals, the earliest.
        top = max(m for _, m in accepted)
        earliest_top = next(b for b, m in accepted if m == top)
        assert s.leader_id == earliest_top
        assert s.leader_max_minor == top
        assert out.leading == (s.leader_id == bidder)

        # The leader pays at least every other bidder's maximum.
        others = [m for b, m in accepted if b != s.leader_id]
        if others:
            assert s.price_minor >= max(others)

        assert s.bids == len(accepted)

        # The end moves only for a bid inside the window of an auction that allows it.
        window = timedelta(seconds=t.anti_snipe_s)
        should_extend = (not t.sudden_death and t.anti_snipe_s > 0
                         and before.ends_at - now < window)
        assert out.extended == should_extend
        assert s.ends_at == (now + window if should_extend else before.ends_at)
        assert s.ends_at >= before.ends_at

        # The reserve: met exactly when the leader's maximum reaches it.
        if t.reserve_minor is not None and s.leader_max_minor >= t.reserve_minor:
            assert s.price_minor >= t.reserve_minor
            assert winner(t, s) == (s.leader_id, s.price_minor)
        elif t.reserve_minor is not None:
            assert winner(t, s) is None
        else:
            assert winner(t, s) == (s.leader_id, s.price_minor)

    if not accepted:
        assert s.leader_id is None
        assert winner(t, s) is None
