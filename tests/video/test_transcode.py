"""A clip becomes an HLS ladder buyers' players can pick from, a poster and a strip."""

from __future__ import annotations

from pathlib import Path

import m3u8
import pytest

from chuhai.video.probe import VideoRejected, probe
from chuhai.video.transcode import STRIP_FRAMES, transcode


def test_the_ladder_has_a_master_playlist_with_what_players_choose_by(
        clips: dict[str, Path], tmp_path: Path) -> None:
    info = probe(clips["vertical"])
    seen: list[float] = []
    out = transcode(clips["vertical"], tmp_path, info, progress=seen.append)
    assert [v.name for v in out.variants] == ["540p", "360p"]
    master = m3u8.load(str(tmp_path / out.master))
    assert master.is_variant
    shown = [(p.stream_info.resolution, p.stream_info.codecs) for p in master.playlists]
    assert shown == [((540, 960), "avc1.64001f,mp4a.40.2"), ((360, 640), "avc1.64001e,mp4a.40.2")]
    for p, v in zip(master.playlists, out.variants, strict=True):
        assert p.stream_info.bandwidth == v.bandwidth > v.average_bandwidth * 0.5 > 0
        variant = m3u8.load(str(tmp_path / p.uri))
        assert variant.playlist_type == "vod" and variant.is_endlist
        assert abs(sum(s.duration for s in variant.segments) - info.duration_s) < 0.5
        assert all((tmp_path / Path(p.uri).parent / s.uri).stat().st_size > 0
                   for s in variant.segments)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_the_poster_and_strip_are_jpegs(clips: dict[str, Path], tmp_path: Path) -> None:
    out = transcode(clips["small"], tmp_path, probe(clips["small"]))
    for name in (out.poster, out.strip):
        assert (tmp_path / name).read_bytes()[:3] == b"\xff\xd8\xff"
    assert out.strip_frames == STRIP_FRAMES


def test_a_phone_clip_on_its_side_comes_out_upright(clips: dict[str, Path],
                                                     tmp_path: Path) -> None:
    out = transcode(clips["rotated"], tmp_path, probe(clips["rotated"]))
    assert [(v.width, v.height) for v in out.variants] == [(360, 640)]


def test_a_clip_without_sound_gets_a_ladder_without_audio(clips: dict[str, Path],
                                                          tmp_path: Path) -> None:
    out = transcode(clips["silent"], tmp_path, probe(clips["silent"]))
    assert out.variants and (tmp_path / out.master).exists()


def test_a_file_that_stops_early_is_refused_not_half_published(
        clips: dict[str, Path], tmp_path: Path) -> None:
    info = probe(clips["small"])
    longer = type(info)(**{**info.__dict__, "duration_s": 20.0})  # the header lies
    with pytest.raises(VideoRejected) as err:
        transcode(clips["small"], tmp_path, longer)
    assert err.value.code == "video_corrupt"
