"""Erasure: a customer with data in every personal table (profile, session, chat line,
question, follow, order with address and payment, reservation, consent decisions,
engagement events, a pending rectification request) is
erased; then every store is scanned — SQLite files byte by byte, PostgreSQL tables row by
row — for their e-mail, name and address, and none remains. Orders stay under legal hold
with their amounts; chat lines stay as "deleted user"; the audit log verifies."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from chuhai.core.db import GLOBAL, Stores
from chuhai.core.errors import NotFound
from chuhai.core.ids import new_id
from chuhai.core.migrate import target_metadata
from chuhai.core.secrets_store import signing_key
from chuhai.live.models import Follow, RoomMessage
from chuhai.privacy import audit
from chuhai.privacy.erasure import POLICIES, erase_subject, pseudonym
from tests.factories import buy_from_drop, make_buyer, make_shop, start_drop
from tests.privacy.scan import tables_holding, where_stored


def test_every_table_with_personal_data_has_an_erasure_policy():
    from chuhai.privacy.datawalk import subject_columns

    def needs_policy(kind: str, table) -> bool:
        # a person's id is a key of the table, or (regional) it holds any personal data
        personal = any(c.info.get("pd") not in (None, "system.operations")
                       for c in table.columns)
        return bool(subject_columns(table)) or (kind == "regional" and personal)

    missing = sorted({t.name for kind in (GLOBAL, "regional")
                      for t in target_metadata(kind).sorted_tables
                      if needs_policy(kind, t) and t.name not in POLICIES})
    assert missing == []


async def _seed(stores, settings, app_client):
    tag = uuid.uuid4().hex[:10]
    buyer = await make_buyer(stores, settings, "DE")
    me = buyer.actor.subject_id
    email, name = f"lena.{tag}@kaeufer.example", f"Lena Erasmus{tag}"
    street, city = f"Unter den Linden {tag}", f"Berlin{tag}"
    from chuhai.accounts.models import Customer

    async with stores.session("eu") as s:
        c = await s.scalar(select(Customer).where(Customer.id == me))
        assert c is not None
        c.email, c.display_name = email, name
        s.add_all([
            RoomMessage(id=new_id("msg"), region="eu", room_id="room_e", seq=1, kind="chat",
                        author_id=me, author_name=name, text=f"meine Adresse ist {street}",
                        lang="de"),
            RoomMessage(id=new_id("msg"), region="eu", room_id="room_e", seq=2,
                        kind="question", author_id=me, author_name=name,
                        text="Gibt es die Jacke in L?", lang="de"),
            Follow(id=new_id("flw"), region="eu", customer_id=me, org_id="org_x"),
        ])
        await s.commit()
    shop = await make_shop(stores, settings, app_client)
    drop = await start_drop(app_client, shop)
    order_id = await buy_from_drop(app_client, drop, buyer, {
        "name": name, "street": street, "city": city, "postal_code": "10117",
        "country": "DE"})
    # consent decisions, engagement events kept with that consent, a pending rectification
    consent = await app_client.post("/api/privacy/consent", headers=buyer.headers, json={
        "source": "banner", "choices": {"analytics": True, "personalization": True,
                                        "marketing": True}})
    assert consent.status_code == 200, consent.text
    events = await app_client.post("/api/events", headers=buyer.headers, json={
        "events": [{"type": "product.view", "product_id": shop.product_id}]})
    assert events.json()["mode"] == "full", events.text
    corrected = f"Lena Korrigiert{tag}"
    rect = await app_client.post("/api/privacy/requests", headers=buyer.headers, json={
        "kind": "rectification", "changes": {"display_name": corrected}})
    assert rect.status_code == 201, rect.text
    return me, order_id, [email, name, street, city, corrected]


async def _scan(stores: Stores, settings, needles: list[str]) -> list[str]:
    return [f"{store}: {n}" for store, n in await where_stored(stores, settings, needles)]


async def test_erasure_leaves_no_trace_of_the_person_in_any_store(real, settings):
    stores, app_client = real
    me, order_id, needles = await _seed(stores, settings, app_client)
    assert await _scan(stores, settings, needles)  # the scan does find them before
    result = await erase_subject(stores, me, signing_key(settings))
    stand_in = pseudonym(me, signing_key(settings))
    assert result.pseudonym == stand_in
    assert result.counts["eu/customers"] == {"deleted": 1}
    assert result.counts["global/subjects"] == {"deleted": 1}
    assert result.counts["eu/orders"] == {"scrubbed": 1}
    assert result.counts["eu/payments"]["scrubbed"] >= 1
    assert await _scan(stores, settings, needles) == []
    # the id itself stays only in the audit log, which is kept as the record of who
    # processed what; every other table forgot it (scrubbed rows read the pseudonym)
    assert await tables_holding(stores, me, skip=frozenset({"audit_log"})) == []
    assert "eu/consent_ledger" in result.counts and "eu/analytics_events" in result.counts
    assert result.counts["global/data_requests"] == {"scrubbed": 1}
    from chuhai.checkout.models import Order

    async with stores.session("eu") as s:
        order = await s.scalar(select(Order).where(Order.id == order_id))
        assert order is not None and order.buyer_id == stand_in  # legal hold
        assert order.total_minor > 0 and order.ship_name != needles[1]
        lines = (await s.scalars(select(RoomMessage).where(
            RoomMessage.room_id == "room_e"))).all()
        assert {m.author_name for m in lines} == {"deleted user"}
        assert {m.text for m in lines} == {"[message deleted]"}
    async with stores.session() as s:
        entries, head = await audit.read_chain(s)
    assert entries[-1].action == "dsr.erase" and entries[-1].subject == stand_in
    assert audit.verify(entries, head).ok
    with pytest.raises(NotFound):
        await erase_subject(stores, me, signing_key(settings))  # nobody left to erase


def _resume_logs(prefix: str) -> dict[str, list[bytes] | bytes]:
    """A room's resume log with the person's line, another person's line and the
    translation of the person's line; beside it keys a scan must leave alone: the room's
    sequence counter (not a list), and another deployment's log (another prefix)."""
    import orjson

    def ev(seq: int, type_: str, data: dict[str, object]) -> bytes:
        return orjson.dumps({"seq": seq, "type": type_, "data": data})

    mine = ev(1, "chat", {"author_id": "cus_me", "author": "Lena", "text": "hi"})
    return {
        f"{prefix}room:r1:log": [
            mine,
            ev(2, "chat", {"author_id": "cus_jo", "author": "Jo", "text": "hey"}),
            ev(3, "chat.translation", {"seq": 1, "lang": "en", "text": "hi"})],
        f"{prefix}room:r1:seq": b"3",
        f"other{prefix}room:r1:log": [mine],
    }


