"""Video use cases: create from an upload, process (claimed under a lease), tag, publish,
and the views the console, the API and the buyer's player read.

Every query is scoped to the actor's org first, so another org's video or product is a 404
like one that does not exist. Processing is claimed with a conditional UPDATE and a lease:
two workers never transcode the same video, and a worker that died is replaced once its
lease lapses.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
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

from chuhai.catalog.models import Product
from chuhai.comms.service import default_screener
from chuhai.comms.translator import ProviderError, TranslationChain, TranslationUnavailable
from chuhai.core.actor import Actor, Perm
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.errors import Conflict, FieldProblem, InvalidInput, NotFound
from chuhai.core.ids import new_id
from chuhai.markets.profiles import default_profiles
from chuhai.video import asr, caption_translation, clips
from chuhai.video import screening as video_screening
from chuhai.video.captions import CaptionError, Cue, parse_vtt, srt_to_vtt
from chuhai.video.models import Video, VideoCaption, VideoMarket, VideoTag
from chuhai.video.probe import Probe, VideoRejected, probe
from chuhai.video.storage import Storage, storage_for
from chuhai.video.transcode import transcode

log = logging.getLogger("chuhai.video")
LEASE = timedelta(minutes=2)  # renewed every second while a worker transcodes
MAX_ATTEMPTS = 3
MAX_TAGS = 50
MAX_TITLE = 150
MAX_DESCRIPTION = 2000
LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
SUFFIX = re.compile(r"\.[a-z0-9]{1,5}")


def _markets(markets: list[str]) -> list[str]:
    known = default_profiles()
    out = []
    for m in markets:
        code = m.strip().upper()
        if code not in known or code == "CN":
            raise InvalidInput(f"market {m!r} is not one the platform sells to",
                               [FieldProblem("markets", f"unknown market {m!r}")],
                               code="market_unknown")
        if code not in out:
            out.append(code)
    return out


def _texts(texts: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    if len(texts) > 20:
        raise InvalidInput("at most 20 languages", code="too_many_languages")
    for lang, t in texts.items():
        if not LANG.match(lang):
            raise InvalidInput(f"{lang!r} is not a language tag",
                               [FieldProblem(f"texts.{lang}", "not a language tag")],
                               code="invalid_language")
        title = " ".join(str(t.get("title", "")).split())
        desc = str(t.get("description", "")).strip()
        if not title or len(title) > MAX_TITLE or len(desc) > MAX_DESCRIPTION:
            raise InvalidInput(f"{lang}: a title of 1–{MAX_TITLE} characters and a description "
                               f"of at most {MAX_DESCRIPTION}",
                               [FieldProblem(f"texts.{lang}", "title or description length")],
                               code="invalid_video_text")
        out[lang] = {"title": title, "description": desc}
    return out


def rejected(exc: VideoRejected) -> InvalidInput:
    return InvalidInput(str(exc), [FieldProblem("file", str(exc))], code=exc.code)


async def create_from_file(session: AsyncSession, actor: Actor, settings: Settings,
                           path: Path, *, language: str, texts: dict[str, dict[str, str]],
                           markets: list[str], storage: Storage | None = None,
                           filename: str = "", auto_captions: bool = False) -> Video:
    """Probe ``path`` (refusing what cannot become a video), keep it as the private source,
    and add the video in ``processing``; the caller commits, then enqueues processing."""
    actor.require(Perm.CATALOG_WRITE)
    if not LANG.match(language):
        raise InvalidInput(f"{language!r} is not a language tag", code="invalid_language")
    clean = _texts(texts)
    chosen = _markets(markets)
    if auto_captions:
        try:
            engine = asr_engine(settings, language)
        except asr.AsrError as exc:
            raise InvalidInput(str(exc), code=exc.code) from None
        supported = engine.languages()
        if supported is not None and language.split("-")[0] not in supported:
            raise InvalidInput(f"{engine.name} does not recognise {language}; upload "
                               f"captions instead", [FieldProblem("language", "no engine")],
                               code="asr_language_unsupported")
    try:
        info = await asyncio.to_thread(probe, path, max_duration_s=settings.video_max_seconds,
                                       max_bytes=settings.video_max_bytes)
    except VideoRejected as exc:
        raise rejected(exc) from None
    vid = new_id("vid")
    suffix = Path(filename or path.name).suffix.lower()
    key = f"sources/{vid}/source" + (suffix if SUFFIX.fullmatch(suffix) else "")
    store = storage or storage_for(settings)
    await asyncio.to_thread(store.put_file, path, key)
    video = Video(id=vid, org_id=actor.org(), status="processing", language=language,
                  auto_captions=auto_captions,
                  texts=clean, source_key=key, source_bytes=info.size_bytes,
                  duration_s=round(info.duration_s, 3), width=info.width, height=info.height,
                  rotation=info.rotation, media_prefix="", renditions=[], strip_frames=0,
                  step="queued", progress=0.0, attempts=0, likes=0, views=0)
    video.markets = [VideoMarket(market=m, state="ready", findings=[]) for m in chosen]
    session.add(video)
    await session.flush()
    return video


async def get_video(session: AsyncSession, actor: Actor, video_id: str) -> Video:
    actor.require(Perm.CATALOG_READ)
    video = await session.scalar(select(Video).where(Video.id == video_id[:40],
                                                     Video.org_id == actor.org())
                                 .execution_options(populate_existing=True))
    if video is None:
        raise NotFound("video", video_id[:40], code="video_not_found")
    return video


async def list_videos(session: AsyncSession, actor: Actor, limit: int = 100) -> list[Video]:
    actor.require(Perm.CATALOG_READ)
    rows = await session.scalars(select(Video).where(Video.org_id == actor.org())
                                 .order_by(Video.created_at.desc()).limit(limit))
    return list(rows)


async def update_video(session: AsyncSession, actor: Actor, video_id: str, *,
                       texts: dict[str, dict[str, str]] | None = None,
                       markets: list[str] | None = None) -> Video:
    actor.require(Perm.CATALOG_WRITE)
    video = await get_video(session, actor, video_id)
    if texts is not None:
        video.texts = {**video.texts, **_texts(texts)}
    if markets is not None:
        chosen = _markets(markets)
        keep = [m for m in video.markets if m.market in chosen]
        have = {m.market for m in keep}
        video.markets = keep + [VideoMarket(market=m, state="ready", findings=[])
                                for m in chosen if m not in have]
    await session.flush()
    return video


async def add_tag(session: AsyncSession, actor: Actor, video_id: str, product_id: str,
                  start_s: float, end_s: float) -> VideoTag:
    actor.require(Perm.CATALOG_WRITE)
    video = await get_video(session, actor, video_id)
    product = await session.scalar(select(Product).where(Product.id == product_id[:40],
                                                         Product.org_id == actor.org()))
    if product is None:
        raise NotFound("product", product_id[:40], code="product_not_found")
    if not (0 <= start_s < end_s <= video.duration_s + 0.05):
        raise InvalidInput(
            f"a tag runs from 0 to {video.duration_s:.1f} s, start before end "
            f"(got {start_s}–{end_s})",
            [FieldProblem("start_s", "outside the video"), FieldProblem("end_s", "")],
            code="tag_out_of_range")
    if len(video.tags) >= MAX_TAGS:
        raise Conflict(f"a video has at most {MAX_TAGS} tags", code="too_many_tags")
    tag = VideoTag(id=new_id("vtag"), product_id=product.id, start_s=round(start_s, 3),
                   end_s=round(min(end_s, video.duration_s), 3))
    video.tags.append(tag)
    await session.flush()
    return tag


async def remove_tag(session: AsyncSession, actor: Actor, video_id: str, tag_id: str) -> None:
    actor.require(Perm.CATALOG_WRITE)
    video = await get_video(session, actor, video_id)
    tag = next((t for t in video.tags if t.id == tag_id[:40]), None)
    if tag is None:
        raise NotFound("tag", tag_id[:40], code="tag_not_found")
    video.tags.remove(tag)
    await session.flush()


async def _cues(video: Video, store: Storage) -> dict[str, list[Cue]]:
    """Each caption file's cues, read back from the store (what a buyer would be shown)."""
    out: dict[str, list[Cue]] = {}
    for c in video.captions:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "c.vtt"
            await asyncio.to_thread(store.get_file, c.key, path)
            out[c.lang] = parse_vtt(path.read_text("utf-8"), video.duration_s)
    return out


