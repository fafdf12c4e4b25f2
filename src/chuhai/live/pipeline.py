"""The chat pipeline: every incoming line passes the same ordered stages before broadcast.

length limit → rate limit → language detection → screening (with PII redaction) →
broadcast → translation. Detection comes before screening because a line is screened in
its own language. Each stage is one object with one method; a stage rejects a line by
raising ``Rejected`` with a stable code, or returns the (possibly changed) line.
Translation runs after the broadcast (LiveNode.translate_later): the original goes out at
once and each translation follows as a ``chat.translation`` event.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from chuhai.comms.detect import detect
from chuhai.comms.screening.engine import Screener, Verdict, overall
from chuhai.comms.screening.findings import Finding
from chuhai.comms.screening.pii import redact
from chuhai.comms.screening.prices import PriceHistory
from chuhai.live.meaning_later import MeaningLater, Report
from chuhai.live.state import RoomState
from chuhai.realtime.protocol import MAX_CHAT_CHARS
from chuhai.realtime.token_bucket import TokenBucket


class Rejected(Exception):
    def __init__(self, code: str, message: str, retry_after: float | None = None,
                 details: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.retry_after = code, message, retry_after
        self.details = details


@dataclass(frozen=True)
class ChatLine:
    kind: str  # chat | question
    text: str
    author_id: str
    author_name: str
    lang: str
    redactions: tuple[str, ...] = ()
    translations: dict[str, str] = field(default_factory=dict)
    flags: tuple[str, ...] = ()  # categories of the screening findings that let it pass
    side: str = "viewer"         # host lines are screened as advertising, viewer lines not
    findings: tuple[dict[str, Any], ...] = ()
    meaning_due: bool = False    # a host line sent on its patterns, screened by meaning later


@dataclass
class LineContext:
    """What stages may consult: the room, its markets, this connection's budget."""

    room: RoomState
    markets: Sequence[str]
    bucket: TokenBucket
    last_line_at: float = 0.0
    now: float = field(default_factory=time.monotonic)
    seller_market: str | None = None  # the host's home market: its advertising law applies
    prices: dict[str, PriceHistory] = field(default_factory=dict)  # pinned item, by market


class Stage(Protocol):
    name: str

    async def __call__(self, line: ChatLine, ctx: LineContext) -> ChatLine: ...


class LengthLimit:
    name = "length"

    def __init__(self, max_chars: int = MAX_CHAT_CHARS) -> None:
        self.max_chars = max_chars

    async def __call__(self, line: ChatLine, ctx: LineContext) -> ChatLine:
        text = " ".join(line.text.split())  # collapse whitespace runs and newlines
        if not text:
            raise Rejected("empty", "the message is empty")
        if len(text) > self.max_chars:
            raise Rejected("too_long", f"messages are limited to {self.max_chars} characters")
        return replace(line, text=text)


class RateLimit:
    """Per connection: a token bucket; per room: slow mode (one line per N seconds)."""

    name = "rate"

    async def __call__(self, line: ChatLine, ctx: LineContext) -> ChatLine:
        slow = ctx.room.slow_mode_s
        if slow and ctx.last_line_at and ctx.now - ctx.last_line_at < slow:
            wait = slow - (ctx.now - ctx.last_line_at)
            raise Rejected("slow_mode", f"slow mode: one message every {slow} s", wait)
        wait = ctx.bucket.take(ctx.now)
        if wait:
            raise Rejected("rate_limited", "you are sending messages too fast", wait)
        ctx.last_line_at = ctx.now
        return line


class PiiRedaction:
    """E-mails and phone numbers never reach a public room (nor storage)."""

    name = "pii"

    async def __call__(self, line: ChatLine, ctx: LineContext) -> ChatLine:
        result = redact(line.text, regions=ctx.markets or ("US",))
        if not result.kinds:
            return line
        return replace(line, text=result.text, redactions=line.redactions + result.kinds)


class LanguageDetection:
    """The page's language is a hint; the line's own script and words decide."""

    name = "detect"

    async def __call__(self, line: ChatLine, ctx: LineContext) -> ChatLine:
        found = detect(line.text, fallback=line.lang)
        return replace(line, lang=found.lang) if found.confident else line


