"""Caption files in the video store: read back as cues, written as WebVTT.

Every write goes to a new key (``videos/<id>/captions/<lang>-<tag>.vtt``): media URLs are
cached for a year, so a corrected file is a new file, never a changed one.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path

from chuhai.core.ids import new_id
from chuhai.video.caption_translation import to_webvtt
from chuhai.video.captions import Cue, parse_vtt
from chuhai.video.models import Video
from chuhai.video.storage import Storage


def new_key(video_id: str, lang: str, kind: str = "") -> str:
    return f"videos/{video_id}/captions/{lang}{'-' + kind if kind else ''}-" \
           f"{new_id('cap')[-8:]}.vtt"


async def read(store: Storage, key: str, duration_s: float) -> list[Cue]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.vtt"
        await asyncio.to_thread(store.get_file, key, path)
        return parse_vtt(path.read_text("utf-8"), duration_s)


async def read_all(video: Video, store: Storage) -> dict[str, list[Cue]]:
    """Each caption file's cues, read back from the store (what a buyer would be shown)."""
    return {c.lang: await read(store, c.key, video.duration_s) for c in video.captions}


async def write_text(store: Storage, key: str, vtt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.vtt"
        path.write_text(vtt, encoding="utf-8")
        await asyncio.to_thread(store.put_file, path, key)


async def write(store: Storage, key: str, cues: Sequence[Cue]) -> None:
    await write_text(store, key, to_webvtt(cues))
