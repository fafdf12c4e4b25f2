"""Translations join their chat lines in the author's region, gathered and written together:
one transaction per region per interval instead of a select, update and commit per
translation (which took two thirds of a node's CPU in bench/fanout.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from chuhai.core.clock import utcnow
from chuhai.core.ids import new_id
from chuhai.live import service
from chuhai.live.models import RoomMessage
from chuhai.live.translation_log import TranslationLog


async def _line(stores: Any, region: str, room: str, seq: int) -> None:
    async with stores.session(region) as s:
        s.add(RoomMessage(id=new_id("msg"), region=region, room_id=room, seq=seq, kind="chat",
                          author_id="cus_x", author_name="Lena", text=f"line {seq}",
                          lang="en", created_at=utcnow()))
        await s.commit()


async def _translations(stores: Any, region: str, room: str) -> dict[int, dict[str, str]]:
    async with stores.session(region) as s:
        rows = (await s.scalars(select(RoomMessage).where(RoomMessage.room_id == room))).all()
        return {m.seq: dict(m.translations or {}) for m in rows}


async def test_translations_of_many_lines_are_written_in_one_go_per_region(
        stores, monkeypatch):
    room = new_id("room")
    for seq in (1, 2, 3):
        await _line(stores, "eu", room, seq)
    await _line(stores, "apac", room, 4)
    writes: list[tuple[str, int]] = []
    real = service.record_translations

    async def counted(uow, region, lines):
        writes.append((region, len(lines)))
        await real(uow, region, lines)

    monkeypatch.setattr(service, "record_translations", counted)
    log = TranslationLog(stores, interval_s=0.05)
    for seq in (1, 2, 3):
        for lang in ("de", "ja", "es"):
            log.add("eu", room, seq, lang, f"{lang} {seq}")
    log.add("apac", room, 4, "ja", "ja 4")
    await asyncio.sleep(0.2)
    assert sorted(writes) == [("apac", 1), ("eu", 3)]  # 10 translations, 2 transactions
    eu = await _translations(stores, "eu", room)
    assert eu[2] == {"de": "de 2", "ja": "ja 2", "es": "es 2"}
    assert (await _translations(stores, "apac", room))[4] == {"ja": "ja 4"}


async def test_what_is_gathered_when_the_node_stops_is_still_written(stores):
    room = new_id("room")
    await _line(stores, "us", room, 7)
    log = TranslationLog(stores, interval_s=60)
    log.add("us", room, 7, "es", "hola")
    await log.close()
    assert (await _translations(stores, "us", room))[7] == {"es": "hola"}


async def test_a_later_translation_adds_to_the_earlier_ones(stores):
    room = new_id("room")
    await _line(stores, "eu", room, 1)
    log = TranslationLog(stores, interval_s=60)
    log.add("eu", room, 1, "de", "hallo")
    await log.flush()
    log.add("eu", room, 1, "fr", "salut")
    await log.close()
    assert (await _translations(stores, "eu", room))[1] == {"de": "hallo", "fr": "salut"}