class FakeRedis:
    """Lists and strings, with ``scan_iter`` honouring ``match`` as Redis's glob does (and
    refusing a list command on a string, as Redis answers WRONGTYPE)."""

    def __init__(self, data: dict[str, list[bytes] | bytes]) -> None:
        self.data = {k: list(v) if isinstance(v, list) else v for k, v in data.items()}

    async def scan_iter(self, match: str | None = None, count: int | None = None):
        import fnmatch

        for key in list(self.data):
            if match is None or fnmatch.fnmatchcase(key, match):
                yield key.encode()

    def _list(self, key: bytes | str) -> list[bytes]:
        value = self.data[key.decode() if isinstance(key, bytes) else key]
        if not isinstance(value, list):
            raise TypeError("WRONGTYPE Operation against a key holding the wrong kind of value")
        return value

    async def lrange(self, key, start: int, end: int) -> list[bytes]:
        assert (start, end) == (0, -1)
        return list(self._list(key))

    async def lset(self, key, index: int, value: bytes) -> None:
        self._list(key)[index] = value

    async def dump(self, key: str) -> list[bytes] | bytes:
        return self.data[key]


async def _real_redis(prefix: str, data: dict[str, list[bytes] | bytes]):
    from chuhai.core.redis_client import connect
    from tests.conftest import redis_url_or_skip

    redis = connect(redis_url_or_skip())
    for key, value in data.items():
        if isinstance(value, list):
            await redis.rpush(key, *value)
        else:
            await redis.set(key, value)
    return redis


@pytest.mark.parametrize("kind", ["fake", pytest.param("redis", marks=pytest.mark.redis)])
async def test_erasure_scrubs_the_persons_lines_in_the_redis_resume_log(kind: str) -> None:
    import orjson

    from chuhai.privacy.erasure import _scrub_redis

    prefix = f"t{uuid.uuid4().hex[:8]}:"
    data = _resume_logs(prefix)
    redis = FakeRedis(data) if kind == "fake" else await _real_redis(prefix, data)
    try:
        assert await _scrub_redis(redis, "cus_me", "erased_x", prefix=prefix) == 2
        if isinstance(redis, FakeRedis):
            after = {k: await redis.dump(k) for k in data}
        else:
            after = {k: await (redis.lrange(k, 0, -1) if isinstance(v, list) else redis.get(k))
                     for k, v in data.items()}
    finally:
        if not isinstance(redis, FakeRedis):
            await redis.delete(*data)
            await redis.aclose()
    events = [orjson.loads(x) for x in after[f"{prefix}room:r1:log"]]
    assert events[0]["data"] == {"author_id": "erased_x", "author": "deleted user",
                                 "text": "[message deleted]", "translations": {}}
    assert events[1]["data"] == {"author_id": "cus_jo", "author": "Jo", "text": "hey"}
    assert events[2]["data"]["text"] == "[message deleted]"
    assert after[f"{prefix}room:r1:seq"] == b"3"
    assert after[f"other{prefix}room:r1:log"] == data[f"other{prefix}room:r1:log"]


def test_the_cli_erases_and_refuses_unknown_people(tmp_path, monkeypatch):
    import asyncio

    from typer.testing import CliRunner

    from chuhai.cli import app
    from chuhai.core.config import Settings
    from chuhai.core.migrate import upgrade_all

    monkeypatch.setenv("CHUHAI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CHUHAI_SECRET_KEY", "cli-test-key")

    async def prepare() -> str:
        stores = Stores(Settings())
        await upgrade_all(stores)
        buyer = await make_buyer(stores, Settings(), "BR")
        await stores.dispose()
        return buyer.actor.subject_id

    subject = asyncio.run(prepare())
    runner = CliRunner()
    no = runner.invoke(app, ["privacy", "erase", subject], input="n\n")
    assert no.exit_code == 1
    done = runner.invoke(app, ["privacy", "erase", subject, "--yes"])
    assert done.exit_code == 0, done.output
    assert "global/subjects" in done.stdout and "erased_" in done.stdout
    again = runner.invoke(app, ["privacy", "erase", subject, "--yes"])
    assert again.exit_code == 1 and "subject_not_found" in again.output
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
