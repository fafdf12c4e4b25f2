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
