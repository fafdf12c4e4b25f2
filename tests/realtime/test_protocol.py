"""Client messages parse into typed models or fail with a stable code."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chuhai.realtime.protocol import ProtocolError, build_frame, localize, parse_client


@pytest.mark.parametrize(("raw", "code"), [
    ("nope", "invalid_json"), ("[1]", "invalid_message"), ('{"t": 1}', "invalid_message"),
    ('{"type": "warp"}', "unknown_type"), ('{"type": "like", "n": 0}', "invalid_message"),
    ('{"type": "vote", "poll": "p", "option": 10}', "invalid_message"),
    ('{"type": "chat", "text": "hi", "extra": 1}', "invalid_message"),
    ("x" * 9000, "frame_too_large"),
])
def test_bad_frames_have_codes(raw, code):
    with pytest.raises(ProtocolError) as err:
        parse_client(raw)
    assert err.value.code == code


@pytest.mark.parametrize("text", ["a\u0000b", "\u0000", "bell\u0007", "esc\u001b[31m",
                                  "del\u007f", "vt\u000b"])
@pytest.mark.parametrize("kind", ["chat", "question"])
def test_nul_and_control_characters_are_refused_as_the_http_api_refuses_nul(kind, text):
    # The HTTP API's code for NUL (docs/api.md); the socket refuses the other control
    # characters too rather than strip them from a line others will read.
    with pytest.raises(ProtocolError) as err:
        parse_client(json.dumps({"type": kind, "text": text}))
    assert err.value.code == "invalid_characters"


@pytest.mark.parametrize("message", [
    {"type": "poll.open", "question": "Colour?", "options": ["red\u0000", "blue"]},
    {"type": "answer", "question": 1, "text": "yes\u0001"},
    {"type": "pin", "product_id": "prd_\u0000"},
    {"type": "chat", "text": "hi", "nonce": "n\u0000"},
    {"type": "ping", "t\u0000": 1},
])
def test_control_characters_are_refused_in_every_field(message):
    with pytest.raises(ProtocolError) as err:
        parse_client(json.dumps(message))
    assert err.value.code == "invalid_characters"


def test_tabs_and_line_breaks_are_whitespace_not_control_characters():
    assert parse_client(json.dumps({"type": "chat", "text": "a\tb\nc\r"})).text == "a\tb\nc"


def test_good_frames_parse():
    assert parse_client('{"type": "chat", "text": "  hi  "}').text == "hi"
    assert parse_client(b'{"type": "like"}').n == 1


@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_anything_either_parses_or_raises_protocol_error(raw):
    with contextlib.suppress(ProtocolError):
        parse_client(raw)


def test_a_frame_is_localized_per_language_and_marks_machine_translation():
    ev = {"seq": 7, "type": "chat", "ts": 1.0,
          "data": {"text": "你好", "lang": "zh", "translations": {"de": "Hallo"}}}
    de = json.loads(build_frame([ev], {}, "de").text)["events"][0]["data"]
    zh = json.loads(build_frame([ev], {}, "zh").text)["events"][0]["data"]
    assert de == {"text": "Hallo", "lang": "zh", "original": "你好", "machine": True}
    assert zh == {"text": "你好", "lang": "zh"}
    assert localize({"seq": 1, "type": "pin", "data": {"x": 1}}, "de")["data"] == {"x": 1}
    frame = build_frame([ev, {**ev, "seq": 9}], {"viewers": 3}, "en")
    assert (frame.first, frame.last) == (7, 9)
