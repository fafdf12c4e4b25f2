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


async def test_erasure_scrubs_the_persons_lines_in_the_redis_resume_log():
    import orjson

    from chuhai.privacy.erasure import _scrub_redis

    class FakeRedis:
        def __init__(self) -> None:
            self.lists = {"chuhai:room:r1:log": [
                orjson.dumps({"seq": 1, "type": "chat", "data": {"author_id": "cus_me",
                              "author": "Lena", "text": "hi"}}),
                orjson.dumps({"seq": 2, "type": "chat", "data": {"author_id": "cus_jo",
                              "author": "Jo", "text": "hey"}}),
                orjson.dumps({"seq": 3, "type": "chat.translation",
                              "data": {"seq": 1, "lang": "en", "text": "hi"}})]}

        async def scan_iter(self, match: str, count: int):
            for k in self.lists:
                yield k

        async def lrange(self, k, a, b):
            return list(self.lists[k])

        async def lset(self, k, i, v):
            self.lists[k][i] = v

    fake = FakeRedis()
    assert await _scrub_redis(fake, "cus_me", "erased_x") == 2
    events = [orjson.loads(x) for x in fake.lists["chuhai:room:r1:log"]]
    assert events[0]["data"]["author"] == "deleted user"
    assert events[0]["data"]["author_id"] == "erased_x"
    assert events[1]["data"]["author"] == "Jo"
    assert events[2]["data"]["text"] == "[message deleted]"


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
