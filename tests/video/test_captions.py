"""Uploaded WebVTT: checked before a player loads it."""

from __future__ import annotations

import pytest

from chuhai.video.captions import CaptionError, parse_vtt

GOOD = ("WEBVTT\n\n00:00.500 --> 00:02.000\nHallo!\n\n"
        "1\n00:00:02.000 --> 00:00:04.000 line:0\nZweite Zeile\n")


def test_cues_are_read_with_their_times() -> None:
    cues = parse_vtt(GOOD, duration_s=5.0)
    assert [(c.start_s, c.end_s, c.text) for c in cues] == [
        (0.5, 2.0, "Hallo!"), (2.0, 4.0, "Zweite Zeile")]


@pytest.mark.parametrize(("text", "words"), [
    ("00:00.500 --> 00:02.000\nno header\n", "starts with WEBVTT"),
    ("WEBVTT\n\n00:03.000 --> 00:02.000\nbackwards\n", "end after it starts"),
    ("WEBVTT\n\n00:00.000 --> 01:00.000\ntoo long\n", "after the video"),
    ("WEBVTT\n\n00:00.000 --> 00:01.000\n\n", "without text"),
    ("WEBVTT\n\n0:0 --> 1:1\nbad timing\n", "bad cue timing"),
    ("WEBVTT\n", "no cues"),
    ("WEBVTT\n\n" + "00:00.000 --> 00:01.000\nx\n\n" * 3001, "more than"),
])
def test_a_broken_file_names_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(CaptionError, match=words):
        parse_vtt(text, duration_s=5.0)
