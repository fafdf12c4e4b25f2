"""Access and portability: one person's data from every store, as JSON and CSV in a ZIP,
found through the data map; nobody else's rows; credentials withheld; unknown people are a
clear error; each export is in the audit log."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest

from chuhai.core.clock import utcnow
from chuhai.core.errors import NotFound
from chuhai.core.ids import new_id
from chuhai.live.models import Follow, RoomMessage
from chuhai.privacy import audit
from chuhai.privacy.export import WITHHELD, export_subject
from tests.factories import make_buyer


async def _chat(stores, region: str, author: str, text: str) -> None:
    async with stores.session(region) as s:
        s.add(RoomMessage(id=new_id("msg"), region=region, room_id="room_x", seq=1,
                          kind="chat", author_id=author, author_name="Lena", text=text,
                          lang="de", created_at=utcnow() - timedelta(days=1)))
        await s.commit()


async def test_an_export_holds_the_persons_rows_from_every_store_and_nobody_elses(
        stores, settings):
    lena = await make_buyer(stores, settings, "DE")
    jo = await make_buyer(stores, settings, "US")
    me, other = lena.actor.subject_id, jo.actor.subject_id
    await _chat(stores, "eu", me, "Hat die Jacke auch Größe L?")
    await _chat(stores, "us", other, "does it come in blue?")
    async with stores.session("eu") as s:
        s.add(Follow(id=new_id("flw"), region="eu", customer_id=me, org_id="org_x"))
        await s.commit()
    result = await export_subject(stores, me)
    zf = zipfile.ZipFile(io.BytesIO(result.data))
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["subject"] == me
    assert set(manifest["stores_searched"]) >= {"global", "eu", "us"}
    assert {"global/subjects", "eu/customers", "eu/room_messages", "eu/follows"} <= set(
        manifest["tables"])
    assert not any(k.startswith("us/") for k in manifest["tables"])  # her data stays in eu
    chat = json.loads(zf.read("data/eu/room_messages.json"))
    assert [m["text"] for m in chat] == ["Hat die Jacke auch Größe L?"]
    rows = list(csv.DictReader(io.StringIO(zf.read("data/eu/customers.csv").decode())))
    assert rows[0]["id"] == me
    assert manifest["tables"]["eu/customers"]["categories"]["email"] == "user.contact.email"
    everything = b"".join(zf.read(n) for n in zf.namelist())
    assert other.encode() not in everything and b"does it come in blue" not in everything
    sessions = json.loads(zf.read("data/global/web_sessions.json"))
    assert sessions and all(s["csrf_token"] == WITHHELD and s["id_hash"] == WITHHELD
                            for s in sessions)
    async with stores.session() as s:
        entries, head = await audit.read_chain(s)
    assert entries[-1].action == "dsr.export" and entries[-1].subject == me
    assert audit.verify(entries, head).ok


async def test_an_unknown_person_is_a_clear_error(stores):
    with pytest.raises(NotFound) as exc:
        await export_subject(stores, "cus_nobody")
    assert exc.value.code == "subject_not_found"


def test_the_cli_writes_the_zip_and_refuses_unknown_people(tmp_path, monkeypatch):
    import asyncio

    from typer.testing import CliRunner

    from chuhai.cli import app
    from chuhai.core.config import Settings
    from chuhai.core.db import Stores
    from chuhai.core.migrate import upgrade_all

    monkeypatch.setenv("CHUHAI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CHUHAI_SECRET_KEY", "cli-test-key")

    async def prepare() -> str:
        stores = Stores(Settings())
        await upgrade_all(stores)
        buyer = await make_buyer(stores, Settings(), "JP")
        await stores.dispose()
        return buyer.actor.subject_id

    subject = asyncio.run(prepare())
    runner = CliRunner()
    out = tmp_path / "export.zip"
    r = runner.invoke(app, ["privacy", "export", subject, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "apac/customers" in r.stdout and out.exists()
    assert "manifest.json" in zipfile.ZipFile(out).namelist()
    bad = runner.invoke(app, ["privacy", "export", "cus_nobody", "--out", str(out)])
    assert bad.exit_code == 1 and "subject_not_found" in bad.output
