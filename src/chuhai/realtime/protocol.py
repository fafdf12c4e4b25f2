"""The live-room WebSocket protocol, version 1 (docs/protocol.md). Pure: no I/O.

Client messages are validated into typed models here so the socket handler only dispatches;
server frames are built here so that each (room, language) frame is serialized once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from websockets.frames import Frame as WireFrame
from websockets.frames import Opcode

from chuhai.core.text import has_control

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 8 * 1024
MAX_CHAT_CHARS = 500


class Close(IntEnum):
    """WebSocket close codes (4000–4999 are the application's)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    POLICY = 1008
    TOO_BIG = 1009
    BAD_REQUEST = 4400
    UNAUTHENTICATED = 4401
    FORBIDDEN = 4403  # banned (a cross-site cookie is ignored: that socket is a guest)
    ROOM_NOT_FOUND = 4404
    SLOW_CONSUMER = 4408
    RESUME_FROM_FUTURE = 4409
    ROOM_ENDED = 4410
    FLOODING = 4429


# Sequenced event types: stored in the room log, numbered, replayed on resume.
SEQUENCED = frozenset({
    "chat", "chat.translation", "chat.deleted", "chat.flagged", "question",
    "question.answered", "answer",
    "pin", "unpin",
    "poll.open", "poll.close", "moderation", "room.status", "drop", "auction",
})


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Ping(_Msg):
    type: Literal["ping"]
    t: float | None = None


# A client's own tag for a line, echoed in the broadcast event so the author can match it
# with what they sent. Everyone receives it, so it is a token, not text.
NONCE = r"^[A-Za-z0-9_.:-]{1,40}$"


class Chat(_Msg):
    type: Literal["chat"]
    text: str = Field(min_length=1, max_length=4 * MAX_CHAT_CHARS)  # the pipeline enforces 500
    nonce: str | None = Field(None, max_length=40, pattern=NONCE)


class Like(_Msg):
    type: Literal["like"]
    n: int = Field(1, ge=1, le=50)


class Ask(_Msg):
    type: Literal["question"]
    text: str = Field(min_length=1, max_length=4 * MAX_CHAT_CHARS)
    nonce: str | None = Field(None, max_length=40, pattern=NONCE)


class Vote(_Msg):
    type: Literal["vote"]
    poll: str = Field(max_length=40)
    option: int = Field(ge=0, le=9)


class Pin(_Msg):
    type: Literal["pin"]
    product_id: str = Field(max_length=40)


class Unpin(_Msg):
    type: Literal["unpin"]
    product_id: str = Field(max_length=40)


class PollOpen(_Msg):
    type: Literal["poll.open"]
    question: str = Field(min_length=1, max_length=200)
    options: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        min_length=2, max_length=10)


class PollClose(_Msg):
    type: Literal["poll.close"]
    poll: str = Field(max_length=40)


class Answer(_Msg):
    type: Literal["answer"]
    question: int = Field(ge=1, description="seq of the question")
    text: str = Field(min_length=1, max_length=MAX_CHAT_CHARS)


class QuestionDone(_Msg):
    type: Literal["question.answered"]
    question: int = Field(ge=1)


class ModDelete(_Msg):
    type: Literal["mod.delete"]
    seq: int = Field(ge=1)


class ModMute(_Msg):
    type: Literal["mod.mute"]
    subject: str = Field(max_length=40)
    minutes: int = Field(ge=1, le=24 * 60)


class ModBan(_Msg):
    type: Literal["mod.ban"]
    subject: str = Field(max_length=40)


class ModSlow(_Msg):
    type: Literal["mod.slow"]
    seconds: int = Field(ge=0, le=600)


class ModFollowers(_Msg):
    type: Literal["mod.followers_only"]
    on: bool


