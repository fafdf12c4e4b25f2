"""Attribution, pure: the touch a page was opened with, the checks on a touch a page sends,
the touchpoints inside the windows, and the four credit models (shares always sum to 1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chuhai.analytics.attribution import (
    DIRECT,
    MODELS,
    Touch,
    check_windows,
    credit,
    parse_touch,
    touch_from_link,
    touchpoints,
)
from chuhai.core.errors import InvalidInput

AT = datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_our_own_link_wins_then_utm_then_the_page_itself_then_direct():
    assert touch_from_link({"via": "feed", "via_item": "vid_abcdef"}) == Touch("feed",
                                                                              "vid_abcdef")
    assert touch_from_link({"via": "search", "utm_source": "news"}).channel == "search"
    outside = touch_from_link({"utm_source": "newsletter", "utm_campaign": "winter-26"})
    assert outside == Touch("external", None, {"utm_source": "newsletter",
                                                "utm_campaign": "winter-26"})
    assert touch_from_link({}, "video", "vid_abcdef") == Touch("video", "vid_abcdef")
    assert touch_from_link({}) == DIRECT


def test_a_typed_link_never_fails_its_bad_parts_are_dropped():
    assert touch_from_link({"via": "evil", "via_item": "<script>"}) == DIRECT
    assert touch_from_link({"via": "external"}) == DIRECT  # only UTM makes a touch external
    assert touch_from_link({"via": "feed", "via_item": "x" * 500}) == Touch("feed")
    assert touch_from_link({"utm_source": "<b>"}) == DIRECT
    assert touch_from_link({"utm_source": "ann@example.com"}) == DIRECT  # no e-mail kept


def test_a_touch_from_a_page_is_checked_whole():
    assert parse_touch(None) is None
    assert parse_touch({"channel": "feed", "item_id": "vid_abcdef"}) == Touch("feed",
                                                                             "vid_abcdef")
    for bad in ({"channel": "tv"}, {"channel": "feed", "extra": 1}, "feed",
                {"channel": "feed", "item_id": "../../etc"},
                {"channel": "feed", "utm": {"utm_source": "x"}},
                {"channel": "external", "utm": {"utm_term": "x"}},
                {"channel": "external", "utm": {"utm_source": "a\nb"}}):
        with pytest.raises(InvalidInput) as err:
            parse_touch(bad)
        assert err.value.code == "bad_touch"


def test_touchpoints_are_the_clicks_of_7_days_and_the_views_of_1_closed_by_the_last_touch():
    events = [
        ("feed.click", AT - timedelta(days=6)),  # in: a click within 7 days
        ("feed.click", AT - timedelta(days=8)),  # out: too old for a click
        ("video.view", AT - timedelta(hours=20)),  # in: a view within a day
        ("room.view", AT - timedelta(days=2)),  # out: too old for a view
        ("product.view", AT - timedelta(hours=1)),  # not a touchpoint at all
        ("search.click", AT + timedelta(hours=1)),  # after the order: ignored
    ]
    path = touchpoints(events, Touch("search"), AT)
    assert [(t.channel, t.kind) for t in path] == [("feed", "click"), ("video", "view"),
                                                   ("search", "click")]
    longer = touchpoints(events, Touch("search"), AT, click_days=30, view_days=3)
    assert [t.channel for t in longer] == ["feed", "feed", "live", "video", "search"]


@pytest.mark.parametrize("model, expected", [
    ("last_touch", {"search": 1.0}),
    ("first_touch", {"feed": 1.0}),
    ("linear", {"feed": 0.5, "video": 0.25, "search": 0.25}),
    ("position", {"feed": 0.4 + 0.1, "video": 0.1, "search": 0.4}),
])
def test_the_credit_models(model, expected):
    got = credit(["feed", "video", "feed", "search"], model)
    assert got == pytest.approx(expected)


def test_every_model_gives_exactly_one_order_and_handles_short_paths():
    for model in MODELS:
        for path in (["live"], ["feed", "search"], ["feed", "video", "live", "browse"]):
            assert sum(credit(path, model).values()) == pytest.approx(1.0)
        assert credit([], model) == {}
    assert credit(["feed", "search"], "position") == {"feed": 0.5, "search": 0.5}
    with pytest.raises(InvalidInput) as err:
        credit(["feed"], "time_decay")
    assert err.value.code == "bad_model"


def test_windows_are_whole_days_and_views_never_outlast_clicks():
    assert check_windows(7, 1) == (7, 1)
    for bad in ((0, 1), (7, 0), (91, 1), (7, 8), (True, 1), ("7", 1), (7.5, 1)):
        with pytest.raises(InvalidInput) as err:
            check_windows(*bad)
        assert err.value.code == "bad_window"
