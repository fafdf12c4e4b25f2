"""Ranking the feed (``chuhai.feed.ranking``), pure.

Without an interest profile everyone in a market sees one order: live rooms before
upcoming ones, then by audience (anonymous views), then by how soon a room starts, ties
broken by id. With a profile — the person's share of attention per HS chapter — a room
whose products fall in those chapters gains, and says so with the reason ``interest``;
personalization reorders, it never hides a room.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from chuhai.feed.ranking import Candidate, interests, rank

NOW = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)


def room(room_id: str, status: str = "scheduled", *, in_hours: float = 1.0, views: int = 0,
         categories: tuple[str, ...] = ()) -> Candidate:
    return Candidate(room_id, status, NOW + dt.timedelta(hours=in_hours),
                     frozenset(categories), views)


def order(candidates: list[Candidate], profile: dict[str, float] | None = None) -> list[str]:
    return [r.item_id for r in rank(candidates, NOW, profile)]


def reasons(candidates: list[Candidate], profile: dict[str, float] | None = None
            ) -> dict[str, tuple[str, ...]]:
    return {r.item_id: r.reasons for r in rank(candidates, NOW, profile)}


def test_a_live_room_ranks_above_a_scheduled_one_with_the_same_views():
    # the scheduled room is "a" (wins a tie) and starts right now (the most it can gain)
    for views in (0, 10):
        got = [room("a", in_hours=0, views=views), room("b", "live", in_hours=-1, views=views)]
        assert order(got) == ["b", "a"]
        assert "live" in reasons(got)["b"] and "live" not in reasons(got)["a"]


def test_more_views_raise_a_room():
    got = [room("a", views=0), room("b", views=5), room("c", views=50)]
    assert order(got) == ["c", "b", "a"]
    assert reasons(got)["c"] == ("popular",) and reasons(got)["a"] == ()


def test_a_room_starting_sooner_ranks_above_a_later_one():
    assert order([room("a", in_hours=48), room("b", in_hours=1)]) == ["b", "a"]


def test_a_room_that_has_already_started_gets_no_more_than_one_starting_now():
    late = rank([room("a", in_hours=-5), room("b", in_hours=0)], NOW)
    assert late[0].score == late[1].score


def test_equal_rooms_are_ordered_by_id_so_the_order_is_stable():
    assert order([room("b"), room("a"), room("c")]) == ["a", "b", "c"]


def test_a_room_matching_the_profile_rises_above_an_otherwise_equal_one():
    got = [room("a", categories=("61",)), room("b", categories=("85",))]
    assert order(got) == ["a", "b"]  # equal: by id
    profile = {"85": 1.0}
    assert order(got, profile) == ["b", "a"]
    assert "interest" in reasons(got, profile)["b"]
    assert "interest" not in reasons(got, profile)["a"]


def test_interest_can_outweigh_popularity_but_in_proportion_to_the_share():
    got = [room("a", views=3, categories=("61",)), room("b", categories=("85",))]
    assert order(got) == ["a", "b"]
    assert order(got, {"85": 0.9, "61": 0.1}) == ["b", "a"]
    assert order(got, {"85": 0.01, "09": 0.99}) == ["a", "b"]  # a faint interest is not enough


def test_a_room_spanning_several_of_the_persons_chapters_gains_from_each():
    got = [room("a", categories=("85",)), room("b", categories=("85", "61"))]
    assert order(got, {"85": 0.5, "61": 0.5}) == ["b", "a"]


def test_a_profile_matching_no_room_changes_nothing():
    got = [room("a", views=2), room("b", "live"), room("c", categories=("61",))]
    assert rank(got, NOW, {"09": 1.0}) == rank(got, NOW, None)


@pytest.mark.parametrize("profile", [None, {}])
def test_without_a_profile_everyone_gets_the_same_order_whatever_the_input_order(profile):
    got = [room("a", views=3), room("b", "live"), room("c", in_hours=2, categories=("85",)),
           room("d", in_hours=30, views=1), room("e", categories=("61",))]
    expected = rank(got, NOW, None)
    for seed in range(5):
        shuffled = got[:]
        random.Random(seed).shuffle(shuffled)
        assert rank(shuffled, NOW, profile) == expected
    assert all("interest" not in r.reasons for r in expected)


def test_personalization_reorders_but_never_hides_a_room():
    got = [room(f"r{i}", categories=(str(10 + i),)) for i in range(10)]
    ranked = order(got, {"19": 1.0})
    assert ranked[0] == "r9" and sorted(ranked) == sorted(c.item_id for c in got)


def test_interests_normalize_to_shares_that_sum_to_one():
    profile = interests([("85", 3.0), ("61", 1.0), ("85", 4.0)])
    assert profile == pytest.approx({"85": 7 / 8, "61": 1 / 8})
    assert sum(profile.values()) == pytest.approx(1.0)


def test_interests_drop_empty_categories_and_weights_that_are_not_positive():
    profile = interests([("", 5.0), ("85", 1.0), ("61", 0.0), ("09", -2.0)])
    assert profile == {"85": 1.0}


def test_interests_of_nothing_are_empty():
    assert interests([]) == {}
    assert interests([("", 1.0), ("85", 0.0)]) == {}


def test_every_fourth_place_goes_to_the_best_new_item_however_popular_the_rest() -> None:
    from chuhai.feed.ranking import Ranked, with_new_slots

    old = [Ranked(f"old{i}", 10.0 - i, ("popular",)) for i in range(6)]
    new = [Ranked("new_b", 0.5, ("new",)), Ranked("new_a", 0.2, ("new",))]
    got = [r.item_id for r in with_new_slots(old + new, {"new_a", "new_b"})]
    assert got == ["old0", "old1", "old2", "new_b", "old3", "old4", "old5", "new_a"]
    assert [r.item_id for r in with_new_slots(old[:1], set())] == ["old0"]


def test_an_items_exploration_draw_is_the_same_whatever_else_is_ranked() -> None:
    from chuhai.feed.ranking import rank

    a = Candidate("vid_a", "published", NOW, kind="video")
    b = Candidate("vid_b", "published", NOW, kind="video")
    alone = {r.item_id: r.score for r in rank([a], NOW, seed=7)}
    both = {r.item_id: r.score for r in rank([b, a], NOW, seed=7)}
    assert alone["vid_a"] == both["vid_a"]
    assert rank([a], NOW, seed=8)[0].score != alone["vid_a"]  # the hour's seed matters
