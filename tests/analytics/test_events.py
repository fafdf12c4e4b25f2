"""The events a page may send (``chuhai.analytics.events.parse_batch``), checked before
anything is stored.

A batch is a list of at most 50 objects ``{"type", "room_id"?, "product_id"?}``. The type is
one of a fixed set, ids look like chuhai ids, each event names a room or a product, and no
other field is allowed — so nothing personal can ride along in a free-form property. A bad
batch is refused whole (``InvalidInput`` with a stable ``code``), never partly stored.
"""

from __future__ import annotations

from typing import Any

import pytest

from chuhai.analytics.events import EVENT_TYPES, MAX_BATCH, Event, parse_batch
from chuhai.core.errors import InvalidInput

ROOM = "room_01hx4k9q2mabcdefghjkmnpqrs"
PRODUCT = "prd_01hx4k9q2mabcdefghjkmnpqrs"


def refused(raw: Any) -> str:
    with pytest.raises(InvalidInput) as exc:
        parse_batch(raw)
    return exc.value.code


def test_valid_events_come_back_typed_in_order():
    events = parse_batch([
        {"type": "room.view", "room_id": ROOM},
        {"type": "product.view", "product_id": PRODUCT},
        {"type": "feed.click", "room_id": ROOM, "product_id": PRODUCT},
        {"type": "product.click", "room_id": None, "product_id": PRODUCT},
    ])
    assert events == [Event("room.view", ROOM, None), Event("product.view", None, PRODUCT),
                      Event("feed.click", ROOM, PRODUCT),
                      Event("product.click", None, PRODUCT)]


# The engagement events a client may send, written out here rather than read from
# ``EVENT_TYPES``, so dropping or renaming one fails.
KNOWN_TYPES = ["room.view", "product.view", "product.click", "feed.impression", "feed.click",
               "search.click", "video.view", "video.complete", "video.like", "video.share",
               "cart.add"]


def test_the_known_types_are_exactly_these():
    assert sorted(EVENT_TYPES) == sorted(KNOWN_TYPES)


@pytest.mark.parametrize("kind", KNOWN_TYPES)
def test_every_known_type_is_accepted(kind):
    assert parse_batch([{"type": kind, "room_id": ROOM}])[0].type == kind


def test_an_empty_batch_and_a_full_batch_are_accepted():
    assert parse_batch([]) == []
    full = [{"type": "room.view", "room_id": ROOM}] * MAX_BATCH
    assert len(parse_batch(full)) == MAX_BATCH == 50


@pytest.mark.parametrize("raw", [None, {"type": "room.view", "room_id": ROOM}, "room.view",
                                 42, (("type", "room.view"),)])
def test_anything_but_a_list_is_refused_as_bad_events(raw):
    assert refused(raw) == "bad_events"


def test_more_than_fifty_events_is_refused_as_too_many():
    assert refused([{"type": "room.view", "room_id": ROOM}] * (MAX_BATCH + 1)) == \
        "too_many_events"


@pytest.mark.parametrize("kind", ["page.view", "ROOM.VIEW", "", None, 1, "room.view "])
def test_an_unknown_type_is_refused(kind):
    assert refused([{"type": kind, "room_id": ROOM}]) == "bad_event_type"


def test_a_missing_type_is_refused():
    assert refused([{"room_id": ROOM}]) == "bad_event_type"


@pytest.mark.parametrize("extra", [{"email": "a@b.example"}, {"props": {}}, {"user_id": "x"},
                                   {"at": "2030-01-01T00:00:00Z"}])
def test_no_free_form_property_can_ride_along(extra):
    assert refused([{"type": "room.view", "room_id": ROOM, **extra}]) == "bad_events"


@pytest.mark.parametrize("bad", [
    "room",                      # no prefix separator
    "ROOM_01hx4k9q2m",           # upper-case prefix
    "room_abc",                  # body too short
    "room_" + "a" * 35,          # body too long
    "room_01hx<script>",         # characters outside an id
    "r_01hx4k9q2m",              # prefix too short
    "a@b.example",
    "",
    7,
    ["room_01hx4k9q2m"],
])
@pytest.mark.parametrize("key", ["room_id", "product_id"])
def test_an_id_that_is_not_a_chuhai_id_is_refused(key, bad):
    assert refused([{"type": "product.view", key: bad}]) == "bad_events"


def test_an_event_naming_neither_room_nor_product_is_refused():
    assert refused([{"type": "room.view"}]) == "bad_events"
    assert refused([{"type": "room.view", "room_id": None, "product_id": None}]) == "bad_events"


@pytest.mark.parametrize("item", ["room.view", None, 3, [ROOM]])
def test_an_event_that_is_not_an_object_is_refused(item):
    assert refused([item]) == "bad_events"


def test_one_bad_event_refuses_the_whole_batch_and_says_which():
    with pytest.raises(InvalidInput) as exc:
        parse_batch([{"type": "room.view", "room_id": ROOM},
                     {"type": "room.view", "room_id": ROOM, "note": "hi"}])
    assert exc.value.code == "bad_events" and "event 1" in exc.value.message


@pytest.mark.parametrize("key", ["room_id", "product_id"])
def test_an_id_with_a_trailing_newline_is_refused(key):
    assert refused([{"type": "product.view", key: "room_abcd\n"}]) == "bad_events"
