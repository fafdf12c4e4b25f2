"""What each client message does in a room, with the checks that come first: who may do it,
whether they are muted, whether the room is in followers-only or slow mode."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from chuhai.accounts.models import Org
from chuhai.comms import service as comms_service
from chuhai.comms.screening import disclosure
from chuhai.core.db import unit_of_work
from chuhai.core.ids import new_id
from chuhai.live import service
from chuhai.live.models import Room
from chuhai.live.node import LiveNode, Viewer
from chuhai.live.pipeline import ChatLine, LineContext, Rejected, chat_bucket
from chuhai.live.state import MAX_PINNED, RoomState
from chuhai.realtime import protocol as p
from chuhai.realtime.hub import Connection
from chuhai.realtime.protocol import Frame, ProtocolError, dumps


class Dispatcher:
    def __init__(self, node: LiveNode, room: Room, viewer: Viewer, conn: Connection,
                 lang: str) -> None:
        self.node, self.room, self.viewer, self.conn, self.lang = node, room, viewer, conn, lang
        self.ctx = LineContext(room=node.states[room.id], markets=room.markets,
                               bucket=chat_bucket())

    @property
    def state(self) -> RoomState:
        return self.node.states[self.room.id]

    async def handle(self, msg: Any) -> None:
        kind = msg.type
        if kind in p.HOST_TYPES and not self.viewer.is_host:
            raise ProtocolError("forbidden", "only the room's hosts may do that")
        if kind in p.MOD_TYPES and not self.viewer.is_moderator:
            raise ProtocolError("forbidden", "only moderators may do that")
        handler = getattr(self, "on_" + kind.replace(".", "_"))
        if kind in p.HOST_TYPES or kind in p.MOD_TYPES:
            # One staff action at a time per room on this node, each checked against the
            # state the previous one produced (no two pins past the limit, no double poll).
            async with self.node.locks[self.room.id]:
                await handler(msg)
        else:
            await handler(msg)

    # -- everyone ------------------------------------------------------------------------

    async def on_ping(self, msg: p.Ping) -> None:
        self.conn.offer(Frame(dumps({"v": p.PROTOCOL_VERSION, "type": "pong", "t": msg.t,
                                     "server": round(time.time(), 3)})))

    async def on_like(self, msg: p.Like) -> None:
        self.node.hub.add_likes(self.room.id, msg.n)

    # -- signed-in viewers ---------------------------------------------------------------

    async def _line(self, kind: str, text: str, nonce: str | None = None) -> None:
        if not self.viewer.can_chat:
            raise ProtocolError("sign_in_required", "sign in to chat and ask questions")
        if self.state.status == "ended":
            raise ProtocolError("room_ended", "the room has ended")
        now = time.time()
        if self.state.is_muted(self.viewer.subject_id, now):
            raise ProtocolError("muted", "a moderator muted you for a while")
        if (self.state.followers_only and self.viewer.kind == "customer"
                and not await self._follows()):
            raise ProtocolError("followers_only", "only followers may chat right now")
        self.ctx.room, self.ctx.now = self.state, time.monotonic()
        line = ChatLine(kind=kind, text=text, author_id=self.viewer.subject_id,
                        author_name=self.viewer.name, lang=self.lang,
                        side="host" if self.viewer.is_host else "viewer")
        if self.viewer.is_host:
            await self._host_context()
        if self.viewer.is_moderator:  # staff are neither throttled nor slowed in their room
            self.ctx.bucket.tokens = self.ctx.bucket.burst
            self.ctx.last_line_at = 0.0
        try:
            line = await self.node.pipeline.run(line, self.ctx)
        except Rejected as rej:
            raise ProtocolError(rej.code, rej.message, rej.retry_after, rej.details) from rej
        data: dict[str, Any] = {
            "author": line.author_name, "author_id": line.author_id, "text": line.text,
            "lang": line.lang, "role": self.viewer.role, "region": self.viewer.region or "",
        }
        if nonce is not None:
            data["nonce"] = nonce
        if line.redactions:
            data["redacted"] = list(line.redactions)
        if line.translations:
            data["translations"] = line.translations
        if line.flags:
            data["flags"] = list(line.flags)
        if kind == "question":
            total = await self.node.bus.add_counter(self.room.id, "questions", 1)
            await self.node.bus.publish_agg(self.room.id, {"counters": {"questions": total}})
        findings = list(line.findings)
        if self.viewer.is_host and self.room.disclosure:
            findings += self._disclosure_due(line.text)
        ev = await self.node.publish(self.room.id, kind, data)
        if findings:  # the author (a host: with the rewrite) sees what was flagged
            self._tell_author(ev["seq"], nonce, findings)
        if line.meaning_due:
            seq = ev["seq"]

            async def flagged_later(found: list[dict[str, Any]]) -> None:
                self._tell_author(seq, nonce, found, later=True)
                flags = list(dict.fromkeys(f["category"] for f in found))
                await self.node.publish(self.room.id, "chat.flagged",
                                        {"seq": seq, "flags": flags, "by": "meaning"})

            self.node.pipeline.screen_later(line, self.ctx, flagged_later)
        self.node.translate_later(self.room, ev)

    def _tell_author(self, seq: int, nonce: str | None, findings: list[dict[str, Any]],
                     later: bool = False) -> None:
        frame: dict[str, Any] = {"v": p.PROTOCOL_VERSION, "type": "screening", "seq": seq,
                                 "nonce": nonce, "findings": findings}
        if later:  # screened by meaning after it was sent: the room's budget was spent
            frame["later"] = True
        self.conn.offer(Frame(dumps(frame)))  # a closed connection drops it

    def _disclosure_due(self, text: str) -> list[dict[str, Any]]:
        """A sponsored room's hosts repeat the disclosure; this line either says it (and
        restarts the clock) or, when it is due, carries a reminder back to the host."""
        assert self.room.disclosure is not None
        now = time.monotonic()
        if disclosure.discloses(text, self.room.disclosure):
            self.node.disclosed_at[self.room.id] = now
            return []
        last = self.node.disclosed_at.get(self.room.id)
        every = self.node.comms.settings.disclosure_repeat_minutes * 60 \
            if self.node.comms is not None else disclosure.DEFAULT_EVERY_S
        due = disclosure.reminder(self.room.disclosure,
                                  None if last is None else now - last, every)
        if due is None:
            return []
        self.node.disclosed_at[self.room.id] = now  # one reminder per period, not per line
        return [due]

    async def _host_context(self) -> None:
        """A host's line is advertising: the seller's home market's law applies too, and a
        named former price is checked against the pinned product's price history."""
        self.ctx.prices = {}
        if self.node.comms is None:
            return
        async with unit_of_work(self.node.stores) as uow:
            if self.ctx.seller_market is None:
                self.ctx.seller_market = await uow.global_.scalar(
                    select(Org.home_country).where(Org.id == self.room.org_id))
            if not self.state.pinned:
                return
            product_id = self.state.pinned[-1]["product_id"]
            for market in self.room.markets:
                history = await comms_service.price_history(uow.global_, product_id, market)
                if history is not None:
                    self.ctx.prices[market] = history

    async def _follows(self) -> bool:
        async with unit_of_work(self.node.stores) as uow:
            return await service.follows(uow, self.viewer.subject_id, self.viewer.region or "",
                                         self.room.org_id)

    async def on_chat(self, msg: p.Chat) -> None:
        await self._line("chat", msg.text, msg.nonce)

    async def on_question(self, msg: p.Ask) -> None:
        await self._line("question", msg.text, msg.nonce)

    async def on_vote(self, msg: p.Vote) -> None:
        if self.viewer.kind != "customer":
            raise ProtocolError("sign_in_required", "sign in to vote")
        poll = self.state.poll
        if not poll or poll.get("id") != msg.poll or not poll.get("open"):
            raise ProtocolError("poll_closed", "that poll is not open")
        if msg.option >= len(poll["options"]):
            raise ProtocolError("invalid_option", "no such option")
        if not await self.node.bus.first_time(self.room.id,
                                              f"vote:{msg.poll}:{self.viewer.subject_id}"):
            raise ProtocolError("already_voted", "you already voted in this poll")
        key = f"poll:{msg.poll}:{msg.option}"
        total = await self.node.bus.add_counter(self.room.id, key, 1)
        await self.node.bus.publish_agg(self.room.id, {"counters": {key: total}})

    # -- hosts ---------------------------------------------------------------------------

    async def on_pin(self, msg: p.Pin) -> None:
        pinned = [x["product_id"] for x in self.state.pinned]
        if msg.product_id not in pinned and len(pinned) >= MAX_PINNED:
            raise ProtocolError("too_many_pins", f"unpin one first: at most {MAX_PINNED}")
        try:
            async with unit_of_work(self.node.stores) as uow:
                card = await service.product_card(uow, self.room, msg.product_id)
        except Exception as exc:
            raise ProtocolError("product_not_found", "no such product in this catalog"
                                ) from exc
        ev = await self.node.publish(self.room.id, "pin", card)
        await self.node.settle(self.room.id, ev["seq"])

    async def on_unpin(self, msg: p.Unpin) -> None:
        if msg.product_id not in [x["product_id"] for x in self.state.pinned]:
            raise ProtocolError("not_pinned", "that product is not pinned")
        ev = await self.node.publish(self.room.id, "unpin", {"product_id": msg.product_id})
        await self.node.settle(self.room.id, ev["seq"])

    async def on_poll_open(self, msg: p.PollOpen) -> None:
        if self.state.poll and self.state.poll.get("open"):
            raise ProtocolError("poll_open", "close the open poll first")
        ev = await self.node.publish(self.room.id, "poll.open", {
            "id": new_id("poll"), "question": msg.question, "options": msg.options})
        await self.node.settle(self.room.id, ev["seq"])

    async def on_poll_close(self, msg: p.PollClose) -> None:
        poll = self.state.poll
        if not poll or poll.get("id") != msg.poll or not poll.get("open"):
            raise ProtocolError("poll_closed", "that poll is not open")
        ev = await self.node.publish(self.room.id, "poll.close", {"poll": msg.poll})
        await self.node.settle(self.room.id, ev["seq"])

    def _question(self, seq: int) -> dict[str, Any]:
        q = self.state.questions.get(seq)
        if q is None:
            raise ProtocolError("question_not_found", "no open question with that number")
        return q

    async def on_answer(self, msg: p.Answer) -> None:
        q = self._question(msg.question)
        await self.node.publish(self.room.id, "answer", {
            "question": msg.question, "question_text": q["text"], "text": msg.text,
            "region": q.get("region", "")})

    async def on_question_answered(self, msg: p.QuestionDone) -> None:
        q = self._question(msg.question)
        await self.node.publish(self.room.id, "question.answered", {
            "question": msg.question, "region": q.get("region", "")})

    # -- moderators ----------------------------------------------------------------------

    async def on_mod_delete(self, msg: p.ModDelete) -> None:
        target = next((e for e in self.state.recent if e["seq"] == msg.seq), None)
        q = self.state.questions.get(msg.seq)
        region = (target or {}).get("data", {}).get("region") or (q or {}).get("region")
        if target is None and q is None:
            raise ProtocolError("message_not_found", "no recent message with that number")
        await self.node.publish(self.room.id, "chat.deleted", {"seq": msg.seq,
                                                               "region": region or ""})

    async def _sanction(self, subject: str, kind: str, minutes: int | None) -> None:
        if subject == self.viewer.subject_id:
            raise ProtocolError("invalid_target", "you cannot sanction yourself")
        async with unit_of_work(self.node.stores) as uow:
            until = await service.add_sanction(uow, self.room.id, subject, kind, minutes,
                                               self.viewer.subject_id)
        data: dict[str, Any] = {"action": kind, "subject": subject}
        if until is not None:
            data["until"] = until.timestamp()
        await self.node.publish(self.room.id, "moderation", data)

    async def on_mod_mute(self, msg: p.ModMute) -> None:
        await self._sanction(msg.subject, "mute", msg.minutes)

    async def on_mod_ban(self, msg: p.ModBan) -> None:
        await self._sanction(msg.subject, "ban", None)

    async def on_mod_slow(self, msg: p.ModSlow) -> None:
        await self.node.publish(self.room.id, "moderation",
                                {"action": "slow", "seconds": msg.seconds})

    async def on_mod_followers_only(self, msg: p.ModFollowers) -> None:
        await self.node.publish(self.room.id, "moderation",
                                {"action": "followers_only", "on": msg.on})
