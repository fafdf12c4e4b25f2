"""The room hub of one node: viewers grouped by room and language, events coalesced into
frames, each frame serialized once per (room, language) and the same text queued to every
viewer of that language. Likes fold into one aggregate per tick.

Flushing is adaptive: a sequenced event in a quiet room goes out at once; under load, what
arrives within ``coalesce_s`` shares a frame. Aggregates (likes, viewers, poll tallies) go out
at most once per ``tick_s``. Each viewer has a bounded queue; a viewer whose queue is full is
closed with ``SLOW_CONSUMER`` instead of slowing the room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from chuhai.realtime.bus import Bus
from chuhai.realtime.protocol import Close, Frame, build_frame

log = logging.getLogger("chuhai.hub")
VIEWER_TTL_S = 5.0


def run_eagerly(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """Run ``coro`` synchronously as far as it goes.

    Almost every socket write completes without waiting, and one task switch per viewer per
    frame was the largest cost of a fan-out (bench/fanout.py). If the coroutine does wait
    (its socket is not writable), a task takes over and finishes it. Returns that task, or
    None when the coroutine finished here. Exceptions raised before the first wait propagate.
    """
    try:
        blocker = coro.send(None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_finish(coro, blocker))


async def _finish(coro: Coroutine[Any, Any, None], blocker: Any) -> None:
    while True:
        try:
            if blocker is None:
                await asyncio.sleep(0)
            else:
                # What Task.__step does with a yielded future: take over the wait.
                blocker._asyncio_future_blocking = False
                await blocker
        except asyncio.CancelledError:
            if blocker is None or not blocker.cancelled():  # we were cancelled, not it
                coro.close()
                raise
        except BaseException:  # noqa: S110 - the coroutine sees the same error on resume
            pass
        try:
            blocker = coro.send(None)
        except StopIteration:
            return


@dataclass(eq=False)
class Connection:
    """One viewer's socket as the hub sees it: a bounded mailbox of prebuilt frames.

    A deque and a bare future rather than ``asyncio.Queue``: offering a frame to thousands of
    viewers is the hot loop, and the queue's bookkeeping cost more than the socket write.
    """

    lang: str
    limit: int = 256
    frames: deque[Frame] = field(default_factory=deque)
    last_seq: int = 0
    closed: int | None = None  # the close code once the hub has given up on it
    on_close: Callable[[int], None] = lambda _code: None
    # Set once the hello has gone out; until then frames wait in the mailbox.
    writer: Callable[[str], Coroutine[Any, Any, None]] | None = None
    # Where the server offers it (realtime/prepared.py): write a frame's shared wire bytes
    # straight to the socket. Returns False when the socket is over its high-water mark.
    prepared: Callable[[bytes], bool] | None = None
    _inflight: asyncio.Task[None] | None = None
    _waiter: asyncio.Future[None] | None = None
    # True from the moment ``next`` hands a frame to the drain until the drain asks for
    # the next one: a frame offered meanwhile must queue behind it, or it could reach the
    # socket first (the drain's send may be waiting for the socket to become writable).
    _draining: bool = False

    def text_for(self, frame: Frame) -> str | None:
        """The frame as this viewer needs it: nothing already delivered (the join window)."""
        if frame.last and frame.last <= self.last_seq:
            return None
        if frame.first and frame.first <= self.last_seq:
            return build_frame([e for e in frame.events if e["seq"] > self.last_seq],
                               frame.aggregates, self.lang).text
        return frame.text

    def offer(self, frame: Frame) -> None:
        if self.closed is not None:
            return
        if (self.writer is not None and self._inflight is None and not self.frames
                and not self._draining):
            self._write_now(frame)
            return
        if len(self.frames) >= self.limit:
            self.closed = Close.SLOW_CONSUMER
            self.on_close(Close.SLOW_CONSUMER)
            return
        self.frames.append(frame)
        self._wake()

    def _write_now(self, frame: Frame) -> None:
        text = self.text_for(frame)
        if text is None or self.writer is None:
            return
        if self.prepared is not None and text is frame.text:
            try:
                sent = self.prepared(frame.wire)
            except Exception:
                self.going_away()
                return
            if sent:
                if frame.last:
                    self.last_seq = frame.last
                return
            # Over the high-water mark: the ASGI send below waits for the socket to drain,
            # and frames behind it wait in the mailbox meanwhile.
        try:
            pending = run_eagerly(self.writer(text))
        except Exception:
            self.going_away()
            return
        if frame.last:
            self.last_seq = frame.last
        if pending is not None:
            self._inflight = pending
            pending.add_done_callback(self._written)

    def going_away(self) -> None:
        """Give up on this viewer (its socket is gone, or the node is closing): the endpoint
        notices and cleans up."""
        self.closed = Close.GOING_AWAY
        self.on_close(Close.GOING_AWAY)

    def _written(self, task: asyncio.Task[None]) -> None:
        self._inflight = None
        if not task.cancelled() and task.exception() is not None and self.closed is None:
            self.going_away()
        self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def next(self) -> Frame:
        """The next frame to send from the mailbox, once no write is in flight. Calling it
        again says the previous one was sent; until then new frames queue behind it."""
        self._draining = False
        while not self.frames or self._inflight is not None:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        self._draining = True
        return self.frames.popleft()


@dataclass
class RoomChannel:
    room: str
    by_lang: dict[str, set[Connection]] = field(default_factory=lambda: defaultdict(set))
    pending: list[dict[str, Any]] = field(default_factory=list)
    agg: dict[str, Any] = field(default_factory=dict)
    likes_delta: int = 0
    counters: dict[str, int] = field(default_factory=dict)
    viewers_by_node: dict[str, tuple[int, float]] = field(default_factory=dict)
    flushed_seq: int = 0
    last_flush: float = 0.0
    scheduled: asyncio.TimerHandle | None = None
    scheduled_for: float = 0.0
    shown_viewers: int = -1
    peak_seen: int = 0  # the most viewers at once this node has recorded for the room
    watched_s: float = 0.0  # viewer-seconds on this node not yet added to the counter

    @property
    def local_viewers(self) -> int:
        return sum(len(c) for c in self.by_lang.values())

    def total_viewers(self, now: float) -> int:
        return sum(n for n, ts in self.viewers_by_node.values() if now - ts < VIEWER_TTL_S)


EventObserver = Callable[[str, dict[str, Any]], None]


def audience_key(room: str) -> str:
    """Where the bus keeps a room's audience figures for the seller's report — apart from
    the counters (likes, questions) sent to everyone in the room."""
    return f"{room}:audience"


def viewer_minutes_key(room: str) -> str:
    """Where the bus keeps a room's viewer-seconds per wall-clock minute (the field: the
    minute's number since the Unix epoch), summed over nodes: the sell-out estimate reads
    the audience's trend from it (``demand.live``)."""
    return f"{room}:viewer-minutes"


