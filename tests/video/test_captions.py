"""Uploaded WebVTT: checked before a player loads it."""

from __future__ import annotations

import pytest

from chuhai.video.captions import CaptionError, parse_vtt, to_vtt

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
    ("WEBVTT\n\n" + "".join(f"00:0{i // 1000}.{i % 1000:03d} --> 00:0{(i + 1) // 1000}."
                              f"{(i + 1) % 1000:03d}\nx\n\n" for i in range(3001)),
     "more than"),
])
def test_a_broken_file_names_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(CaptionError, match=words):
        parse_vtt(text, duration_s=5.0)


def test_cues_out_of_order_or_overlapping_are_refused_with_the_line() -> None:
    with pytest.raises(CaptionError, match="line 6: cues out of order"):
        parse_vtt("WEBVTT\n\n00:02.000 --> 00:03.000\nb\n\n00:01.000 --> 00:01.500\na\n",
                  duration_s=5)
    with pytest.raises(CaptionError, match=r"line 6: .* may not overlap"):
        parse_vtt("WEBVTT\n\n00:01.000 --> 00:03.000\na\n\n00:02.000 --> 00:04.000\nb\n",
                  duration_s=5)


def test_subrip_becomes_webvtt() -> None:
    srt = "1\n00:00:00,500 --> 00:00:02,000\nHallo!\n\n2\n00:00:02,000 --> 00:00:04,000\nZwei\n"
    cues = parse_vtt(to_vtt(srt.encode(), "de.srt"), duration_s=5)
    assert [(c.start_s, c.text) for c in cues] == [(0.5, "Hallo!"), (2.0, "Zwei")]


def test_a_file_in_another_encoding_or_of_ten_thousand_cues_is_refused() -> None:
    with pytest.raises(CaptionError, match="not UTF-8"):
        to_vtt("WEBVTT\n\n00:00.000 --> 00:01.000\nGrüße\n".encode("latin-1"))
    many = "WEBVTT\n\n" + "".join(f"00:{i // 100:02d}.{i % 100:02d}0 --> 00:{i // 100:02d}."
                                  f"{i % 100:02d}5\nx\n\n" for i in range(10_000))
    with pytest.raises(CaptionError):
        parse_vtt(many, duration_s=200)