async def publish(session: AsyncSession, actor: Actor, video_id: str,
                  markets: list[str] | None = None, *, settings: Settings | None = None,
                  storage: Storage | None = None) -> Video:
    """Show the video to buyers of ``markets`` (default: every chosen market) — where what
    it says passes that market's screening; elsewhere it is ``held`` with the findings
    (what, where, the cue and time, a suggested rewrite). Only a ``ready`` video: a buyer
    never sees one still processing or one that failed."""
    actor.require(Perm.CATALOG_WRITE)
    video = await get_video(session, actor, video_id)
    if video.status != "ready":
        raise Conflict(f"the video is {video.status}; it can be published once ready",
                       code="video_not_ready")
    wanted = _markets(markets) if markets else [m.market for m in video.markets]
    if not wanted:
        raise InvalidInput("choose at least one market", code="no_markets")
    store = storage or storage_for(settings or Settings())
    lines = video_screening.said(video.texts, await _cues(video, store))
    screener = default_screener()
    have = {m.market: m for m in video.markets}
    now = utcnow()
    for code in wanted:
        row = have.get(code)
        if row is None:
            row = VideoMarket(market=code, state="ready", findings=[])
            video.markets.append(row)
        findings = await asyncio.to_thread(video_screening.screen, screener, code, lines)
        row.findings = findings
        if findings:
            row.state = "held"
        else:
            row.state, row.published_at = "published", row.published_at or now
    await session.flush()
    return video