class MeaningBudget:
    """How much model time each room may spend screening viewer lines by meaning: per
    room, a bucket of CPU milliseconds refilled at ``CHUHAI_SCREENING_VIEWER_MS`` (or
    ``_HOST_MS``) a second, holding two seconds' worth or 40 ms, whichever is more. A
    line may start while the bucket holds anything; what
    it really cost — the worker thread's CPU time, zero for a line met before — is taken
    afterwards, so the bucket may go into debt and the room then waits. A flood of new
    lines in one room falls back to patterns for the excess instead of taking the node's
    cores from every other room's delivery."""

    def __init__(self, ms_per_s: float) -> None:
        self.ms_per_s = ms_per_s
        self._lock = threading.Lock()  # charged from worker threads, read on the loop
        # two seconds' worth, and at least one long line's (a line is never half-screened)
        self.burst = max(2 * ms_per_s, 40.0) if ms_per_s > 0 else 0.0
        self._rooms: dict[str, tuple[float, float]] = {}  # room → (ms left, as of)

    def _level(self, room_id: str, now: float) -> float:
        left, at = self._rooms.get(room_id, (self.burst, now))
        return min(self.burst, left + max(0.0, now - at) * self.ms_per_s)

    def allow(self, room_id: str, now: float) -> bool:
        return self.ms_per_s > 0 and self._level(room_id, now) > 0

    def wait(self, room_id: str, now: float) -> float:
        """Seconds until the room may start a line again (0: now)."""
        level = self._level(room_id, now)
        if level > 0:
            return 0.0
        return (0.001 - level) / self.ms_per_s if self.ms_per_s > 0 else float("inf")

    def charge(self, room_id: str, now: float, ms: float) -> None:
        with self._lock:
            if len(self._rooms) > 10_000 and room_id not in self._rooms:
                self._rooms.clear()
            # a line that started before the last charge was taken: keep the later clock
            at = max(self._rooms.get(room_id, (0.0, now))[1], now)
            self._rooms[room_id] = (self._level(room_id, at) - ms, at)


