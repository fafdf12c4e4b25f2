"""Processing a video: claimed under a lease, transcoded into the ladder, captioned from
its speech when asked, then pointed at its new media.

Processing is claimed with a conditional UPDATE and a lease: two workers never transcode
the same video, and a worker that died is replaced once its lease lapses (or at once, when
it ran on this machine and its process is gone).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.core.clock import utcnow
from chuhai.core.db import Stores
from chuhai.core.ids import new_id
from chuhai.video import asr, caption_files
from chuhai.video.caption_origin import SELLERS, mark_behind
from chuhai.video.models import Video, VideoCaption
from chuhai.video.probe import Probe, VideoRejected, probe
from chuhai.video.storage import Storage, storage_for
from chuhai.video.transcode import transcode

log = logging.getLogger("chuhai.video")
LEASE = timedelta(minutes=2)  # renewed every second while a worker transcodes
MAX_ATTEMPTS = 3


@dataclass
class Claim:
    video_id: str
    source_key: str
    attempt: int
    info: dict[str, Any]


async def claim(session: AsyncSession, video_id: str) -> Claim | None:
    """Take the video's processing lease (None: done, failed, or another worker holds it)."""
    now = utcnow()
    res = await session.execute(
        update(Video).where(Video.id == video_id, Video.status == "processing",
                            or_(Video.lease_until.is_(None), Video.lease_until < now))
        .values(lease_until=now + LEASE, lease_owner=worker_id(), attempts=Video.attempts + 1,
                step="transcoding", progress=0.0))
    if res.rowcount != 1:  # type: ignore[attr-defined]
        return None
    video = await session.get(Video, video_id, populate_existing=True)
    assert video is not None
    return Claim(video.id, video.source_key, video.attempts,
                 {"rotation": video.rotation, "language": video.language,
                  "auto_captions": video.auto_captions, "duration_s": video.duration_s})


def worker_id() -> str:
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def _dead_here(owner: str | None) -> bool:
    """A lease held by a process of this machine that no longer runs (a killed worker)."""
    host, _, pid = (owner or "").rpartition(":")
    if host != socket.gethostname()[:100] or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


async def stale(session: AsyncSession, older_than: timedelta = timedelta(minutes=2)
                ) -> list[str]:
    """Videos that should be processing but nobody works on: queued long ago, whose
    worker's lease lapsed, or whose worker on this machine is gone (killed) — what a
    restarting worker queues again. A dead local worker's lease is released at once."""
    now = utcnow()
    rows = (await session.execute(select(Video.id, Video.lease_until, Video.lease_owner,
                                         Video.updated_at)
                                  .where(Video.status == "processing"))).all()
    out = []
    for vid, until, owner, updated in rows:
        if until is not None and until >= now and _dead_here(owner):
            await session.execute(update(Video).where(Video.id == vid,
                                                      Video.lease_owner == owner)
                                  .values(lease_until=None, step="queued"))
            out.append(vid)
        elif (until is not None and until < now) or (until is None and updated < now
                                                     - older_than):
            out.append(vid)
    await session.commit()
    return out


