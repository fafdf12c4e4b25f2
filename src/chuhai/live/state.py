"""A room's live state as a pure reducer over its sequenced events.

Every node keeps one ``RoomState`` per room it serves and applies each event as it flushes
it, so all nodes agree on what is pinned, which poll is open, who is muted and which lines
were deleted — without asking the database on the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_PINNED = 3
RECENT_CHAT = 50


@dataclass
class RoomState:
    room_id: str
    status: str = "scheduled"
    pinned: list[dict[str, Any]] = field(default_factory=list)
    poll: dict[str, Any] | None = None
    answer: dict[str, Any] | None = None
    slow_mode_s: int = 0
    followers_only: bool = False
    muted: dict[str, float] = field(default_factory=dict)  # subject → until (epoch s)
    banned: set[str] = field(default_factory=set)
    questions: dict[int, dict[str, Any]] = field(default_factory=dict)
    recent: list[dict[str, Any]] = field(default_factory=list)  # last chat events
    seq: int = 0

    def apply(self, ev: dict[str, Any]) -> None:
        seq, kind, data = int(ev.get("seq", 0)), ev["type"], ev.get("data", {})
        if seq and seq <= self.seq:
            return
        self.seq = max(self.seq, seq)
        handler = getattr(self, "_on_" + kind.replace(".", "_"), None)
        if handler is not None:
            handler(ev, data)

    def _on_chat(self, ev: dict[str, Any], _data: dict[str, Any]) -> None:
        self.recent.append(ev)
        del self.recent[:-RECENT_CHAT]

    def _on_chat_translation(self, _ev: dict[str, Any], data: dict[str, Any]) -> None:
        target = int(data.get("seq", 0))
        for e in self.recent:
            if e["seq"] == target:
                tr = dict(e["data"].get("translations") or {})
                tr[data["lang"]] = {"text": data["text"], "machine": data.get("machine", True)}
                e["data"] = {**e["data"], "translations": tr}
        q = self.questions.get(target)
        if q is not None:
            q.setdefault("translations", {})[data["lang"]] = data["text"]

    def _on_chat_flagged(self, _ev: dict[str, Any], data: dict[str, Any]) -> None:
        """Screening by meaning, after the line went out (the room's budget was spent)."""
        target = int(data.get("seq", 0))
        for e in self.recent:
            if e["seq"] == target:
                flags = list(dict.fromkeys([*e["data"].get("flags", ()),
                                            *data.get("flags", ())]))
                e["data"] = {**e["data"], "flags": flags}

    def _on_chat_deleted(self, _ev: dict[str, Any], data: dict[str, Any]) -> None:
        target = int(data.get("seq", 0))
        self.recent = [e for e in self.recent if e["seq"] != target]
        self.questions.pop(target, None)

    def _on_question(self, ev: dict[str, Any], data: dict[str, Any]) -> None:
        self.questions[ev["seq"]] = {"seq": ev["seq"], "text": data.get("text"),
                                     "author": data.get("author"),
                                     "author_id": data.get("author_id"),
                                     "region": data.get("region"), "answered": False}

    def _on_question_answered(self, _ev: dict[str, Any], data: dict[str, Any]) -> None:
        q = self.questions.get(data.get("question", -1))
        if q is not None:
            q["answered"] = True

    def _on_answer(self, _ev: dict[str, Any], data: dict[str, Any]) -> None:
        self.answer = data
        self._on_question_answered(_ev, data)

    def _on_pin(self, _ev: dict[str, Any], data: dict[str, Any]) -> None:
        self.pinned = [p for p in self.pinned if p["product_id"] != data["product_id"]]
        self.pinned.append(data)
        del self.pinned[:-MAX_PINNED]

    def _on_unpin(self, _ev: dict[str, Any], data: dict[str, Any]) -> None:
        self.pinned = [p for p in self.pinned if p["product_id"] != data.get("product_id")]

    def _on_poll_open(self, _ev: dict[str, Any], data: dict[str, Any]) -> None:
        self.poll = {**data, "open": True}

    def _on_poll_close(self, _ev: dict[str, Any], data: dict[str, Any]) -> None:
        if self.poll and self.poll.get("id") == data.get("poll"):
            self.poll = {**self.poll, "open": False}

    def _on_moderation(self, _ev: dict[str, Any], data: dict[str, Any]) -> None:
        action = data.get("action")
        if action == "mute":
            self.muted[data["subject"]] = float(data["until"])
        elif action == "ban":
            self.banned.add(data["subject"])
        elif action == "slow":
            self.slow_mode_s = int(data["seconds"])
        elif action == "followers_only":
            self.followers_only = bool(data["on"])

    def _on_room_status(self, _ev: dict[str, Any], data: dict[str, Any]) -> None:
        self.status = str(data.get("status", self.status))

    def is_muted(self, subject: str, now: float) -> bool:
        until = self.muted.get(subject)
        return until is not None and until > now

    def snapshot(self) -> dict[str, Any]:
        return {
            "status": self.status, "pinned": self.pinned, "poll": self.poll,
            "answer": self.answer, "slow_mode_s": self.slow_mode_s,
            "followers_only": self.followers_only,
            "questions": [q for q in self.questions.values() if not q["answered"]][-50:],
        }
