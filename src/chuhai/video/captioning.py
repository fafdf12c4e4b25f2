"""A video's captions as the seller manages them: uploaded files, translations through the
chain, and corrections cue by cue — a correction carried into the translations made from it.

Whatever changes what the video says is screened again, but only the part that changed and
only in the markets where the video airs or was held: a corrected cue is screened alone,
and the findings on the rest stand as they were (their text did not change).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.comms.translator import ProviderError, TranslationChain, TranslationUnavailable
from chuhai.core.actor import Actor, Perm
from chuhai.core.config import Settings
from chuhai.core.errors import Conflict, FieldProblem, InvalidInput, NotFound
from chuhai.video import caption_files, caption_translation, service
from chuhai.video import screening as video_screening
from chuhai.video.caption_origin import SELLERS, mark_behind
from chuhai.video.captions import CaptionError, Cue, parse_vtt, srt_to_vtt
from chuhai.video.models import Video, VideoCaption
from chuhai.video.storage import Storage, storage_for

MAX_CUE_CHARS = 300  # three subtitle lines, generously
MAX_CUE_LINES = 3


def _row(video: Video, lang: str) -> VideoCaption:
    row = next((c for c in video.captions if c.lang == lang[:16]), None)
    if row is None:
        raise NotFound(f"{lang[:16]} captions of video", video.id, code="captions_not_found")
    return row


def _check_lang(lang: str) -> None:
    if not service.LANG.match(lang):
        raise InvalidInput(f"{lang[:16]!r} is not a language tag", code="invalid_language")


async def add_captions(session: AsyncSession, actor: Actor, settings: Settings,
                       video_id: str, lang: str, text: str,
                       storage: Storage | None = None) -> VideoCaption:
    """An uploaded WebVTT (or SubRip) file, checked cue by cue and stored beside the
    ladder as WebVTT; where the video airs, its cues are screened (the language's old
    findings give way to the new file's)."""
    actor.require(Perm.CATALOG_WRITE)
    video = await service.get_video(session, actor, video_id)
    _check_lang(lang)
    try:
        if not text.lstrip("\ufeff").lstrip().startswith("WEBVTT") and "-->" in text:
            text = srt_to_vtt(text)  # SubRip, as a WebVTT file
        cues = parse_vtt(text, video.duration_s)
    except CaptionError as exc:
        raise InvalidInput(str(exc), [FieldProblem("captions", str(exc))],
                           code="captions_invalid") from None
    key = caption_files.new_key(video.id, lang)
    store = storage or storage_for(settings)
    # stored as it was read and screened, not as sent: a player must show exactly what
    # was screened (a line of spaces, for one, ends a cue here but not in a browser)
    await caption_files.write(store, key, cues)
    row = next((c for c in video.captions if c.lang == lang), None)
    if row is None:
        row = VideoCaption(lang=lang, source="upload", key=key, cues=len(cues))
        video.captions.append(row)
    else:
        row.key, row.cues, row.source = key, len(cues), "upload"
        row.from_lang, row.stale = None, False
    mark_behind(video, lang)  # a new file in a source: its translations are behind it
    await _rescreen_file(video, lang, cues)
    await session.flush()
    return row


async def translate_captions(session: AsyncSession, actor: Actor, settings: Settings,
                             video_id: str, source: str, targets: list[str],
                             chain: TranslationChain, storage: Storage | None = None
                             ) -> list[VideoCaption]:
    """The ``source`` captions in each of ``targets`` through the translation chain (org
    glossary and memory first, then the providers), sentence by sentence, laid out again at
    reading speed; stored beside the others with ``source = "translation"``. A language
    the seller wrote or corrected captions in is left as the seller made it."""
    actor.require(Perm.CATALOG_WRITE)
    video = await service.get_video(session, actor, video_id)
    original = _row(video, source)
    store = storage or storage_for(settings)
    cues = await caption_files.read(store, original.key, video.duration_s)
    made: list[VideoCaption] = []
    for target in dict.fromkeys(t for t in targets if t != source):
        _check_lang(target)
        row = next((c for c in video.captions if c.lang == target), None)
        if row is not None and row.source in SELLERS:
            continue

        async def one(text: str, target: str = target) -> str:
            try:
                return (await chain.translate(text, source.split("-")[0],
                                              target.split("-")[0])).text
            except (TranslationUnavailable, ProviderError) as exc:
                raise Conflict(f"no translator could put the captions into {target}: {exc}",
                               code="translation_unavailable") from None

        translated = await caption_translation.translate_cues(cues, one, target)
        key = caption_files.new_key(video.id, target)
        await caption_files.write(store, key, translated)
        if row is None:
            row = VideoCaption(lang=target, source="translation", key=key, cues=len(translated),
                               from_lang=source, stale=False)
            video.captions.append(row)
        else:
            row.key, row.cues = key, len(translated)
            row.source, row.from_lang, row.stale = "translation", source, False
        await _rescreen_file(video, target, translated)
        made.append(row)
    await session.flush()
    return made


async def cues_of(session: AsyncSession, actor: Actor, settings: Settings, video_id: str,
                  lang: str, storage: Storage | None = None) -> tuple[VideoCaption, list[Cue]]:
    """The captions in ``lang``, cue by cue (what the seller corrects from)."""
    video = await service.get_video(session, actor, video_id)
    row = _row(video, lang)
    cues = await caption_files.read(storage or storage_for(settings), row.key, video.duration_s)
    return row, cues


def corrected(cues: list[Cue], index: int, text: str | None, start_s: float | None,
              end_s: float | None, duration_s: float) -> Cue:
    """Cue ``index`` with the seller's text and times, checked as an uploaded file's cue
    would be: some text, at most three lines, inside the video, not overlapping its
    neighbours."""
    if not 0 <= index < len(cues):
        raise NotFound("cue", str(index), code="cue_not_found")
    old = cues[index]
    new = old
    if text is not None:
        lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
        lines = [line for line in lines if line]
        clean = "\n".join(lines)
        if not clean:
            raise InvalidInput("a cue needs some text", [FieldProblem("text", "empty")],
                               code="cue_text_empty")
        if len(clean) > MAX_CUE_CHARS or len(lines) > MAX_CUE_LINES or "-->" in clean:
            raise InvalidInput(f"a cue is at most {MAX_CUE_LINES} lines and {MAX_CUE_CHARS} "
                               "characters, without '-->'",
                               [FieldProblem("text", "too long or not caption text")],
                               code="cue_text_invalid")
        new = replace(new, text=clean)
    start = round(start_s, 3) if start_s is not None else old.start_s
    end = round(end_s, 3) if end_s is not None else old.end_s
    before = cues[index - 1].end_s if index > 0 else 0.0
    after = cues[index + 1].start_s if index + 1 < len(cues) else duration_s + 1.0
    if not (before <= start < end <= after):
        raise InvalidInput(f"cue {index} may run from {before:.3f} s to {after:.3f} s "
                           f"(the cues beside it), start before end; got {start:.3f}–{end:.3f}",
                           [FieldProblem("start_s", "overlaps or outside the video"),
                            FieldProblem("end_s", "")], code="cue_time_invalid")
    return replace(new, start_s=start, end_s=end)


async def correct_cue(session: AsyncSession, actor: Actor, settings: Settings, video_id: str,
                      lang: str, index: int, *, text: str | None = None,
                      start_s: float | None = None, end_s: float | None = None,
                      storage: Storage | None = None,
                      chain: TranslationChain | None = None) -> Video:
    """The seller's correction of one cue: a new caption file with it, the language marked
    as the seller's (``edited``), and that cue alone screened again where the video airs or
    was held — a held market whose last finding it was is published. The translations made
    from this language follow (``follow_correction``)."""
    actor.require(Perm.CATALOG_WRITE)
    video = await service.get_video(session, actor, video_id)
    row = _row(video, lang)
    store = storage or storage_for(settings)
    cues = await caption_files.read(store, row.key, video.duration_s)
    new = corrected(cues, index, text, start_s, end_s, video.duration_s)
    if new == cues[index]:
        return video
    cues_text_before = cues[index].text
    cues[index] = new
    key = caption_files.new_key(video.id, row.lang)
    await caption_files.write(store, key, cues)
    row.key, row.cues, row.source = key, len(cues), "edited"
    row.from_lang, row.stale = None, False  # the seller's own words from now on
    line = video_screening.Said(f"captions.{row.lang}", row.lang, new.text, index,
                                new.start_s, new.end_s)
    await service.rescreen(video, [line])
    if new.text != cues_text_before:
        await follow_correction(session, actor, settings, video, row.lang, chain, store)
    await session.flush()
    return video


async def follow_correction(session: AsyncSession, actor: Actor, settings: Settings,
                            video: Video, lang: str, chain: TranslationChain | None,
                            store: Storage) -> list[str]:
    """The translations made from ``lang`` — and those made from them — are made again
    from its corrected captions, so a buyer abroad reads the correction too (the
    translation cache answers the sentences it has seen, per process or in Redis when
    configured; the rest reach a provider), and are screened again. When no translator can
    (none configured, or all down), each is kept but marked ``stale`` — the seller sees it,
    and translating again clears it — rather than the correction being refused; after the
    first such failure the rest are marked without trying, so a request never waits
    through every provider's timeout once per language."""
    done: list[str] = []
    todo, seen = [lang], {lang}
    failed = chain is None
    while todo:
        source = todo.pop(0)
        for c in [c for c in video.captions
                  if c.source == "translation" and c.from_lang == source
                  and c.lang not in seen]:
            seen.add(c.lang)
            todo.append(c.lang)
            if not failed:
                try:
                    assert chain is not None
                    await translate_captions(session, actor, settings, video.id, source,
                                             [c.lang], chain, store)
                    done.append(c.lang)
                    continue
                except Conflict:  # translation_unavailable: kept, and said to be behind
                    failed = True
            c.stale = True
    return done


async def _rescreen_file(video: Video, lang: str, cues: list[Cue]) -> None:
    lines = video_screening.said({}, {lang: cues})
    await service.rescreen(video, lines, replaced={f"captions.{lang}"})


def cue_view(row: VideoCaption, cues: list[Cue]) -> dict[str, Any]:
    return {"lang": row.lang, "source": row.source,
            "cues": [{"index": i, "start_s": c.start_s, "end_s": c.end_s, "text": c.text}
                     for i, c in enumerate(cues)]}
