"""Resumable uploads, the tus 1.0 core protocol (https://tus.io/protocols/resumable-upload):
create with the total length, append chunks at the offset the server has, ask the offset
after a dropped connection, carry on from there.

The offset check is the whole safety: a chunk sent at any offset but the server's is
refused (``upload_offset_mismatch``), so a chunk sent twice or out of order can never
corrupt the file; the row's offset moves only after the bytes are on disk, with a
conditional UPDATE, so two requests appending at once cannot both win.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.core.actor import Actor, Perm
from chuhai.core.clock import utcnow
from chuhai.core.errors import Conflict, InvalidInput, NotFound
from chuhai.core.ids import new_id
from chuhai.video.models import VideoUpload

TUS_VERSION = "1.0.0"
EXPIRES_AFTER = timedelta(hours=24)
MAX_CHUNK = 64 * 1024 * 1024
WRITE_BLOCK = 1024 * 1024


class UploadTooLarge(InvalidInput):
    status = 413
    title = "Too large"


def part_path(data_dir: Path, upload_id: str) -> Path:
    return data_dir / "uploads" / f"{upload_id}.part"


async def create(session: AsyncSession, actor: Actor, data_dir: Path, length: int,
                 filename: str, max_bytes: int) -> VideoUpload:
    actor.require(Perm.CATALOG_WRITE)
    if length <= 0:
        raise InvalidInput("Upload-Length must be a positive number of bytes",
                           code="upload_length_invalid")
    if length > max_bytes:
        raise UploadTooLarge(f"the file is {length:,} bytes; the limit is {max_bytes:,}",
                             code="video_too_large")
    up = VideoUpload(id=new_id("upl"), org_id=actor.org(), length=length, offset=0,
                     filename=filename[:200], expires_at=utcnow() + EXPIRES_AFTER, meta={})
    path = part_path(data_dir, up.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    session.add(up)
    await session.flush()
    return up


async def get(session: AsyncSession, actor: Actor, upload_id: str) -> VideoUpload:
    actor.require(Perm.CATALOG_WRITE)
    up = await session.scalar(select(VideoUpload).where(VideoUpload.id == upload_id[:40],
                                                        VideoUpload.org_id == actor.org()))
    if up is None or up.expires_at < utcnow():
        raise NotFound("upload", upload_id[:40], code="upload_not_found")
    return up


async def append(session: AsyncSession, actor: Actor, data_dir: Path, upload_id: str,
                 offset: int, chunks: AsyncIterator[bytes]) -> VideoUpload:
    """Write the request body at ``offset`` (which must be the server's offset)."""
    up = await get(session, actor, upload_id)
    if up.video_id is not None:
        raise Conflict("this upload is complete and became a video", code="upload_complete")
    if offset != up.offset:
        raise Conflict(f"the upload is at byte {up.offset}; a chunk for byte {offset} was "
                       f"sent (ask with HEAD and resume from there)",
                       code="upload_offset_mismatch")
    path = part_path(data_dir, up.id)
    written = 0
    pending = bytearray()
    fd = os.open(path, os.O_WRONLY)
    try:
        os.lseek(fd, offset, os.SEEK_SET)
        async for chunk in chunks:
            if offset + written + len(pending) + len(chunk) > up.length:
                raise InvalidInput(f"more bytes than the declared Upload-Length {up.length}",
                                   code="upload_too_long")
            if written + len(pending) + len(chunk) > MAX_CHUNK:
                raise UploadTooLarge(f"send at most {MAX_CHUNK} bytes per request",
                                     code="upload_chunk_too_large")
            pending += chunk
            if len(pending) >= WRITE_BLOCK:  # disk writes off the event loop, 1 MiB a time
                written += await asyncio.to_thread(_write_all, fd, bytes(pending))
                pending.clear()
        if pending:
            written += await asyncio.to_thread(_write_all, fd, bytes(pending))
        await asyncio.to_thread(os.fsync, fd)
    finally:
        os.close(fd)
    res = await session.execute(
        update(VideoUpload).where(VideoUpload.id == up.id, VideoUpload.offset == offset)
        .values(offset=offset + written))
    if res.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("another request appended to this upload at the same time",
                       code="upload_offset_mismatch")
    await session.refresh(up)
    return up


def _write_all(fd: int, data: bytes) -> int:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    return len(data)


def complete(up: VideoUpload) -> bool:
    return up.offset == up.length