ClientMessage = Annotated[
    Ping | Chat | Like | Ask | Vote | Pin | Unpin | PollOpen | PollClose | Answer
    | QuestionDone | ModDelete | ModMute | ModBan | ModSlow | ModFollowers,
    Field(discriminator="type"),
]
_CLIENT = TypeAdapter(ClientMessage)
HOST_TYPES = frozenset({"pin", "unpin", "poll.open", "poll.close", "answer",
                        "question.answered"})
MOD_TYPES = frozenset({"mod.delete", "mod.mute", "mod.ban", "mod.slow", "mod.followers_only"})


@dataclass(frozen=True)
class ProtocolError(Exception):
    code: str
    message: str
    retry_after: float | None = None
    details: Any = None  # e.g. a screening verdict's findings, for the author only


def parse_client(raw: str | bytes) -> Any:
    """Bytes from a socket → a typed message, or ``ProtocolError`` with a stable code."""
    if len(raw) > MAX_FRAME_BYTES:
        raise ProtocolError("frame_too_large", f"frames are limited to {MAX_FRAME_BYTES} bytes")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError("invalid_json", "the frame is not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError("invalid_message", "a message is an object with a 'type'")
    if has_control(data):  # the code the HTTP API answers NUL in an address with
        raise ProtocolError("invalid_characters",
                            "text must not contain NUL or other control characters")
    try:
        return _CLIENT.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first.get("type") == "union_tag_invalid":
            raise ProtocolError("unknown_type", f"unknown message type {data['type'][:40]!r}"
                                ) from exc
        where = ".".join(str(p) for p in first.get("loc", ())[1:])
        raise ProtocolError("invalid_message", f"{where}: {first.get('msg')}") from exc


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def error_frame(code: str, message: str, retry_after: float | None = None,
                details: Any = None) -> str:
    body: dict[str, Any] = {"v": PROTOCOL_VERSION, "type": "error", "code": code,
                            "message": message}
    if retry_after is not None:
        body["retry_after"] = round(retry_after, 2)
    if details is not None:
        body["details"] = details
    return dumps(body)


@dataclass
class Frame:
    """One serialized batch for one language; ``first``/``last`` are its sequence range."""

    text: str
    first: int = 0
    last: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    aggregates: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def wire(self) -> bytes:
        """The frame as WebSocket bytes, built on first use and then shared by every
        viewer of the language (see realtime/prepared.py)."""
        return frame_text(self.text)


def frame_text(text: str) -> bytes:
    """``text`` as one unmasked, unfragmented server text frame (RFC 6455 §5.2), without
    per-message compression (which chuhai turns off: it would be per viewer)."""
    return WireFrame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])


def localize(event: dict[str, Any], lang: str) -> dict[str, Any] | None:
    """The event as a viewer of ``lang`` sees it: a translation, where one exists, replaces
    the text and the original stays available (machine translation is marked). A
    ``chat.translation`` update goes only to viewers of its language (None: not for them);
    the frame's sequence range still covers it, so resume sees no gap."""
    if event.get("type") == "chat.translation":
        return event if event.get("data", {}).get("lang") == lang else None
    tr = event.get("data", {}).get("translations")
    if not tr:
        return event
    data = {k: v for k, v in event["data"].items() if k != "translations"}
    if lang in tr and lang != data.get("lang"):
        t = tr[lang]
        text, machine = (t["text"], t.get("machine", True)) if isinstance(t, dict) else (t, True)
        data = {**data, "original": data.get("text"), "text": text, "machine": machine}
    return {**event, "data": data}


def build_frame(events: list[dict[str, Any]], aggregates: dict[str, Any], lang: str) -> Frame:
    evs = [x for e in events if (x := localize(e, lang)) is not None]
    body: dict[str, Any] = {"v": PROTOCOL_VERSION, "type": "batch", "events": evs}
    if aggregates:
        body["agg"] = aggregates
    seqs = [e["seq"] for e in events if e.get("seq")]
    return Frame(dumps(body), min(seqs, default=0), max(seqs, default=0), evs, aggregates)
