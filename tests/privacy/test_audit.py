"""The audit log is a hash chain: an edited, removed, reordered or truncated entry is
detected; concurrent appenders never fork or skip numbers; staff reads of buyers' orders
are recorded; `chuhai audit verify` exits 1 on a broken log."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, select, update

from chuhai.core.db import Stores
from chuhai.privacy import audit
from chuhai.privacy.models import AuditEntry, AuditHead


async def _fresh(stores: Stores) -> None:
    async with stores.session() as s:
        await s.execute(delete(AuditEntry))
        await s.execute(update(AuditHead).values(seq=0, hash=audit.GENESIS))
        await s.commit()


async def _write(stores: Stores, n: int) -> None:
    for i in range(n):
        async with stores.session() as s:
            await audit.append(s, actor=f"stf_{i}", org_id="org_1", action="pd.read",
                               subject=f"cus_{i}", region="eu", details={"what": "order"})
            await s.commit()


async def _check(stores: Stores, expect: tuple[int, str] | None = None) -> audit.Verification:
    async with stores.session() as s:
        entries, head = await audit.read_chain(s)
    return audit.verify(entries, head, expect)


@pytest.fixture
async def log(stores: Stores) -> Stores:
    await _fresh(stores)
    await _write(stores, 5)
    return stores


async def test_an_untouched_log_verifies(log):
    result = await _check(log)
    assert result.ok and result.checked == 5 and result.head_seq == 5


async def test_an_edited_entry_is_detected(log):
    async with log.session() as s:
        await s.execute(update(AuditEntry).where(AuditEntry.seq == 3)
                        .values(subject="cus_someone_else"))
        await s.commit()
    result = await _check(log)
    assert not result.ok and result.at_seq == 3 and "changed" in (result.problem or "")


async def test_an_entry_edited_with_a_recomputed_hash_breaks_the_next_link(log):
    async with log.session() as s:
        e = await s.scalar(select(AuditEntry).where(AuditEntry.seq == 2))
        assert e is not None
        e.subject = "cus_forged"
        e.hash = audit.entry_hash(e.seq, e.at, e.actor, e.org_id, e.action, e.subject,
                                  e.region, e.details, e.prev_hash)
        await s.commit()
    result = await _check(log)
    assert not result.ok and result.at_seq == 3 and "link" in (result.problem or "")


async def test_a_removed_entry_is_detected(log):
    async with log.session() as s:
        await s.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
        await s.commit()
    result = await _check(log)
    assert not result.ok and "missing" in (result.problem or "")


async def test_reordered_entries_are_detected(log):
    async with log.session() as s:  # swap the contents of entries 2 and 4
        rows = {e.seq: e for e in (await s.scalars(select(AuditEntry))).all()}
        a, b = rows[2], rows[4]
        fields = ("at", "actor", "subject", "details", "prev_hash", "hash")
        saved = {f: getattr(a, f) for f in fields}
        for f in fields:
            setattr(a, f, getattr(b, f))
            setattr(b, f, saved[f])
        await s.commit()
    assert not (await _check(log)).ok


async def test_a_truncated_tail_is_detected_by_the_head_and_by_a_published_head(log):
    before = await _check(log)
    published = (before.head_seq, before.head_hash)
    async with log.session() as s:
        await s.execute(delete(AuditEntry).where(AuditEntry.seq == 5))
        await s.commit()
    result = await _check(log)
    assert not result.ok and "removed from the end" in (result.problem or "")
    async with log.session() as s:  # an attacker fixes the head row too …
        e4 = await s.scalar(select(AuditEntry).where(AuditEntry.seq == 4))
        assert e4 is not None
        await s.execute(update(AuditHead).values(seq=4, hash=e4.hash))
        await s.commit()
    assert (await _check(log)).ok
    result = await _check(log, expect=published)  # … but not the head published elsewhere
    assert not result.ok and "published" in (result.problem or "")


async def test_concurrent_appenders_number_without_gaps_or_forks(settings):
    """Twenty appends at once, each in its own connection (no test binding): the head
    row's lock serializes them on SQLite and PostgreSQL alike."""
    real = Stores(settings)
    try:
        await _fresh(real)

        async def one(i: int) -> None:
            async with real.session() as s:
                await audit.append(s, actor=f"stf_{i}", action="pd.list", details={"i": i})
                await s.commit()

        await asyncio.gather(*(one(i) for i in range(20)))
        result = await _check(real)
        assert result.ok and result.checked == 20
    finally:
        await _fresh(real)
        await real.dispose()


async def test_unknown_actions_are_refused(stores):
    async with stores.session() as s:
        with pytest.raises(ValueError, match="unknown audit action"):
            await audit.append(s, actor="stf_1", action="pd.steal")


async def test_staff_reading_buyers_orders_is_recorded(stores, settings, app_client):
    from tests.checkout.test_flow_api import ADDRESS, key, live_drop, reserve
    from tests.factories import make_buyer, make_shop

    await _fresh(stores)
    shop = await make_shop(stores, settings, app_client)
    buyer = await make_buyer(stores, settings, "US")
    drop = await live_drop(app_client, shop)
    res = (await reserve(app_client, buyer, drop)).json()
    order = (await app_client.post("/api/checkout", headers=buyer.headers, json={
        "reservation_id": res["id"], "ship_to": ADDRESS, "idempotency_key": key()})).json()
    assert (await app_client.get("/api/orders", headers=shop.tenant.headers)).status_code == 200
    got = await app_client.get(f"/api/orders/{order['id']}", headers=shop.tenant.headers)
    assert got.status_code == 200
    async with stores.session() as s:
        entries, _ = await audit.read_chain(s)
    reads = [e for e in entries if e.action == "pd.read"]
    assert reads and reads[-1].subject == buyer.actor.subject_id
    assert reads[-1].actor == shop.tenant.actor.subject_id and reads[-1].region == "us"
    assert reads[-1].details == {"what": "order", "order": order["id"]}
    assert (await _check(stores)).ok


def test_the_cli_verifies_and_prints_the_head(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from chuhai.cli import app
    from chuhai.core.config import Settings
    from chuhai.core.migrate import upgrade_all

    monkeypatch.setenv("CHUHAI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CHUHAI_SECRET_KEY", "cli-test-key")
    settings = Settings()

    async def prepare() -> None:
        stores = Stores(settings)
        await upgrade_all(stores)
        await _write(stores, 3)
        await stores.dispose()

    asyncio.run(prepare())
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact: 3 entries" in ok.stdout
    head = runner.invoke(app, ["audit", "head"]).stdout.strip()
    assert head.startswith("3:") and len(head) == 2 + 64

    async def tamper() -> None:
        stores = Stores(settings)
        async with stores.session() as s:
            await s.execute(update(AuditEntry).where(AuditEntry.seq == 2)
                            .values(actor="stf_nobody"))
            await s.commit()
        await stores.dispose()

    asyncio.run(tamper())
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN at entry 2" in broken.output
    bad = runner.invoke(app, ["audit", "verify", "--expect", "nonsense"])
    assert bad.exit_code == 1 and "SEQ:HASH" in bad.output