async def process(stores: Stores, video_id: str, *, storage: Storage | None = None) -> str:
    """Transcode one video: claim it, build the ladder in a private folder, put it in the
    store, then point the video at it. Returns the status it ends in."""
    settings = stores.settings
    store = storage or storage_for(settings)
    async with stores.session() as s:
        got = await claim(s, video_id)
        await s.commit()
    if got is None:
        async with stores.session() as s:
            video = await s.get(Video, video_id)
            return video.status if video is not None else "missing"
    progress = {"at": 0.0}

    db = asyncio.Lock()  # the reporter and the steps write one at a time

    async def report() -> None:
        while True:
            await asyncio.sleep(1.0)
            async with db, stores.session() as s:
                await s.execute(update(Video).where(Video.id == video_id).values(
                    progress=round(progress["at"], 3), lease_until=utcnow() + LEASE))
                await s.commit()

    async def _set(stores: Stores, video_id: str, **values: Any) -> None:
        async with db:
            await _set_now(stores, video_id, **values)

    reporter = asyncio.create_task(report())
    work = Path(tempfile.mkdtemp(prefix="chuhai-video-"))
    try:
        src = work / ("source" + Path(got.source_key).suffix)
        await asyncio.to_thread(store.get_file, got.source_key, src)
        info: Probe = await asyncio.to_thread(
            probe, src, max_duration_s=settings.video_max_seconds,
            max_bytes=settings.video_max_bytes)
        out = work / "out"
        out.mkdir()
        result = await asyncio.to_thread(
            transcode, src, out, info, progress=lambda f: progress.__setitem__("at", f * 0.9))
        prefix = f"videos/{video_id}/r{got.attempt}-{new_id('r')[-6:]}"
        await _set(stores, video_id, step="storing", progress=0.92)
        await asyncio.to_thread(store.put_tree, out, prefix)
        if got.info["auto_captions"]:
            await _set(stores, video_id, step="captioning", progress=0.95)
            async def hold_db(work: Callable[[], Awaitable[None]]) -> None:
                async with db:
                    await work()
            await _captions_from_speech(stores, video_id, src, str(got.info["language"]),
                                        float(got.info["duration_s"]), store, hold_db)
        renditions = [{"name": v.name, "width": v.width, "height": v.height,
                       "bandwidth": v.bandwidth, "average_bandwidth": v.average_bandwidth,
                       "codecs": v.codecs, "playlist": v.playlist} for v in result.variants]
        await _set(stores, video_id, status="ready", step="ready", progress=1.0,
                   media_prefix=prefix, renditions=renditions,
                   strip_frames=result.strip_frames, lease_until=None, error=None,
                   error_code=None)
        return "ready"
    except VideoRejected as exc:
        await _set(stores, video_id, status="failed", step="failed", error_code=exc.code,
                   error=str(exc), lease_until=None)
        return "failed"
    except Exception as exc:
        log.exception("processing video %s failed (attempt %s)", video_id, got.attempt)
        final = got.attempt >= MAX_ATTEMPTS
        await _set(stores, video_id, status="failed" if final else "processing",
                   step="failed" if final else "queued",
                   error_code=getattr(exc, "code", None) or "processing_failed",
                   error=f"{exc.__class__.__name__}: {exc}"[:500], lease_until=None)
        if final:
            return "failed"
        raise
    finally:
        reporter.cancel()
        shutil.rmtree(work, ignore_errors=True)


async def _captions_from_speech(stores: Stores, video_id: str, src: Path, lang: str,
                                duration_s: float, store: Storage,
                                hold_db: Callable[[Callable[[], Awaitable[None]]],
                                                  Awaitable[None]]) -> None:
    """Speech recognition on the source; its cues stored as the ``asr`` captions. An engine
    that fails or hangs raises, so the job is retried (then the video fails with why)."""
    engine = asr.for_settings(stores.settings, lang)
    found = await asyncio.to_thread(asr.transcribe, src, lang, engine,
                                    stores.settings.asr_timeout_s)
    found = [c for c in found if c.end_s <= duration_s + 0.5]
    if not found:
        return  # silence or music: no captions rather than invented ones
    key = caption_files.new_key(video_id, lang, "asr")
    await caption_files.write(store, key, found)
    async def write() -> None:
        async with stores.session() as s:
            video = await s.get(Video, video_id)
            assert video is not None
            row = next((c for c in video.captions if c.lang == lang), None)
            if row is None:
                video.captions.append(VideoCaption(lang=lang, source="asr", key=key,
                                                   cues=len(found)))
            elif row.source not in SELLERS:  # the seller's own captions win
                row.key, row.cues, row.source = key, len(found), "asr"
                row.from_lang, row.stale = None, False
            mark_behind(video, lang)  # what was translated from it is behind
            await s.commit()
    await hold_db(write)


async def _set_now(stores: Stores, video_id: str, **values: Any) -> None:
    async with stores.session() as s:
        await s.execute(update(Video).where(Video.id == video_id).values(**values))
        await s.commit()