class Screening:
    """The line against each market the room sells to (and, for a host, the seller's home
    market): a ``block`` anywhere stops it, with the rule and the rewrite told to the
    author; PII is masked; other findings travel with the line as flags.

    Patterns first, on the loop (microseconds). Then, where they found nothing, by
    meaning in a worker thread, within the room's CPU budgets (``MeaningBudget``): the
    host's (advertising law) and the viewers', 5 ms a second each by default — a short
    line every few seconds at once, a host's other lines soon after. The live fan-out
    benchmark chose them: at 5 ms/s the node's CPU was 0.96-0.99x the no-screening run's
    for host lines and 1.05x for viewer lines; at 10 ms/s 0.84-0.96x and 0.86-0.93x; and
    viewer lines at 60 ms/s tripled the delivery p95. A host
    line that finds its budget spent goes out on its patterns and is screened by meaning
    soon after (``MeaningLater``); a viewer line past the budget stays with its patterns."""

    name = "screening"

    def __init__(self, screener: Screener, *, meaning: bool = True,
                 viewer_ms: float = 5.0, host_ms: float = 5.0) -> None:
        self.screener = screener
        self.meaning = meaning and screener.semantic is not None
        self.budget = MeaningBudget(viewer_ms)
        self.host_budget = MeaningBudget(host_ms)
        self.later = MeaningLater(self)
        if self.meaning and screener.semantic is not None:
            screener.semantic.build_in_background()  # ready before the first line

    @staticmethod
    def markets(line: ChatLine, ctx: LineContext) -> list[str]:
        markets = list(ctx.markets or ("US",))
        if line.side == "host" and ctx.seller_market:
            markets.append(ctx.seller_market)
        return list(dict.fromkeys(markets))

    def verdicts(self, line: ChatLine, ctx: LineContext, meaning: bool = False
                 ) -> list[Verdict]:
        return [self.screener.screen(line.text, line.lang, m, line.side,
                                     regions=ctx.markets or ("US",),
                                     prices=ctx.prices.get(m), meaning=meaning)
                for m in self.markets(line, ctx)]

    def by_meaning(self, line: ChatLine, ctx: LineContext) -> bool:
        semantic = self.screener.semantic
        if not self.meaning or semantic is None:
            return False
        if not semantic.ready:  # patterns alone until its examples are loaded
            semantic.build_in_background()
            return False
        return self._budget(line).allow(ctx.room.room_id, ctx.now)

    def _budget(self, line: ChatLine) -> MeaningBudget:
        return self.host_budget if line.side == "host" else self.budget

    def due_later(self, line: ChatLine) -> bool:
        """A host line that could not be screened by meaning now, though it should be."""
        return self.meaning and line.side == "host" and self.host_budget.ms_per_s > 0

    def with_meaning(self, line: ChatLine, ctx: LineContext) -> list[Verdict]:
        """In a worker thread; the line's CPU time is charged to its room."""
        start = time.thread_time()
        out = self.verdicts(line, ctx, meaning=True)
        self._budget(line).charge(ctx.room.room_id, ctx.now,
                                  (time.thread_time() - start) * 1000)
        return out

    async def ready(self, line: ChatLine, ctx: LineContext) -> None:
        """Compile, in a worker thread, any automaton this line needs that no line needed
        before (a language the room did not expect). Compiling takes 30-60 ms; on the
        event loop it would stall delivery to every viewer of every room on the node.
        Lines that need the same automaton wait for one compile (the screener's lock)."""
        for market in self.markets(line, ctx):
            if not self.screener.has_scope(market, line.lang, line.side):
                await asyncio.to_thread(self.screener.scope, market, line.lang, line.side)

    async def __call__(self, line: ChatLine, ctx: LineContext) -> ChatLine:
        await self.ready(line, ctx)
        verdicts = self.verdicts(line, ctx)
        # by meaning only where the words found nothing (engine), so only then a thread
        wanted = any(v.action == "allow" for v in verdicts) and \
            overall(f for v in verdicts for f in v.findings) != "block"
        meant = False
        if wanted and self.by_meaning(line, ctx):
            verdicts = await asyncio.to_thread(self.with_meaning, line, ctx)
            meant = True
        findings: list[Finding] = [f for v in verdicts for f in v.findings]
        details = [{"market": v.market, **f.as_dict()} for v in verdicts for f in v.findings]
        if overall(findings) == "block":
            worst = next(f for f in findings if f.action == "block")
            raise Rejected("blocked", f"not sent: {worst.suggestion} (rule {worst.rule})",
                           details=details)
        pii_kinds = tuple(dict.fromkeys(f.rule.removeprefix("PII.")
                                        for f in findings if f.category == "pii"))
        text = verdicts[0].redacted if verdicts else line.text
        flags = tuple(dict.fromkeys(f.category for f in findings
                                    if f.category != "pii" and f.action != "allow"))
        return replace(line, text=text, redactions=line.redactions + pii_kinds,
                       flags=line.flags + flags, findings=tuple(
                           d for d in details if d["category"] != "pii"),
                       meaning_due=wanted and not meant and self.due_later(line))

    async def close(self) -> None:
        await self.later.close()


class Pipeline:
    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = list(stages)
        self.screening = next((s for s in self.stages if isinstance(s, Screening)), None)

    def screen_later(self, line: ChatLine, ctx: LineContext, report: Report) -> None:
        """After the line was sent: screen it by meaning when the room's budget allows."""
        if self.screening is not None and line.meaning_due:
            self.screening.later.add(line, ctx, report)

    async def close(self) -> None:
        if self.screening is not None:
            await self.screening.close()

    async def run(self, line: ChatLine, ctx: LineContext) -> ChatLine:
        for stage in self.stages:
            line = await stage(line, ctx)
        return line


def default_pipeline(screener: Screener | None = None, *, meaning: bool = True,
                     viewer_ms: float = 5.0, host_ms: float = 5.0) -> Pipeline:
    """Without a screener (screening off) PII is still redacted."""
    if screener is None:
        return Pipeline([LengthLimit(), RateLimit(), LanguageDetection(), PiiRedaction()])
    return Pipeline([LengthLimit(), RateLimit(), LanguageDetection(),
                     Screening(screener, meaning=meaning, viewer_ms=viewer_ms,
                               host_ms=host_ms)])


def chat_bucket() -> TokenBucket:
    """Three lines at once, then one every 1.5 s: a person typing, not a script."""
    return TokenBucket(rate=1 / 1.5, burst=3)
