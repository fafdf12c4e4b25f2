"""Retention: rows past their period are deleted in every store the table lives in, rows
within it and rows that do not match the rule's conditions stay, a second sweep deletes
nothing, a dry run deletes nothing, and each run is in the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from chuhai.core.clock import utcnow
from chuhai.core.db import Stores
from chuhai.core.ids import new_id
from chuhai.live.models import RoomMessage
from chuhai.privacy import audit
from chuhai.privacy.retention import RetentionRulesError, load, parse, sweep


def _msg(region: str, days_old: int, room: str) -> RoomMessage:
    return RoomMessage(id=new_id("msg"), region=region, room_id=room, seq=days_old,
                       kind="chat", author_id="cus_x", author_name="Lena", text="hallo",
                       lang="de", created_at=utcnow() - timedelta(days=days_old))


async def _count(stores: Stores, region: str, room: str) -> int:
    async with stores.session(region) as s:
        return int(await s.scalar(select(func.count()).select_from(RoomMessage).where(
            RoomMessage.room_id == room)) or 0)


async def test_old_chat_lines_go_in_every_region_and_recent_ones_stay(stores):
    room = new_id("room")
    for region in ("eu", "us"):
        async with stores.session(region) as s:
            s.add_all([_msg(region, 120, room), _msg(region, 91, room), _msg(region, 10, room)])
            await s.commit()
    dry = await sweep(stores, dry_run=True)
    assert sum(r["would_delete"] for r in dry if r["rule"] == "retention.chat_lines") >= 4
    assert await _count(stores, "eu", room) == 3  # a dry run deletes nothing
    report = await sweep(stores)
    chat = {r["store"]: r["deleted"] for r in report if r["rule"] == "retention.chat_lines"}
    assert chat["eu"] >= 2 and chat["us"] >= 2
    assert await _count(stores, "eu", room) == 1 and await _count(stores, "us", room) == 1
    again = await sweep(stores)
    assert all(r.get("deleted", r.get("cleared")) == 0 for r in again)  # idempotent
    async with stores.session() as s:
        entries, head = await audit.read_chain(s)
    assert entries[-1].action == "retention.sweep"
    assert audit.verify(entries, head).ok


def test_the_shipped_rules_name_real_tables_and_columns():
    ids = {r.id: r for r in load()}
    assert ids["retention.chat_lines"].days == 90
    assert ids["retention.expired_sessions"].days == 30
    assert ids["retention.abandoned_reservations"].where == {"status": ("expired", "cancelled")}


@pytest.mark.parametrize(("text", "problem"), [
    ('[[rule]]\nid="x"\nstore="moon"\naction="delete"\ndays=3\nsource=["https://a"]',
     "store must be"),
    ('[[rule]]\nid="x"\nstore="global"\naction="shred"\ndays=3\nsource=["https://a"]',
     "action must be"),
    ('[[rule]]\nid="x"\nstore="global"\naction="delete"\ndays=0\nsource=["https://a"]',
     "days must be"),
    ('[[rule]]\nid="x"\nstore="global"\naction="clear"\ndays=3\nsource=["https://a"]',
     "names the columns"),
    ('[[rule]]\nid="x"\nstore="global"\naction="delete"\nclear=["a"]\ndays=3\n'
     'source=["https://a"]', "names the columns"),
])
def test_bad_rules_are_refused(text, problem):
    with pytest.raises(RetentionRulesError, match=problem):
        parse(text)


def test_a_rule_with_conditions_deletes_only_matching_rows():
    from chuhai.core.db import GlobalBase
    from chuhai.privacy.retention import _conditions

    rule = {r.id: r for r in load()}["retention.abandoned_reservations"]
    table = GlobalBase.metadata.tables["reservations"]
    sql = " AND ".join(str(c.compile(compile_kwargs={"literal_binds": True}))
                       for c in _conditions(table, rule, utcnow()))
    assert "reservations.settled_at <" in sql
    assert "reservations.status IN ('expired', 'cancelled')" in sql
    assert "reservations.order_id IS NULL" in sql


def test_the_cli_sweeps_and_reports(tmp_path, monkeypatch):
    import asyncio

    from typer.testing import CliRunner

    from chuhai.cli import app
    from chuhai.core.config import Settings
    from chuhai.core.migrate import upgrade_all

    monkeypatch.setenv("CHUHAI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CHUHAI_SECRET_KEY", "cli-test-key")

    async def prepare() -> None:
        stores = Stores(Settings())
        await upgrade_all(stores)
        async with stores.session("eu") as s:
            s.add(_msg("eu", 200, "room_cli"))
            await s.commit()
        await stores.dispose()

    asyncio.run(prepare())
    runner = CliRunner()
    dry = runner.invoke(app, ["privacy", "sweep", "--dry-run"])
    assert dry.exit_code == 0 and "1 rows would be deleted" in dry.stdout
    done = runner.invoke(app, ["privacy", "sweep"])
    assert done.exit_code == 0 and "1 rows deleted" in done.stdout
    again = runner.invoke(app, ["privacy", "sweep", "--json"])
    assert all(r.get("deleted", r.get("cleared")) == 0
               for r in __import__("json").loads(again.stdout))
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


async def test_access_exports_are_deleted_after_thirty_days(stores):
    import os
    from pathlib import Path

    folder = Path(stores.settings.data_dir) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    old, fresh = folder / f"{new_id('dsr')}.zip", folder / f"{new_id('dsr')}.zip"
    old.write_bytes(b"PK old")
    fresh.write_bytes(b"PK new")
    month_ago = (utcnow() - timedelta(days=31)).timestamp()
    os.utime(old, (month_ago, month_ago))
    dry = await sweep(stores, dry_run=True)
    files = next(r for r in dry if r["rule"] == "retention.access_exports")
    assert files["would_delete"] >= 1 and old.exists()
    await sweep(stores)
    assert not old.exists() and fresh.exists()


async def test_an_orders_touchpoints_are_cleared_after_13_months_and_the_order_stays(stores):
    """Browsing history that led to an order goes with the events it came from; the order,
    its amounts and its last touch stay for the tax records."""
    from chuhai.checkout.models import Order

    def order(days_old: int) -> Order:
        return Order(
            id=new_id("ord"), region="eu", org_id="org_x", buyer_id="cus_x",
            reservation_id=new_id("res"), source="cart", market="DE", currency="EUR",
            status="delivered", items=[], subtotal_minor=100, shipping_minor=0,
            total_minor=100, duties_note="", warehouse_id="wh_x", delivery_min_days=1,
            delivery_max_days=2, ship_name="Lena", ship_street="Hauptstr. 1",
            ship_city="Berlin", ship_postal_code="10115", ship_country="DE",
            idempotency_key=new_id("k"), channel="feed", touch={"channel": "feed"},
            touchpoints=[{"channel": "feed", "kind": "click", "at": "2025-01-01T00:00:00"}],
            created_at=utcnow() - timedelta(days=days_old))

    old, recent = order(400), order(30)
    async with stores.session("eu") as s:
        s.add_all([old, recent])
        await s.commit()
    report = await sweep(stores)
    row = next(r for r in report
               if r["rule"] == "retention.order_touchpoints" and r["store"] == "eu")
    assert row["cleared"] == 1 and row["columns"] == ["touchpoints"]
    async with stores.session("eu") as s:
        kept_old, kept_recent = await s.get(Order, old.id), await s.get(Order, recent.id)
    assert kept_old is not None and kept_old.touchpoints is None
    assert kept_old.channel == "feed" and kept_old.total_minor == 100
    assert kept_recent is not None and kept_recent.touchpoints
