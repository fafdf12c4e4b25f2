"""Host lines the room's budget could not screen by meaning at once, screened soon after.

A host's line is advertising, so every one is screened by meaning. The room's CPU budget
(``MeaningBudget``) keeps a pasted flood from taking the node's cores from delivery; a line
that finds the budget spent (or the examples still loading) goes out on its patterns'
verdict and waits here. One task per room drains its queue as the budget refills, oldest
first, and a finding by meaning reaches the host as a late ``screening`` frame — the same
warning they would have had, seconds later — and the room as a ``chat.flagged`` event, so
moderators' consoles and the room's record carry the flag as they would have. A finding by
meaning never blocks, so nothing would have been held back.

The queue is bounded per room: past it the oldest waiting line is dropped, counted and
logged — a host who pastes hundreds of lines a minute is not typing, and their room's
budget could never catch up.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chuhai.live.pipeline import ChatLine, LineContext, Screening

log = logging.getLogger("chuhai.live.screening")
# told the findings by meaning of a line already sent (a coroutine is awaited)
Report = Callable[[list[dict[str, Any]]], Awaitable[None] | None]
PER_ROOM = 50          # lines waiting per room; at 10 ms/s and ~20 ms a line, ~100 s of catch-up
WAIT_READY_S = 120.0   # how long a queue waits for the examples to load before giving up
READY_POLL_S = 0.5


@dataclass(frozen=True)
class Waiting:
    line: ChatLine
    ctx: LineContext  # a copy as the line was sent: its markets, prices, seller market
    report: Report


class MeaningLater:
    def __init__(self, screening: Screening, *, per_room: int = PER_ROOM,
                 wait_ready_s: float = WAIT_READY_S) -> None:
        self.screening = screening
        self.per_room = per_room
        self.wait_ready_s = wait_ready_s
        self.dropped = 0
        self._queues: dict[str, deque[Waiting]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def waiting(self, room_id: str) -> int:
        return len(self._queues.get(room_id, ()))

    def add(self, line: ChatLine, ctx: LineContext, report: Report) -> None:
        room_id = ctx.room.room_id
        queue = self._queues.setdefault(room_id, deque())
        if len(queue) >= self.per_room:
            queue.popleft()
            self.dropped += 1
            if self.dropped % 100 == 1:
                log.warning("room %s: a host line waiting to be screened by meaning was "
                            "dropped (%d so far on this node)", room_id, self.dropped)
        queue.append(Waiting(line, replace(ctx, prices=dict(ctx.prices)), report))
        if room_id not in self._tasks:
            self._tasks[room_id] = asyncio.create_task(self._drain(room_id))

    async def _drain(self, room_id: str) -> None:
        waited_ready = 0.0
        try:
            while queue := self._queues.get(room_id):
                semantic = self.screening.screener.semantic
                if semantic is None:
                    queue.clear()
                    break
                if not semantic.ready:
                    if waited_ready >= self.wait_ready_s:
                        log.warning("room %s: the examples never loaded; %d host lines stay "
                                    "screened by patterns only", room_id, len(queue))
                        queue.clear()
                        break
                    semantic.build_in_background()
                    await asyncio.sleep(READY_POLL_S)
                    waited_ready += READY_POLL_S
                    continue
                wait = self.screening.host_budget.wait(room_id, time.monotonic())
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                item = queue.popleft()
                if item.ctx.room.status == "ended":  # the room's record is closed
                    queue.clear()
                    break
                ctx = replace(item.ctx, now=time.monotonic())
                try:
                    verdicts = await asyncio.to_thread(self.screening.with_meaning,
                                                       item.line, ctx)
                except Exception:  # a model failure must not end the room's queue
                    log.exception("screening a host line by meaning later failed")
                    continue
                found = [{"market": v.market, **f.as_dict()} for v in verdicts
                         for f in v.findings if f.by == "meaning" and f.action != "allow"]
                if found:
                    try:
                        told = item.report(found)
                        if inspect.isawaitable(told):
                            await told
                    except Exception:
                        log.exception("telling a late finding by meaning failed")
        finally:  # in the same step as the last look at the queue: a line added after
            # it starts a new task instead of waiting behind one that has ended
            self._tasks.pop(room_id, None)
            if not self._queues.get(room_id):
                self._queues.pop(room_id, None)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._queues.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
