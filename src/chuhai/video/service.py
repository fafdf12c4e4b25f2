"""Video use cases: create from an upload, tag, publish (screened per market), clip from
a replay, and the views the console, the API and the buyer's player read. Processing lives
in ``processing``, captions in ``captioning``.

Every query is scoped to the actor's org first, so another org's video or product is a 404
like one that does not exist.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.catalog.models import Product
from chuhai.comms.service import default_screener
from chuhai.core.actor import Actor, Perm
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.errors import Conflict, FieldProblem, InvalidInput, NotFound
from chuhai.core.ids import new_id
from chuhai.markets.profiles import default_profiles
from chuhai.video import asr, caption_files, clips, processing
from chuhai.video import screening as video_screening
from chuhai.video.models import Video, VideoMarket, VideoTag
from chuhai.video.probe import VideoRejected, probe
from chuhai.video.storage import Storage, storage_for

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
            engine = asr.for_settings(settings, language)
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
        new = _texts(texts)
        before = video.texts
        video.texts = {**before, **new}
        changed = {f"texts.{lang}.{field}" for lang, t in new.items()
                   for field in ("title", "description")
                   if before.get(lang, {}).get(field, "") != t[field]}
        await rescreen(video, [line for line in video_screening.said(new, {})
                               if line.where in changed], replaced=changed)
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
    lines = video_screening.said(video.texts, await caption_files.read_all(video, store))
    screener = default_screener((settings or Settings()).screening_meaning)
    have = {m.market: m for m in video.markets}
    now = utcnow()
    for code in wanted:
        row = have.get(code)
        if row is None:
            row = VideoMarket(market=code, state="ready", findings=[])
            video.markets.append(row)
        _settle(row, await asyncio.to_thread(video_screening.screen, screener, code, lines),
                now)
    await session.flush()
    return video


def _settle(row: VideoMarket, findings: list[dict[str, Any]], now: datetime) -> None:
    """Held on any finding; published (since it was first published, if it was) on none."""
    row.findings = findings
    if findings:
        row.state = "held"
    else:
        row.state, row.published_at = "published", row.published_at or now


async def rescreen(video: Video, changed: list[video_screening.Said],
                   replaced: set[str] | None = None) -> None:
    """Screen what changed — and only that — in each market where the video airs or was
    held (a market still ``ready`` is screened in full when the seller publishes)."""
    live = [m for m in video.markets if m.state in ("published", "held")]
    if not live:
        return
    screener = default_screener(Settings().screening_meaning)
    now = utcnow()
    for row in live:
        found = await asyncio.to_thread(video_screening.rescreen, screener, row.market,
                                        list(row.findings), changed, replaced or ())
        _settle(row, found, now)


async def unpublish(session: AsyncSession, actor: Actor, video_id: str,
                    markets: list[str]) -> Video:
    actor.require(Perm.CATALOG_WRITE)
    video = await get_video(session, actor, video_id)
    gone = set(_markets(markets))
    for row in video.markets:
        if row.market in gone and row.state in ("published", "held"):
            row.state, row.findings = "ready", []  # a later fix must not publish it there
    await session.flush()
    return video


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
    await processing.process(stores, vid, storage=storage)
    async with stores.session() as s:
        video = await get_video(s, actor, vid)
        if video.status == "ready":
            await add_tag(s, actor, vid, product_id, 0.0, video.duration_s)
            await s.commit()
    return vid, cut


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
                      "cues": c.cues, "from_lang": c.from_lang,
                      "stale": bool(c.stale) and c.source == "translation"}
                     for c in video.captions],
        "tags": [{"id": t.id, "product_id": t.product_id, "start_s": t.start_s,
                  "end_s": t.end_s} for t in video.tags],
        "markets": [{"market": m.market, "state": m.state, "findings": m.findings}
                    for m in video.markets],
        "likes": video.likes, "views": video.views,
        "created_at": video.created_at.isoformat(),
    }
