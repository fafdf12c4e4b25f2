"""Video REST routes for sellers: resumable uploads (tus 1.0 core + creation), videos,
tags, captions, publishing. Thin: parse, call the service, shape the answer."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from pydantic import Field
from starlette.requests import ClientDisconnect

from chuhai.core.errors import InvalidInput
from chuhai.core.text import SafeModel
from chuhai.video import captioning, service, uploads
from chuhai.video.schemas import CuesOut, VideoListOut, VideoOut
from chuhai.video.storage import storage_for
from chuhai.web.deps import CurrentActor, UoW

router = APIRouter(prefix="/api/videos", tags=["video"])
TUS = {"Tus-Resumable": uploads.TUS_VERSION}


class VideoText(SafeModel):
    title: str = Field(min_length=1, max_length=service.MAX_TITLE)
    description: str = Field("", max_length=service.MAX_DESCRIPTION)


class VideoIn(SafeModel):
    upload_id: str = Field(max_length=40)
    language: str = Field("en", max_length=16)
    texts: dict[str, VideoText] = Field(default_factory=dict, max_length=20)
    markets: list[str] = Field(default_factory=list, max_length=30)
    auto_captions: bool = Field(False, description="Captions from the speech in `language` "
                                "(speech recognition, CHUHAI_ASR_ENGINE)")


class VideoPatch(SafeModel):
    texts: dict[str, VideoText] | None = Field(None, max_length=20)
    markets: list[str] | None = Field(None, max_length=30)


class TagIn(SafeModel):
    product_id: str = Field(max_length=40)
    start_s: float = Field(ge=0, le=86_400)
    end_s: float = Field(gt=0, le=86_400)


class MarketsIn(SafeModel):
    markets: list[str] = Field(default_factory=list, max_length=30)


class CaptionsIn(SafeModel):
    lang: str = Field(max_length=16)
    vtt: str = Field(max_length=600_000, description="WebVTT (or SubRip) text")


def _texts(texts: dict[str, VideoText] | None) -> dict[str, dict[str, str]]:
    return {k: v.model_dump() for k, v in (texts or {}).items()}


def _view(request: Request, video: Any) -> dict[str, Any]:
    return service.view(video, storage_for(request.app.state.settings))


def _filename(metadata: str | None) -> str:
    """tus Upload-Metadata: ``key base64value, …``; only ``filename`` is kept."""
    for pair in (metadata or "").split(",")[:20]:
        key, _, value = pair.strip().partition(" ")
        if key == "filename" and value:
            try:
                return base64.b64decode(value, validate=True).decode("utf-8", "replace")[:200]
            except (binascii.Error, ValueError):
                raise InvalidInput("Upload-Metadata filename is not base64",
                                   code="upload_metadata_invalid") from None
    return ""


@router.options("/uploads", response_class=Response, status_code=204)
async def upload_options() -> Response:
    return Response(status_code=204, headers={
        **TUS, "Tus-Version": uploads.TUS_VERSION, "Tus-Extension": "creation",
        "Tus-Max-Chunk-Size": str(uploads.MAX_CHUNK)})


@router.post("/uploads", status_code=201, response_class=Response)
async def create_upload(request: Request, uow: UoW, actor: CurrentActor,
                        upload_length: Annotated[str, Header(max_length=20)],
                        upload_metadata: Annotated[str | None, Header(max_length=2000)] = None
                        ) -> Response:
    """Start a resumable upload of ``Upload-Length`` bytes; PATCH chunks to its Location."""
    if not upload_length.isdigit():
        raise InvalidInput("Upload-Length must be a whole number of bytes",
                           code="upload_length_invalid")
    settings = request.app.state.settings
    up = await uploads.create(uow.global_, actor, settings.data_dir, int(upload_length),
                              _filename(upload_metadata), settings.video_max_bytes)
    return Response(status_code=201, headers={
        **TUS, "Location": f"/api/videos/uploads/{up.id}", "Upload-Offset": "0",
        "Upload-Length": str(up.length)})


@router.head("/uploads/{upload_id}", response_class=Response)
async def upload_offset(upload_id: str, uow: UoW, actor: CurrentActor) -> Response:
    up = await uploads.get(uow.global_, actor, upload_id)
    return Response(status_code=200, headers={
        **TUS, "Upload-Offset": str(up.offset), "Upload-Length": str(up.length),
        "Cache-Control": "no-store"})


@router.patch("/uploads/{upload_id}", status_code=204, response_class=Response)
async def upload_chunk(request: Request, upload_id: str, uow: UoW, actor: CurrentActor,
                       upload_offset: Annotated[str, Header(max_length=20)],
                       content_type: Annotated[str, Header(max_length=100)] = "") -> Response:
    """Append the body at ``Upload-Offset`` (tus: ``application/offset+octet-stream``)."""
    if content_type.split(";")[0].strip() != "application/offset+octet-stream":
        raise InvalidInput("send chunks as application/offset+octet-stream",
                           code="upload_content_type")
    if not upload_offset.isdigit():
        raise InvalidInput("Upload-Offset must be a whole number", code="upload_offset_invalid")

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in request.stream():
                yield chunk
        except ClientDisconnect:  # keep what arrived: the client resumes from there
            return

    up = await uploads.append(uow.global_, actor, request.app.state.settings.data_dir,
                              upload_id, int(upload_offset), body())
    return Response(status_code=204, headers={**TUS, "Upload-Offset": str(up.offset)})


@router.post("", status_code=201, response_model=VideoOut)
async def create_video(request: Request, body: VideoIn, uow: UoW, actor: CurrentActor,
                       response: Response) -> dict[str, Any]:
    """Turn a complete upload into a video (refused at once if it is not one), and queue
    its processing."""
    settings = request.app.state.settings
    up = await uploads.get(uow.global_, actor, body.upload_id)
    if up.video_id is not None:
        video = await service.get_video(uow.global_, actor, up.video_id)
        return _view(request, video)  # the same upload sent twice: the same video
    if not uploads.complete(up):
        raise InvalidInput(f"the upload has {up.offset} of {up.length} bytes; finish it first",
                           code="upload_incomplete")
    path = uploads.part_path(settings.data_dir, up.id)
    video = await service.create_from_file(
        uow.global_, actor, settings, path, language=body.language, texts=_texts(body.texts),
        markets=body.markets, filename=up.filename, auto_captions=body.auto_captions)
    up.video_id = video.id
    await uow.commit()  # the row exists before a worker looks for it
    path.unlink(missing_ok=True)
    request.app.state.jobs.enqueue(video.id)
    video = await service.get_video(uow.global_, actor, video.id)
    response.headers["Location"] = f"/api/videos/{video.id}"
    return _view(request, video)


@router.get("", response_model=VideoListOut)
async def list_videos(request: Request, uow: UoW, actor: CurrentActor) -> dict[str, Any]:
    videos = await service.list_videos(uow.global_, actor)
    return {"items": [_view(request, v) for v in videos]}


@router.get("/{video_id}", response_model=VideoOut)
async def get_video(request: Request, video_id: str, uow: UoW,
                    actor: CurrentActor) -> dict[str, Any]:
    return _view(request, await service.get_video(uow.global_, actor, video_id))


@router.patch("/{video_id}", response_model=VideoOut)
async def update_video(request: Request, video_id: str, body: VideoPatch, uow: UoW,
                       actor: CurrentActor) -> dict[str, Any]:
    video = await service.update_video(uow.global_, actor, video_id,
                                       texts=_texts(body.texts) if body.texts else None,
                                       markets=body.markets)
    return _view(request, video)


@router.post("/{video_id}/tags", status_code=201, response_model=VideoOut)
async def add_tag(request: Request, video_id: str, body: TagIn, uow: UoW,
                  actor: CurrentActor) -> dict[str, Any]:
    await service.add_tag(uow.global_, actor, video_id, body.product_id, body.start_s,
                          body.end_s)
    return _view(request, await service.get_video(uow.global_, actor, video_id))


@router.delete("/{video_id}/tags/{tag_id}", status_code=204, response_class=Response)
async def remove_tag(video_id: str, tag_id: str, uow: UoW, actor: CurrentActor) -> Response:
    await service.remove_tag(uow.global_, actor, video_id, tag_id)
    return Response(status_code=204)


@router.post("/{video_id}/captions", status_code=201, response_model=VideoOut)
async def add_captions(request: Request, video_id: str, body: CaptionsIn, uow: UoW,
                       actor: CurrentActor) -> dict[str, Any]:
    await captioning.add_captions(uow.global_, actor, request.app.state.settings, video_id,
                               body.lang, body.vtt)
    return _view(request, await service.get_video(uow.global_, actor, video_id))


class TranslateIn(SafeModel):
    source: str = Field(max_length=16, description="The captions to translate")
    targets: list[str] = Field(min_length=1, max_length=20)


@router.post("/{video_id}/captions/translate", response_model=VideoOut)
async def translate_captions(request: Request, video_id: str, body: TranslateIn, uow: UoW,
                             actor: CurrentActor) -> dict[str, Any]:
    """The ``source`` captions in each ``targets`` language, through the translation chain
    (sentence by sentence, laid out again at reading speed)."""
    await captioning.translate_captions(uow.global_, actor, request.app.state.settings,
                                        video_id, body.source, body.targets,
                                        request.app.state.comms.chain)
    return _view(request, await service.get_video(uow.global_, actor, video_id))


@router.get("/{video_id}/captions/{lang}", response_model=CuesOut)
async def caption_cues(request: Request, video_id: str, lang: str, uow: UoW,
                       actor: CurrentActor) -> dict[str, Any]:
    """The captions in ``lang`` cue by cue, numbered from 0 (what a correction names)."""
    row, cues = await captioning.cues_of(uow.global_, actor, request.app.state.settings,
                                         video_id, lang)
    return captioning.cue_view(row, cues)


class CueIn(SafeModel):
    text: str | None = Field(None, min_length=1, max_length=captioning.MAX_CUE_CHARS)
    start_s: float | None = Field(None, ge=0, le=86_400)
    end_s: float | None = Field(None, gt=0, le=86_400)


@router.patch("/{video_id}/captions/{lang}/cues/{index}", response_model=VideoOut)
async def correct_cue(request: Request, video_id: str, lang: str,
                      index: Annotated[int, Path(ge=0, le=100_000)], body: CueIn, uow: UoW,
                      actor: CurrentActor) -> dict[str, Any]:
    """Correct one cue's text or times. Where the video airs or was held, that cue alone
    is screened again: a held market whose only finding it was is published. A changed text
    carries into the translations made from this language (translated again through the
    chain; marked ``stale`` when no translator can)."""
    video = await captioning.correct_cue(uow.global_, actor, request.app.state.settings,
                                         video_id, lang, index, text=body.text,
                                         start_s=body.start_s, end_s=body.end_s,
                                         chain=request.app.state.comms.chain)
    return _view(request, video)


@router.post("/{video_id}/publish", response_model=VideoOut)
async def publish(request: Request, video_id: str, body: MarketsIn, uow: UoW,
                  actor: CurrentActor) -> dict[str, Any]:
    return _view(request, await service.publish(uow.global_, actor, video_id,
                                                body.markets or None,
                                                settings=request.app.state.settings))


@router.post("/{video_id}/unpublish", response_model=VideoOut)
async def unpublish(request: Request, video_id: str, body: MarketsIn, uow: UoW,
                    actor: CurrentActor) -> dict[str, Any]:
    return _view(request, await service.unpublish(uow.global_, actor, video_id, body.markets))