async def unpublish(session: AsyncSession, actor: Actor, video_id: str,
                    markets: list[str]) -> Video:
    actor.require(Perm.CATALOG_WRITE)
    video = await get_video(session, actor, video_id)
    gone = set(_markets(markets))
    for row in video.markets:
        if row.market in gone and row.state == "published":
            row.state = "ready"
    await session.flush()
    return video


async def add_captions(session: AsyncSession, actor: Actor, settings: Settings,
                       video_id: str, lang: str, text: str,
                       storage: Storage | None = None) -> VideoCaption:
    """An uploaded WebVTT (or SubRip) file, checked cue by cue and stored beside the
    ladder as WebVTT."""
    actor.require(Perm.CATALOG_WRITE)
    video = await get_video(session, actor, video_id)
    if not LANG.match(lang):
        raise InvalidInput(f"{lang!r} is not a language tag", code="invalid_language")
    try:
        if not text.lstrip("\ufeff").lstrip().startswith("WEBVTT") and "-->" in text:
            text = srt_to_vtt(text)  # SubRip, as a WebVTT file
        cues = parse_vtt(text, video.duration_s)
    except CaptionError as exc:
        raise InvalidInput(str(exc), [FieldProblem("captions", str(exc))],
                           code="captions_invalid") from None
    key = f"videos/{video.id}/captions/{lang}-{new_id('cap')[-8:]}.vtt"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.vtt"
        path.write_text(text, encoding="utf-8")
        await asyncio.to_thread((storage or storage_for(settings)).put_file, path, key)
    row = next((c for c in video.captions if c.lang == lang), None)
    if row is None:
        row = VideoCaption(lang=lang, source="upload", key=key, cues=len(cues))
        video.captions.append(row)
    else:
        row.key, row.cues, row.source = key, len(cues), "upload"
    await session.flush()
    return row


