"""`chuhai video ingest|tag|publish|show` and `chuhai worker`: short video from the shell.

``ingest --wait`` processes the clip in this process when no worker has taken it (so a
laptop needs no worker running), printing each step; the JSON it prints is the contract in
docs/video.md.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from chuhai.cli.support import fail, with_stores
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.errors import DomainError

video_app = typer.Typer(help="Short videos: ingest a clip, tag products, publish, show.",
                        no_args_is_help=True)


def _system(stores: Stores, org: str) -> Any:
    from sqlalchemy import select

    from chuhai.accounts.models import Org
    from chuhai.core.actor import Actor

    async def find() -> Actor:
        async with stores.session() as s:
            found = await s.scalar(select(Org).where(Org.slug == org[:60]))
        if found is None:
            fail(f"no org with the slug {org!r}")
        return Actor.system(found.id)
    return find()


def _print(out: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{out['id']}  {out['status']}  {out['duration_s']:.1f} s  "
               f"{out['width']}×{out['height']}")
    for r in out["renditions"]:
        typer.echo(f"  {r['name']:>6}  {r['width']}×{r['height']}  "
                   f"{r['bandwidth'] / 1e6:.2f} Mbit/s  {r['url']}")
    for m in out["markets"]:
        typer.echo(f"  {m['market']}: {m['state']}")
    for t in out["tags"]:
        typer.echo(f"  tag {t['product_id']} {t['start_s']:.1f}–{t['end_s']:.1f} s")
    if out.get("error"):
        typer.echo(f"  failed: {out['error']['code']}: {out['error']['message']}")


def _contract(out: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "status", "duration_s", "renditions", "master_url", "poster_url",
            "captions", "tags", "markets", "width", "height", "error")
    return {k: out[k] for k in keep}


async def _wait(stores: Stores, video_id: str, *, quiet: bool) -> None:
    """Process here if nobody else has; else follow the worker's progress."""
    from chuhai.video import processing
    from chuhai.video.models import Video

    task = asyncio.create_task(processing.process(stores, video_id))
    last = ""
    while True:
        await asyncio.sleep(0.5)
        async with stores.session() as s:
            v = await s.get(Video, video_id)
        assert v is not None
        line = f"{v.step} {v.progress * 100:.0f} %"
        if line != last and not quiet:
            typer.echo(f"  {line}", err=True)
            last = line
        if v.status != "processing" and task.done():
            break
        if task.done() and v.status == "processing" and v.lease_until is None:
            await task  # our own run failed and will be retried: say why
    exc = task.exception()
    if exc is not None:
        raise exc


@video_app.command("ingest")
def ingest(
    file: Annotated[Path, typer.Argument(help="The clip (MP4, MOV, WebM …).")],
    org: Annotated[str, typer.Option(help="The seller's org slug.")],
    title: Annotated[str, typer.Option(help="Title in --lang.")] = "",
    description: Annotated[str, typer.Option(help="Description in --lang.")] = "",
    lang: Annotated[str, typer.Option(help="The language spoken and written.")] = "en",
    markets: Annotated[str, typer.Option(help="Comma-separated, e.g. DE,JP,US.")] = "",
    captions: Annotated[Path | None, typer.Option(help="A WebVTT file in --lang.")] = None,
    auto_captions: Annotated[bool, typer.Option(
        "--auto-captions", help="Captions from the speech in --lang (CHUHAI_ASR_ENGINE).")
                             ] = False,
    publish: Annotated[bool, typer.Option("--publish", help="Publish to --markets once "
                                                            "ready (implies --wait).")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until processing ends.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON contract.")] = False,
) -> None:
    """Add a clip as a video of --org, queue its processing (and with --wait, see it
    through)."""
    from chuhai.video import captioning, service
    from chuhai.video.storage import storage_for

    if not file.is_file():
        fail(f"{file}: no such file")
    caption_text = ""
    if captions is not None:
        from chuhai.video.captions import CaptionError, to_vtt
        try:
            caption_text = to_vtt(captions.read_bytes(), captions.name)
        except (OSError, CaptionError) as exc:
            fail(f"captions_invalid: {captions}: {exc}")
    settings = Settings()
    store = storage_for(settings)
    chosen = [m for m in markets.split(",") if m.strip()]

    async def run(stores: Stores) -> dict[str, Any]:
        actor = await _system(stores, org)
        texts = {lang: {"title": title or file.stem[:150], "description": description}}
        async with stores.session() as s:
            video = await service.create_from_file(s, actor, settings, file, language=lang,
                                                   texts=texts, markets=chosen,
                                                   filename=file.name, storage=store,
                                                   auto_captions=auto_captions)
            await s.commit()
            vid = video.id
        if not (wait or publish):
            from chuhai.video.jobs import Jobs
            Jobs(settings).enqueue(vid)
        else:
            await _wait(stores, vid, quiet=as_json)
        async with stores.session() as s:
            if captions is not None:
                await captioning.add_captions(s, actor, settings, vid, lang, caption_text,
                                              storage=store)
            await _translate_for_markets(s, actor, settings, store, vid, lang, chosen)
            if publish:
                await service.publish(s, actor, vid, chosen or None, settings=settings,
                                      storage=store)
            await s.commit()
            return service.view(await service.get_video(s, actor, vid), store)

    try:
        out = with_stores(run, settings)
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message}")
    _print(_contract(out) if as_json else out, as_json)
    if out["status"] == "failed":
        raise typer.Exit(1)


