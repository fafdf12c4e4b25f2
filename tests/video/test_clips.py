"""A short video cut from a live replay: the chapter in which a product was presented,
mapped from the room's clock onto the recording's own (its EXT-X-PROGRAM-DATE-TIME)."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from chuhai.core.db import Stores
from chuhai.core.errors import DomainError
from chuhai.live.models import Room, RoomEvent
from chuhai.live.simulate import ffmpeg_exe
from chuhai.video import clips, service
from chuhai.video.models import Video
from tests.factories import create_product, make_tenant


def test_a_chapter_maps_onto_the_recordings_own_clock() -> None:
    from datetime import UTC, datetime
    rec = datetime(2026, 12, 6, 12, 0, 0, tzinfo=UTC)
    room = rec + timedelta(seconds=2)  # the room went live 2 s into the recording
    chapters = [(1.0, "p1"), (5.0, "p2"), (12.0, "p3")]
    got = clips.plan(chapters, "p2", room, rec, 30.0)
    assert (got.start_s, got.end_s, got.aligned) == (7.0, 14.0, True)
    assert clips.plan(chapters, "p3", room, rec, 30.0).end_s == 30.0  # to the recording's end
    for product, length, code in (("p9", 30.0, "product_not_presented"),
                                  ("p3", 10.0, "clip_out_of_range")):
        with pytest.raises(clips.ClipRefused) as err:
            clips.plan(chapters, product, room, rec, length)
        assert err.value.code == code


def test_a_remote_recording_is_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(clips.ClipRefused) as err:
        clips.local_recording(tmp_path, "https://cdn.example/rec/index.m3u8")
    assert err.value.code == "recording_remote"
    with pytest.raises(clips.ClipRefused) as err:
        clips.local_recording(tmp_path, "/media/../../etc/passwd")
    assert err.value.code == "no_recording"


async def test_a_products_chapter_becomes_a_tagged_video(
        stores: Stores, settings: Any, app_client: Any, tmp_path: Path) -> None:
    tenant = await make_tenant(stores, settings)
    product = await create_product(app_client, tenant, code="CLIP-1")
    room_id = "room_cliptest0000000000000000"
    out = settings.data_dir / "media" / "live" / room_id
    out.mkdir(parents=True)
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "16",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-f", "hls", "-hls_time", "2", "-hls_list_size", "0",
                    "-hls_playlist_type", "event", "-hls_flags", "program_date_time",
                    str(out / "index.m3u8")], check=True, timeout=120)
    rec_start = clips.recording_start(out / "index.m3u8")
    assert rec_start is not None
    started = rec_start + timedelta(seconds=2)
    async with stores.session() as s:
        s.add(Room(id=room_id, org_id=tenant.org_id, titles={"en": "Evening live"},
                   host_ids=[], markets=["DE", "JP"], scheduled_at=started, status="ended",
                   playback_url=f"/media/live/{room_id}/index.m3u8", started_at=started,
                   ended_at=started + timedelta(seconds=14)))
        s.add(RoomEvent(room_id=room_id, seq=1, type="pin", at=started + timedelta(seconds=3),
                        data={"product_id": product["id"]}))
        s.add(RoomEvent(room_id=room_id, seq=2, type="pin", at=started + timedelta(seconds=9),
                        data={"product_id": "prd_other"}))
        await s.commit()
    vid, cut = await service.clip_from_room(stores, room_id, product["id"])
    assert (cut.start_s, cut.end_s, cut.aligned) == pytest.approx((5.0, 11.0, True), abs=0.05)
    async with stores.session() as s:
        video = await s.get(Video, vid)
        assert video is not None and video.status == "ready"
        assert video.duration_s == pytest.approx(6.0, abs=0.3)
        assert [t.product_id for t in video.tags] == [product["id"]]
        assert sorted(m.market for m in video.markets) == ["DE", "JP"]
        assert {m.state for m in video.markets} == {"ready"}  # the seller publishes
    with pytest.raises(DomainError) as err:
        await service.clip_from_room(stores, room_id, "prd_never_pinned")
    assert err.value.code == "product_not_presented"
