"""Processing survives workers: a video is claimed under a lease, a job run twice does
nothing more, and a worker killed mid-transcode leaves nothing half-published — the next
worker start takes the video up again."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from chuhai.core.clock import utcnow
from chuhai.core.db import Stores
from chuhai.video import processing, service
from chuhai.video.jobs import Jobs
from chuhai.video.models import Video
from tests.factories import make_tenant
from tests.video.conftest import make_clip

TEXTS = {"en": {"title": "A clip", "description": ""}}


async def _video(stores: Stores, settings: Any, clip: Path) -> str:
    tenant = await make_tenant(stores, settings)
    async with stores.session() as s:
        v = await service.create_from_file(s, tenant.actor, settings, clip, language="en",
                                           texts=TEXTS, markets=["DE"])
        await s.commit()
        return v.id


async def test_only_one_worker_gets_the_lease(stores: Stores, settings: Any,
                                             clips: dict[str, Path]) -> None:
    vid = await _video(stores, settings, clips["small"])
    async with stores.session() as s:
        first = await processing.claim(s, vid)
        second = await processing.claim(s, vid)
        await s.commit()
    assert first is not None and first.attempt == 1 and second is None


async def test_a_lapsed_lease_or_a_long_queued_video_is_found_again(
        stores: Stores, settings: Any, clips: dict[str, Path]) -> None:
    vid = await _video(stores, settings, clips["small"])
    async with stores.session() as s:
        assert vid not in await processing.stale(s)  # just queued: its job is on the way
        await s.execute(update(Video).where(Video.id == vid).values(
            updated_at=utcnow() - timedelta(minutes=5)))
        assert vid in await processing.stale(s)
        await processing.claim(s, vid)
        assert vid not in await processing.stale(s)  # a live worker holds it
        await s.execute(update(Video).where(Video.id == vid).values(
            lease_until=utcnow() - timedelta(seconds=1)))
        assert vid in await processing.stale(s)
        await s.commit()
    assert await processing.process(stores, vid) == "ready"  # the lapsed lease is taken over


async def test_a_dead_local_workers_lease_is_released_at_once(
        stores: Stores, settings: Any, clips: dict[str, Path]) -> None:
    vid = await _video(stores, settings, clips["small"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    import socket
    async with stores.session() as s:
        await processing.claim(s, vid)
        await s.execute(update(Video).where(Video.id == vid).values(
            lease_owner=f"{socket.gethostname()[:100]}:{gone.pid}"))
        assert vid in await processing.stale(s)
    async with stores.session() as s:
        video = await s.get(Video, vid)
        assert video is not None and video.lease_until is None and video.step == "queued"


async def test_a_bad_file_fails_for_good_with_its_reason(
        stores: Stores, settings: Any, clips: dict[str, Path]) -> None:
    vid = await _video(stores, settings, clips["small"])
    src = settings.data_dir / "private" / "sources" / vid
    for f in src.iterdir():
        f.write_bytes(f.read_bytes()[:2000])  # the stored source was damaged
    assert await processing.process(stores, vid) == "failed"
    async with stores.session() as s:
        video = await s.get(Video, vid)
        assert video is not None and video.error_code == "video_corrupt"
        assert video.media_prefix == ""  # nothing for a buyer


async def test_the_queue_runs_a_job_through_huey(tmp_path: Path, clips: dict[str, Path]
                                                 ) -> None:
    env = _env(tmp_path)
    _cli(env, "migrate")
    _cli(env, "user", "create", "--org", "clipco", "--email", "o@clipco.example",
         "--role", "owner", "--name", "O", "--password", "a-long-password")
    vid = json.loads(_cli(env, "video", "ingest", str(clips["small"]), "--org", "clipco",
                          "--markets", "DE", "--json"))["id"]
    settings_env = {k[7:].lower(): v for k, v in env.items() if k.startswith("CHUHAI_")}
    from chuhai.core.config import Settings
    jobs = Jobs(Settings(**settings_env))
    assert await asyncio.to_thread(jobs.work_one) is True
    assert await asyncio.to_thread(jobs.work_one) is False  # the queue is empty
    shown = json.loads(_cli(env, "video", "show", vid, "--org", "clipco", "--json"))
    assert shown["status"] == "ready" and shown["master_url"]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CHUHAI_DATA_DIR": str(tmp_path / "var"),
            "CHUHAI_SECRET_KEY": "jobs-test-key", "CHUHAI_DATABASE_URL": "",
            "CHUHAI_JOBS_URL": ""}


def _cli(env: dict[str, str], *args: str) -> str:
    exe = str(Path(sys.executable).parent / "chuhai")
    out = subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_a_worker_killed_mid_transcode_publishes_nothing_and_the_next_one_finishes(
        tmp_path: Path) -> None:
    env = _env(tmp_path)
    env.pop("CHUHAI_DATABASE_URL")
    _cli(env, "migrate")
    _cli(env, "user", "create", "--org", "clipco", "--email", "o@clipco.example",
         "--role", "owner", "--name", "O", "--password", "a-long-password")
    clip = make_clip(tmp_path / "long.mp4", size="720x1280", seconds=12.0)
    vid = json.loads(_cli(env, "video", "ingest", str(clip), "--org", "clipco",
                          "--markets", "DE", "--json"))["id"]
    exe = str(Path(sys.executable).parent / "chuhai")
    worker = subprocess.Popen([exe, "worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            shown = json.loads(_cli(env, "video", "show", vid, "--org", "clipco", "--json"))
            raw = _progress(tmp_path, vid)
            if raw[0] == "transcoding" and raw[1] > 0:
                break
            assert time.monotonic() < deadline, shown
            time.sleep(0.3)
        os.killpg(worker.pid, signal.SIGKILL)  # mid-transcode
        worker.wait(timeout=10)
        shown = json.loads(_cli(env, "video", "show", vid, "--org", "clipco", "--json"))
        assert shown["status"] == "processing" and shown["master_url"] is None
        assert not list((tmp_path / "var" / "media").glob(f"videos/{vid}/*/master.m3u8"))
        worker = subprocess.Popen([exe, "worker"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 240
        while shown["status"] == "processing":
            assert time.monotonic() < deadline, shown
            time.sleep(1)
            shown = json.loads(_cli(env, "video", "show", vid, "--org", "clipco", "--json"))
        assert shown["status"] == "ready" and shown["master_url"]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def _progress(tmp_path: Path, vid: str) -> tuple[str, float]:
    import sqlite3
    with sqlite3.connect(tmp_path / "var" / "global.db") as db:
        row = db.execute("SELECT step, progress FROM videos WHERE id = ?", (vid,)).fetchone()
    return (row[0], row[1]) if row else ("", 0.0)
