"""One app node's live machinery: the hub, the bus, each served room's state, the chat
pipeline, and the single place where room events are published and recorded."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from chuhai.comms.service import Comms
from chuhai.comms.translator import TranslationUnavailable
from chuhai.core.actor import Actor
from chuhai.core.db import Stores, UnitOfWork, unit_of_work
from chuhai.live import service
from chuhai.live.models import Room
from chuhai.live.pipeline import Pipeline, default_pipeline
from chuhai.live.state import RoomState
from chuhai.live.translation_log import TranslationLog
from chuhai.markets.profiles import get_profile
from chuhai.realtime.bus import Bus
from chuhai.realtime.hub import Connection, Hub, audience_key

log = logging.getLogger("chuhai.live")
STATEFUL = frozenset({"pin", "unpin", "poll.open", "poll.close", "answer", "moderation"})


@dataclass(frozen=True)
class Viewer:
    """Who is on the other end of a socket, and what they may do in this room."""

    subject_id: str
    kind: str  # staff | customer | guest
    name: str
    region: str | None
    role: str  # host | moderator | staff | viewer | guest

    @property
    def can_chat(self) -> bool:
        return self.kind == "customer" or self.role in ("host", "moderator")

    @property
    def is_host(self) -> bool:
        return self.role == "host"

    @property
    def is_moderator(self) -> bool:
        return self.role in ("host", "moderator")


class LiveNode:
    def __init__(self, stores: Stores, bus: Bus, *, tick_s: float = 0.1,
                 coalesce_s: float = 0.02, queue_size: int = 256,
                 comms: Comms | None = None) -> None:
        self.stores = stores
        self.comms = comms
        self.bus = bus
        self.hub = Hub(bus, tick_s=tick_s, coalesce_s=coalesce_s, queue_size=queue_size)
        self.hub.observers.append(self._apply)
        self.states: dict[str, RoomState] = {}
        screen = comms is not None and comms.settings.screening
        self.pipeline: Pipeline = default_pipeline(
            comms.screener if screen and comms else None,
            meaning=bool(comms and comms.settings.screening_meaning),
            viewer_ms=comms.settings.screening_viewer_ms if comms else 0.0,
            host_ms=comms.settings.screening_host_ms if comms else 0.0)
        self._tasks: set[asyncio.Task[None]] = set()
        self.disclosed_at: dict[str, float] = {}  # room → when a host last disclosed
        self.by_subject: dict[str, dict[str, set[Connection]]] = defaultdict(
            lambda: defaultdict(set))
        self.locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._sequenced: set[str] = set()  # rooms whose bus sequence follows the stores
        self.translations = TranslationLog(stores)

    def _apply(self, room: str, ev: dict[str, Any]) -> None:
        state = self.states.get(room)
        if state is not None:
            state.apply(ev)
        data = ev.get("data", {})
        if ev["type"] == "moderation" and data.get("action") == "ban":
            for conn in list(self.by_subject[room].get(data.get("subject", ""), ())):
                conn.closed = 4403
                conn.on_close(4403)

    async def state_for(self, room: Room) -> RoomState:
        state = self.states.get(room.id)
        if state is None:
            await self._continue_sequence(room.id)
            async with unit_of_work(self.stores) as uow:
                state = await service.load_state(uow, room)
            # Pins, poll and modes come from the room row; recent chat and open questions
            # from the bus log. Then the state stands at the bus's current sequence number.
            current = await self.bus.current_seq(room.id)
            for ev in await self.bus.recent(room.id, 200):
                if ev["type"] in ("chat", "question", "chat.deleted", "chat.flagged",
                                  "question.answered"):
                    state.apply(ev)
            state.seq = current
            self.states[room.id] = state
            if self.comms is not None and self.comms.settings.screening:
                task = asyncio.create_task(self.comms.warm_room(list(room.markets)))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return state

    def register(self, room: str, subject: str, conn: Connection) -> None:
        self.by_subject[room][subject].add(conn)

    def unregister(self, room: str, subject: str, conn: Connection) -> None:
        self.by_subject[room][subject].discard(conn)
        if not self.by_subject[room][subject]:
            del self.by_subject[room][subject]
        if room not in self.hub.rooms:
            self.states.pop(room, None)
            self.by_subject.pop(room, None)

    async def _continue_sequence(self, room: str) -> None:
        """Once per room per node: the bus's sequence continues from the highest stored
        event. Without it a fresh in-memory bus (or a Redis that lost its keys) starts at 1
        and every new event collides with a stored one."""
        if room in self._sequenced:
            return
        async with unit_of_work(self.stores) as uow:
            top = await service.last_seq(uow, room)
        await self.bus.ensure_seq_at_least(room, top)
        self._sequenced.add(room)

    async def publish(self, room: str, type_: str, data: dict[str, Any]) -> dict[str, Any]:
        """Publish a sequenced event, then record the room's new state and the event.

        State and event are written in separate transactions, state first: the room row is
        what a node's hello is built from after a restart, so an event row that cannot be
        written (a duplicate, a store down) must never take the pin or poll down with it."""
        await self._continue_sequence(room)
        ev = await self.bus.publish(room, type_, data)
        if type_ in STATEFUL and room in self.states:
            after = copy.deepcopy(self.states[room])
            after.apply(ev)
            try:
                async with unit_of_work(self.stores) as uow:
                    await service.save_state(uow, room, after)
            except Exception:  # delivery already happened; keep serving, make it visible
                log.exception("could not save the state of room %s after #%s", room,
                              ev["seq"])
        if type_ == "chat.translation":
            if data.get("region"):
                self.translations.add(data["region"], room, data["seq"], data["lang"],
                                      data["text"])
            return ev
        try:
            async with unit_of_work(self.stores) as uow:
                await service.record_event(uow, room, ev)
        except Exception:
            log.exception("could not record %s #%s in room %s", type_, ev["seq"], room)
        return ev

    async def change_status(self, uow: UnitOfWork, actor: Actor, room_id: str,
                            status: str) -> Room:
        """Open or end a room: commit the change, then tell everyone in it."""
        room = await service.set_status(uow, actor, room_id, status)
        if status == "ended":  # the audience the live counters measured, kept with the room
            try:
                counters = await self.bus.get_counters(audience_key(room.id))
            except Exception:  # the bus is down: the room still ends, its audience unknown
                log.warning("audience counters of room %s unreadable", room.id, exc_info=True)
                counters = {}
            room.peak_viewers = counters.get("peak_viewers")  # None: not measured
            room.watch_seconds = counters.get("watch_s")
        await uow.commit()
        await self.publish(room.id, "room.status", {"status": status})
        return room

    async def settle(self, room: str, seq: int, timeout: float = 1.0) -> None:
        """Wait until this node's state of ``room`` includes event ``seq``, so a host's next
        action is checked against the state their last one produced."""
        state = self.states.get(room)
        deadline = asyncio.get_running_loop().time() + timeout
        while state is not None and state.seq < seq:
            if asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(0.005)

    def target_languages(self, room: Room, source: str) -> list[str]:
        """The languages of the room's markets and of the viewers on this node, except the
        line's own: a line is translated once per language, never per viewer."""
        langs: list[str] = []
        for m in room.markets:
            profile = get_profile(m)
            if profile is not None:
                langs += [t.split("-")[0] for t in profile.languages]
        channel = self.hub.rooms.get(room.id)
        if channel is not None:
            langs += [lang.split("-")[0] for lang in channel.by_lang]
        return [x for x in dict.fromkeys(langs) if x and x != source]

    def translate_later(self, room: Room, ev: dict[str, Any]) -> None:
        if self.comms is None or not self.comms.settings.translate_chat:
            return
        task = asyncio.create_task(self._translate(room, ev))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _translate(self, room: Room, ev: dict[str, Any]) -> None:
        assert self.comms is not None
        data = ev["data"]
        source = data.get("lang") or "en"
        org = self.comms.cached_org(room.org_id)
        if org is None:
            try:
                async with unit_of_work(self.stores) as uow:
                    org = await self.comms.org_data(uow.global_, room.org_id)
            except Exception:
                log.exception("could not load the glossary of org %s", room.org_id)
                return
        side = "host" if data.get("role") == "host" else "viewer"
        for target in self.target_languages(room, source):
            try:
                tr = await self.comms.chain.translate(data["text"], source, target,
                                                      org.glossary, org.memory)
            except TranslationUnavailable as exc:
                log.debug("no translation %s→%s: %s", source, target, exc)
                continue
            except Exception:
                log.exception("translation %s→%s failed", source, target)
                continue
            # The translation is screened for each market that reads this language: a
            # rewrite by a machine must not say what the original was stopped from saying.
            readers = [m for m in room.markets if (p := get_profile(m)) is not None
                       and any(t.split("-")[0] == target for t in p.languages)]
            if any(self.comms.screener.screen(tr.text, target, m, side).action == "block"
                   for m in readers):
                log.info("translation of #%s into %s withheld by screening", ev["seq"], target)
                continue
            await self.publish(room.id, "chat.translation", {
                "seq": ev["seq"], "lang": target, "text": tr.text, "machine": tr.machine,
                "provider": tr.provider, "region": data.get("region", ""),
                "kind": ev["type"]})

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.pipeline.close()
        await self.translations.close()
        await self.hub.close()
        await self.bus.close()
