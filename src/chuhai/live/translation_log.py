"""Machine translations of chat lines, written to their lines in batches.

A line in a room selling to three languages gets three translations, each an event viewers
receive at once. Writing each into its line's row as it happened (a select, an update and a
commit per translation) took two thirds of a node's CPU at 20 lines/s (bench/fanout.py) and
pushed the original lines' delivery from 32 ms to 2.3 s at p95. Translations are derived
text — the original is already stored, and viewers already have them — so they are
gathered and written every ``interval_s`` in one transaction per region. A crash loses at
most that interval of translations from the replay, never a line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from chuhai.core.db import Stores, unit_of_work
from chuhai.live import service

log = logging.getLogger("chuhai.live")
Key = tuple[str, int]  # (room id, the line's seq)


class TranslationLog:
    def __init__(self, stores: Stores, interval_s: float = 0.25) -> None:
        self.stores = stores
        self.interval_s = interval_s
        self._pending: dict[str, dict[Key, dict[str, str]]] = defaultdict(
            lambda: defaultdict(dict))
        self._flusher: asyncio.Task[None] | None = None

    def add(self, region: str, room_id: str, seq: int, lang: str, text: str) -> None:
        self._pending[region][(room_id, seq)][lang] = text
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_later(), name="translation-log")

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.interval_s)
        await self.flush()

    async def flush(self) -> None:
        """Write everything gathered so far: one transaction per region."""
        pending, self._pending = self._pending, defaultdict(lambda: defaultdict(dict))
        for region, lines in pending.items():
            try:
                async with unit_of_work(self.stores) as uow:
                    await service.record_translations(uow, region, lines)
            except Exception:  # viewers have them; the replay lacks them: make it visible
                log.exception("could not store %d translated lines in %s", len(lines), region)

    async def close(self) -> None:
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush()
