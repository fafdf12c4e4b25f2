"""The renditions a source gets: only rungs at or below it, vertical or landscape."""

from __future__ import annotations

import pytest

from chuhai.video.ladder import plan


def test_a_full_hd_vertical_clip_gets_the_whole_ladder() -> None:
    assert [(r.width, r.height) for r in plan(1080, 1920)] == [
        (1080, 1920), (720, 1280), (540, 960), (360, 640)]


def test_no_rung_is_above_the_source() -> None:
    assert [r.name for r in plan(720, 1280)] == ["720p", "540p", "360p"]


def test_a_landscape_source_gets_the_ladder_turned() -> None:
    assert next((r.width, r.height) for r in plan(1280, 720)) == (1280, 720)


def test_a_source_below_the_lowest_rung_keeps_its_own_even_size() -> None:
    [only] = plan(301, 533)
    assert (only.width, only.height) == (300, 532)


def test_codecs_name_h264_high_at_the_rungs_level_and_aac() -> None:
    top = plan(1080, 1920)[0]
    assert top.codecs == "avc1.640028,mp4a.40.2"
    assert plan(360, 640)[0].codecs == "avc1.64001e,mp4a.40.2"


def test_an_empty_picture_is_refused() -> None:
    with pytest.raises(ValueError):
        plan(0, 640)
