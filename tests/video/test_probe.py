"""What can become a shoppable video, and the reason given for what cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from chuhai.video.probe import VideoRejected, probe


def test_a_vertical_clip_is_measured(clips: dict[str, Path]) -> None:
    p = probe(clips["vertical"])
    assert (p.width, p.height, p.rotation) == (540, 960, 0)
    assert p.vertical and p.has_audio and p.video_codec == "h264"
    assert 2.9 <= p.duration_s <= 3.1 and p.fps == pytest.approx(25)


def test_a_phone_clip_on_its_side_is_measured_upright(clips: dict[str, Path]) -> None:
    p = probe(clips["rotated"])
    assert p.rotation == 90
    assert (p.width, p.height) == (360, 640) and p.vertical


def test_a_silent_clip_is_fine(clips: dict[str, Path]) -> None:
    assert not probe(clips["silent"]).has_audio


@pytest.mark.parametrize(("clip", "code"), [
    ("text", "not_a_video"),          # a text file named .mp4
    ("truncated", "video_corrupt"),   # the first third of an MP4 (no index)
    ("empty", "video_empty"),
    ("blink", "video_too_short"),     # 0.3 s
    ("audio_only", "video_no_picture"),
    ("four_hours", "video_too_long"),
])
def test_what_cannot_be_a_video_is_refused_with_a_stable_code(
        clips: dict[str, Path], clip: str, code: str) -> None:
    with pytest.raises(VideoRejected) as err:
        probe(clips[clip])
    assert err.value.code == code
    assert str(err.value)  # a reason a seller can act on


def test_the_size_limit_is_checked_before_reading(clips: dict[str, Path]) -> None:
    with pytest.raises(VideoRejected) as err:
        probe(clips["vertical"], max_bytes=1000)
    assert err.value.code == "video_too_large"