class Hub:
    def __init__(self, bus: Bus, *, tick_s: float = 0.1, coalesce_s: float = 0.02,
                 queue_size: int = 256) -> None:
        self.bus = bus
        self.tick_s, self.coalesce_s, self.queue_size = tick_s, coalesce_s, queue_size
        self.rooms: dict[str, RoomChannel] = {}
        self.observers: list[EventObserver] = []
        self._ticker: asyncio.Task[None] | None = None
        self._last_viewer_report = 0.0
        bus.attach(self._on_event, self._on_agg)

    # -- membership ----------------------------------------------------------------------

    def new_connection(self, lang: str) -> Connection:
        return Connection(lang=lang, limit=self.queue_size)

    async def join(self, room: str, conn: Connection) -> RoomChannel:
        ch = self.rooms.get(room)
        if ch is None:
            ch = self.rooms[room] = RoomChannel(room)
            await self.bus.subscribe(room)
            ch.counters = await self.bus.get_counters(room)
            ch.flushed_seq = await self.bus.current_seq(room)
        ch.by_lang[conn.lang].add(conn)
        self._ensure_ticker()
        return ch

    async def leave(self, room: str, conn: Connection) -> None:
        ch = self.rooms.get(room)
        if ch is None:
            return
        ch.by_lang[conn.lang].discard(conn)
        if not ch.by_lang[conn.lang]:
            del ch.by_lang[conn.lang]
        if not ch.by_lang:
            await self._report_viewers(ch)
            if ch.scheduled:
                ch.scheduled.cancel()
            del self.rooms[room]
            await self.bus.unsubscribe(room)

    # -- inbound from the bus ------------------------------------------------------------

    def _on_event(self, room: str, ev: dict[str, Any]) -> None:
        ch = self.rooms.get(room)
        if ch is None or ev["seq"] <= ch.flushed_seq:
            return
        ch.pending.append(ev)
        self._schedule(ch, self.coalesce_s)

    def _on_agg(self, room: str, agg: dict[str, Any]) -> None:
        ch = self.rooms.get(room)
        if ch is None:
            return
        now = time.monotonic()
        if "viewers_node" in agg:
            node, count = agg["viewers_node"]
            ch.viewers_by_node[node] = (int(count), now)
            total = ch.total_viewers(now)
            if total == ch.shown_viewers:
                return  # a heartbeat with no change: nothing to send to anyone
            ch.shown_viewers = total
            ch.agg["viewers"] = total
        for key, total in agg.get("counters", {}).items():
            if total > ch.counters.get(key, 0):
                ch.counters[key] = total
                ch.agg.setdefault("counters", {})[key] = total
        self._schedule(ch, self.tick_s)

    # -- local input ---------------------------------------------------------------------

    def add_likes(self, room: str, n: int) -> None:
        ch = self.rooms.get(room)
        if ch is not None:
            ch.likes_delta += n

    # -- flushing ------------------------------------------------------------------------

    def _schedule(self, ch: RoomChannel, window: float) -> None:
        """Flush at ``last_flush + window``, or earlier if a flush is already due sooner: a
        chat line must not wait behind a likes tick."""
        loop = asyncio.get_running_loop()
        due = max(loop.time(), loop.time() + ch.last_flush + window - time.monotonic())
        if ch.scheduled is not None:
            if ch.scheduled_for <= due:
                return
            ch.scheduled.cancel()
        ch.scheduled = loop.call_at(due, self._flush, ch)
        ch.scheduled_for = due  # uvloop's handles have no when()

    def _flush(self, ch: RoomChannel) -> None:
        ch.scheduled = None
        ch.last_flush = time.monotonic()
        events, ch.pending = sorted(ch.pending, key=lambda e: e["seq"]), []
        events = [e for e in events if e["seq"] > ch.flushed_seq]
        agg, ch.agg = ch.agg, {}
        if not events and not agg:
            return
        for ev in events:
            for observe in self.observers:
                try:
                    observe(ch.room, ev)
                except Exception:  # an observer bug must not stop delivery
                    log.exception("room observer failed on %s", ev.get("type"))
        if events:
            ch.flushed_seq = events[-1]["seq"]
        for lang, conns in list(ch.by_lang.items()):
            frame = build_frame(events, agg, lang)  # once per (room, language)
            if not frame.events and not frame.aggregates:
                continue  # only other languages' translations: nothing to send these viewers
            for conn in list(conns):
                conn.offer(frame)

    def snapshot_counters(self, room: str) -> dict[str, Any]:
        ch = self.rooms.get(room)
        if ch is None:
            return {}
        return {"counters": dict(ch.counters),
                "viewers": max(ch.total_viewers(time.monotonic()), ch.local_viewers)}

    # -- the tick: likes deltas and viewer counts go through the bus ---------------------

    def _ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            # watch time counts from now: a ticker that slept while no room was open must
            # not credit its viewers with the time it slept
            self._last_viewer_report = time.monotonic()
            self._ticker = asyncio.create_task(self._tick_loop(), name="hub-ticker")

    async def _tick_loop(self) -> None:
        while self.rooms:
            await asyncio.sleep(self.tick_s)
            now = time.monotonic()
            elapsed = now - self._last_viewer_report
            report = elapsed >= 1.0
            if report:
                self._last_viewer_report = now
            for ch in list(self.rooms.values()):
                try:
                    if ch.likes_delta:
                        delta, ch.likes_delta = ch.likes_delta, 0
                        total = await self.bus.add_counter(ch.room, "likes", delta)
                        await self.bus.publish_agg(ch.room, {"counters": {"likes": total}})
                    if report:
                        await self._report_viewers(ch)
                        await self._keep_audience(ch, now, min(elapsed, 5.0))
                except Exception:
                    log.exception("hub tick failed for room %s", ch.room)

    async def _keep_audience(self, ch: RoomChannel, now: float, elapsed: float) -> None:
        """The room's watch time (viewer-seconds, summed over nodes) and its peak concurrent
        viewers, in counters of their own (``audience_key``: never in the room's counters,
        which every viewer receives): what the room keeps when it ends."""
        ch.watched_s += ch.local_viewers * elapsed
        whole = int(ch.watched_s)
        if whole:
            ch.watched_s -= whole
            await self.bus.add_counter(audience_key(ch.room), "watch_s", whole)
            await self.bus.add_counter(viewer_minutes_key(ch.room),
                                       str(int(time.time() // 60)), whole)
        total = max(ch.total_viewers(now), ch.local_viewers)
        if total > ch.peak_seen:
            ch.peak_seen = await self.bus.max_counter(audience_key(ch.room), "peak_viewers",
                                                      total)

    async def _report_viewers(self, ch: RoomChannel) -> None:
        # Every second, changed or not: other nodes drop counts older than VIEWER_TTL_S, so
        # a node that died stops counting without anyone telling them.
        await self.bus.publish_agg(ch.room, {"viewers_node": [self.bus.node_id,
                                                              ch.local_viewers]})

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for ch in self.rooms.values():
            if ch.scheduled:
                ch.scheduled.cancel()
            for conns in ch.by_lang.values():
                for conn in conns:
                    conn.going_away()
        self.rooms.clear()