async def translate_captions(session: AsyncSession, actor: Actor, settings: Settings,
                             video_id: str, source: str, targets: list[str],
                             chain: TranslationChain, storage: Storage | None = None
                             ) -> list[VideoCaption]:
    """The ``source`` captions in each of ``targets`` through the translation chain (org
    glossary and memory first, then the providers), sentence by sentence, laid out again at
    reading speed; stored beside the others with ``source = "translation"``."""
    actor.require(Perm.CATALOG_WRITE)
    video = await get_video(session, actor, video_id)
    original = next((c for c in video.captions if c.lang == source), None)
    if original is None:
        raise NotFound(f"{source} captions of video", video.id, code="captions_not_found")
    store = storage or storage_for(settings)
    cues = (await _cues(video, store)).get(source, [])
    made: list[VideoCaption] = []
    for target in dict.fromkeys(t for t in targets if t != source):
        if not LANG.match(target):
            raise InvalidInput(f"{target!r} is not a language tag", code="invalid_language")

        async def one(text: str, target: str = target) -> str:
            try:
                return (await chain.translate(text, source.split("-")[0],
                                              target.split("-")[0])).text
            except (TranslationUnavailable, ProviderError) as exc:
                raise Conflict(f"no translator could put the captions into {target}: {exc}",
                               code="translation_unavailable") from None

        translated = await caption_translation.translate_cues(cues, one, target)
        key = f"videos/{video.id}/captions/{target}-{new_id('cap')[-8:]}.vtt"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "c.vtt"
            path.write_text(caption_translation.to_webvtt(translated), encoding="utf-8")
            await asyncio.to_thread(store.put_file, path, key)
        row = next((c for c in video.captions if c.lang == target), None)
        if row is None:
            row = VideoCaption(lang=target, source="translation", key=key, cues=len(translated))
            video.captions.append(row)
        elif row.source == "upload":
            continue  # the seller's own captions in that language win
        else:
            row.key, row.cues = key, len(translated)
        made.append(row)
    await session.flush()
    return made


async def clip_from_room(stores: Stores, room_id: str, product_id: str,
                         storage: Storage | None = None) -> tuple[str, clips.Plan]:
    """A video of the chapter in which ``product_id`` was presented in the room's replay,
    processed, with the product tagged over it; in the room's markets, not yet published."""
    from chuhai.live.models import Room, RoomEvent

    settings = stores.settings
    async with stores.session() as s:
        room = await s.get(Room, room_id[:40])
        if room is None:
            raise NotFound("room", room_id[:40], code="room_not_found")
        pins = (await s.scalars(select(RoomEvent).where(
            RoomEvent.room_id == room.id, RoomEvent.type == "pin").order_by(RoomEvent.seq))).all()
    start = room.started_at or room.scheduled_at
    chapters = [(max(0.0, (e.at - start).total_seconds()), e.data.get("product_id"))
                for e in pins]
    try:
        path = clips.local_recording(settings.data_dir / "media", room.recording_url
                                     or room.playback_url)
        length = await asyncio.to_thread(clips.duration, path)
        cut = clips.plan(chapters, product_id, start, clips.recording_start(path), length)
    except clips.ClipRefused as exc:
        raise Conflict(str(exc), code=exc.code) from None
    actor = Actor.system(room.org_id)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "clip.mp4"
        try:
            await asyncio.to_thread(clips.cut, path, out, cut.start_s, cut.end_s)
        except VideoRejected as exc:
            raise rejected(exc) from None
        titles = room.titles or {"en": room.id}
        async with stores.session() as s:
            video = await create_from_file(
                s, actor, settings, out, language=next(iter(titles)),
                texts={lang: {"title": t[:MAX_TITLE], "description": ""}
                       for lang, t in titles.items()},
                markets=[m for m in room.markets if m != "CN"], storage=storage,
                filename="clip.mp4")
            await s.commit()
            vid = video.id
    await process(stores, vid, storage=storage)
    async with stores.session() as s:
        video = await get_video(s, actor, vid)
        if video.status == "ready":
            await add_tag(s, actor, vid, product_id, 0.0, video.duration_s)
            await s.commit()
    return vid, cut


# --- processing --------------------------------------------------------------------------


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


def asr_engine(settings: Settings, lang: str) -> asr.Engine:
    return asr.engine_for(settings.asr_engine, model_dir=settings.asr_model_dir,
                          url=settings.asr_url, api_key=settings.asr_api_key,
                          model=settings.asr_model, lang=lang.split("-")[0],
                          timeout_s=settings.asr_timeout_s)