async def _translate_for_markets(s: Any, actor: Any, settings: Settings, store: Any,
                                 vid: str, lang: str, markets: list[str]) -> None:
    """The captions in each market's first language, through the translation chain; a
    language no translator serves is said, not fatal (the video airs with the original)."""
    from chuhai.comms.service import Comms
    from chuhai.markets.profiles import get_profile
    from chuhai.video import captioning, service

    video = await service.get_video(s, actor, vid)
    if not any(c.lang == lang for c in video.captions):
        return
    targets = []
    for m in markets:
        profile = get_profile(m.strip().upper())
        if profile and profile.languages:
            targets.append(profile.languages[0].split("-")[0])
    chain = Comms(settings).chain
    for target in dict.fromkeys(t for t in targets if t != lang.split("-")[0]):
        try:
            await captioning.translate_captions(s, actor, settings, vid, lang, [target],
                                                chain, storage=store)
        except DomainError as exc:
            typer.echo(f"captions not translated into {target}: {exc.message}", err=True)


def _act_and_show(org: str, video_id: str, as_json: bool,
                  act: Callable[[Any, Any], Awaitable[object]] | None = None) -> None:
    """Run ``act(session, actor)`` on the org's video (committed), then print the video."""
    from chuhai.video import service
    from chuhai.video.storage import storage_for

    settings = Settings()

    async def run(stores: Stores) -> dict[str, Any]:
        actor = await _system(stores, org)
        async with stores.session() as s:
            if act is not None:
                await act(s, actor)
                await s.commit()
            return service.view(await service.get_video(s, actor, video_id),
                                storage_for(settings))

    try:
        out = with_stores(run, settings)
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message}")
    _print(_contract(out) if as_json else out, as_json)


@video_app.command("tag")
def tag(video_id: str, org: Annotated[str, typer.Option(help="The seller's org slug.")],
        product: Annotated[str, typer.Option(help="Product id.")],
        start: Annotated[float, typer.Option("--from", help="Seconds.")],
        end: Annotated[float, typer.Option("--to", help="Seconds.")],
        as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show --product's card from --from to --to seconds."""
    from chuhai.video import service

    _act_and_show(org, video_id, as_json, lambda s, actor: service.add_tag(
        s, actor, video_id, product, start, end))


@video_app.command("publish")
def publish_cmd(video_id: str, org: Annotated[str, typer.Option(help="Org slug.")],
                markets: Annotated[str, typer.Option(help="Comma-separated; default: the "
                                                          "video's markets.")] = "",
                as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show a ready video to buyers of its markets."""
    from chuhai.video import service

    chosen = [m for m in markets.split(",") if m.strip()] or None
    _act_and_show(org, video_id, as_json,
                  lambda s, actor: service.publish(s, actor, video_id, chosen,
                                                   settings=Settings()))


@video_app.command("show")
def show(video_id: str, org: Annotated[str, typer.Option(help="Org slug.")],
         as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A video's state, renditions, tags and markets."""
    _act_and_show(org, video_id, as_json)


@video_app.command("clip")
def clip(room_id: str, product: Annotated[str, typer.Option(help="The product whose "
                                                                "chapter to cut.")],
         as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Cut the chapter in which --product was presented out of the room's replay into a
    short video (processed, the product tagged, in the room's markets, not published)."""
    from sqlalchemy import select

    from chuhai.accounts.models import Org
    from chuhai.live.models import Room
    from chuhai.video import service

    settings = Settings()

    async def run(stores: Stores) -> tuple[str, str, Any]:
        vid, cut = await service.clip_from_room(stores, room_id, product)
        async with stores.session() as s:
            room = await s.get(Room, room_id[:40])
            org = await s.scalar(select(Org.slug).where(Org.id == room.org_id)) if room else ""
        return vid, str(org), cut

    try:
        vid, org, cut = with_stores(run, settings)
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message}")
    if not cut.aligned:
        typer.echo("note: the recording does not say when it started; the room's start was "
                   "assumed", err=True)
    typer.echo(f"cut {cut.start_s:.1f}–{cut.end_s:.1f} s of the recording", err=True)
    _act_and_show(org, vid, as_json)


def worker(threads: Annotated[int, typer.Option(help="Jobs at once.")] = 1) -> None:
    """Work the video queue (CHUHAI_JOBS_URL; default the SQLite queue in the data dir):
    first queue again what a stopped worker left, then run jobs until stopped."""
    from chuhai.video.jobs import Jobs

    jobs = Jobs(Settings())
    n = jobs.requeue_stale()
    typer.echo(f"worker: {n} video(s) left processing were queued again", err=True)
    consumer = jobs.huey.create_consumer(workers=max(1, threads), worker_type="thread",
                                         periodic=True, check_worker_health=True)
    started = time.monotonic()
    try:
        consumer.run()
    finally:
        typer.echo(f"worker: stopped after {time.monotonic() - started:.0f} s", err=True)
