"""The chat pipeline: every incoming line passes the same ordered stages before broadcast.

length limit → rate limit → (screening) → PII redaction → (language detection) →
(translation). Each stage is one object with one method; a stage rejects a line by raising
``Rejected`` with a stable code, or returns the (possibly changed) line. The communication
issue adds screening, detection and translation as further stages of this same interface.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from chuhai.comms.screening.pii import redact
from chuhai.live.state import RoomState
from chuhai.realtime.protocol import MAX_CHAT_CHARS
from chuhai.realtime.token_bucket import TokenBucket


class Rejected(Exception):
    def __init__(self, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.retry_after = code, message, retry_after


@dataclass(frozen=True)
class ChatLine:
    kind: str  # chat | question
    text: str
    author_id: str
    author_name: str
    lang: str
    redactions: tuple[str, ...] = ()
    translations: dict[str, str] = field(default_factory=dict)
    flags: tuple[str, ...] = ()


@dataclass
class LineContext:
    """What stages may consult: the room, its markets, this connection's budget."""

    room: RoomState
    markets: Sequence[str]
    bucket: TokenBucket
    last_line_at: float = 0.0
    now: float = field(default_factory=time.monotonic)


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


class Pipeline:
    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = list(stages)

    async def run(self, line: ChatLine, ctx: LineContext) -> ChatLine:
        for stage in self.stages:
            line = await stage(line, ctx)
        return line


def default_pipeline() -> Pipeline:
    return Pipeline([LengthLimit(), RateLimit(), PiiRedaction()])


def chat_bucket() -> TokenBucket:
    """Three lines at once, then one every 1.5 s: a person typing, not a script."""
    return TokenBucket(rate=1 / 1.5, burst=3)