async def _captions_from_speech(stores: Stores, video_id: str, src: Path, lang: str,
                                duration_s: float, store: Storage,
                                hold_db: Callable[[Callable[[], Awaitable[None]]],
                                                  Awaitable[None]]) -> None:
    """Speech recognition on the source; its cues stored as the ``asr`` captions. An engine
    that fails or hangs raises, so the job is retried (then the video fails with why)."""
    engine = asr_engine(stores.settings, lang)
    found = await asyncio.to_thread(asr.transcribe, src, lang, engine,
                                    stores.settings.asr_timeout_s)
    found = [c for c in found if c.end_s <= duration_s + 0.5]
    if not found:
        return  # silence or music: no captions rather than invented ones
    key = f"videos/{video_id}/captions/{lang}-asr-{new_id('cap')[-8:]}.vtt"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.vtt"
        path.write_text(caption_translation.to_webvtt(found), encoding="utf-8")
        await asyncio.to_thread(store.put_file, path, key)
    async def write() -> None:
        async with stores.session() as s:
            video = await s.get(Video, video_id)
            assert video is not None
            row = next((c for c in video.captions if c.lang == lang), None)
            if row is None:
                video.captions.append(VideoCaption(lang=lang, source="asr", key=key,
                                                   cues=len(found)))
            elif row.source != "upload":  # the seller's own captions win
                row.key, row.cues, row.source = key, len(found), "asr"
            await s.commit()
    await hold_db(write)


async def _set_now(stores: Stores, video_id: str, **values: Any) -> None:
    async with stores.session() as s:
        await s.execute(update(Video).where(Video.id == video_id).values(**values))
        await s.commit()


# --- views -------------------------------------------------------------------------------


async def published_in(session: AsyncSession, org_id: str, market: str, limit: int = 30
                       ) -> list[Video]:
    """What buyers of ``market`` may watch: ready, and published there; newest first."""
    rows = await session.scalars(
        select(Video).join(VideoMarket, VideoMarket.video_id == Video.id)
        .where(Video.org_id == org_id, Video.status == "ready",
               VideoMarket.market == market, VideoMarket.state == "published")
        .order_by(VideoMarket.published_at.desc()).limit(limit))
    return list(rows)


def text_for(video: Video, lang: str) -> dict[str, str]:
    """The title and description in ``lang``, else in the video's own language."""
    texts = video.texts or {}
    return (texts.get(lang) or texts.get(lang.split("-")[0]) or texts.get(video.language)
            or next(iter(texts.values()), {"title": "", "description": ""}))


def media_url(store: Storage, video: Video, name: str) -> str | None:
    return store.url(f"{video.media_prefix}/{name}") if video.media_prefix else None


def view(video: Video, store: Storage) -> dict[str, Any]:
    """The JSON the CLI, the API and the console show (the contract in docs/video.md)."""
    return {
        "id": video.id, "status": video.status, "step": video.step,
        "progress": round(video.progress, 3), "duration_s": round(video.duration_s, 3),
        "width": video.width, "height": video.height, "language": video.language,
        "texts": video.texts,
        "error": ({"code": video.error_code, "message": video.error}
                  if video.status == "failed" else None),
        "renditions": [{"name": r["name"], "width": r["width"], "height": r["height"],
                        "bandwidth": r["bandwidth"],
                        "url": store.url(f"{video.media_prefix}/{r['playlist']}")}
                       for r in video.renditions],
        "master_url": media_url(store, video, "master.m3u8"),
        "poster_url": media_url(store, video, "poster.jpg"),
        "strip": ({"url": media_url(store, video, "strip.jpg"), "frames": video.strip_frames}
                  if video.media_prefix else None),
        "captions": [{"lang": c.lang, "source": c.source, "url": store.url(c.key),
                      "cues": c.cues} for c in video.captions],
        "tags": [{"id": t.id, "product_id": t.product_id, "start_s": t.start_s,
                  "end_s": t.end_s} for t in video.tags],
        "markets": [{"market": m.market, "state": m.state, "findings": m.findings}
                    for m in video.markets],
        "likes": video.likes, "views": video.views,
        "created_at": video.created_at.isoformat(),
    }
