"""Work that grows with its input runs in the bounded worker pool, never on the event loop:
while a big script check, screening, import or export is still running, a small request
on the same node completes.

Each big job here is held inside its worker by an event until the small request is done;
had it run on the loop, the small request could not have started before it finished.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from chuhai.catalog import importer
from chuhai.comms import api as comms_api
from chuhai.core import workers
from chuhai.privacy import export
from tests.catalog.test_spreadsheet import GOOD
from tests.factories import make_buyer, make_tenant


async def _stays_responsive(app_client, monkeypatch: pytest.MonkeyPatch, module: Any,
                            name: str, big: Callable[[], Awaitable[Any]]) -> Any:
    release = threading.Event()
    where: list[bool] = []
    real = getattr(module, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        where.append(workers.in_worker())
        release.wait(5)  # on the loop this would hold every request for 5 s
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    task = asyncio.ensure_future(big())
    while not where:
        await asyncio.sleep(0.01)
    small = await app_client.get("/healthz")
    still_running = not task.done()
    release.set()
    result = await task
    assert small.status_code == 200
    assert still_running, "the small request waited for the big one"
    assert where == [True] * len(where)
    return result


@pytest.fixture
async def tenant(stores, settings):
    return await make_tenant(stores, settings)


async def test_a_script_check_runs_in_the_pool(app_client, tenant, monkeypatch):
    resp = await _stays_responsive(
        app_client, monkeypatch, comms_api, "check_script",
        lambda: app_client.post("/api/screen/script", headers=tenant.headers, json={
            "text": "Best speaker in the world!\n" * 2000, "markets": ["DE", "JP", "US"]}))
    assert resp.status_code == 200, resp.text
    assert resp.json()["summary"]


async def test_screening_a_line_runs_in_the_pool(app_client, tenant, monkeypatch):
    screener = app_client._transport.app.state.comms.screener
    resp = await _stays_responsive(
        app_client, monkeypatch, screener, "screen",
        lambda: app_client.post("/api/screen", headers=tenant.headers, json={
            "text": "Cures tinnitus!", "markets": ["DE", "US"], "lang": "en"}))
    assert resp.status_code == 200, resp.text


async def test_a_csv_import_parses_in_the_pool(app_client, tenant, monkeypatch):
    resp = await _stays_responsive(
        app_client, monkeypatch, importer, "parse_catalog_csv",
        lambda: app_client.post("/api/products/import?dry_run=true", headers=tenant.headers,
                                files={"file": ("c.csv", GOOD.encode(), "text/csv")}))
    assert resp.status_code == 200, resp.text
    assert resp.json()["dry_run"] is True


async def test_an_export_is_packaged_in_the_pool(app_client, stores, settings, monkeypatch):
    buyer = await make_buyer(stores, settings, "DE")
    result = await _stays_responsive(
        app_client, monkeypatch, export, "_package",
        lambda: export.export_subject(stores, buyer.actor.subject_id))
    assert result.data[:2] == b"PK"


async def test_the_pool_is_bounded_and_sized_by_settings():
    workers.configure(3)
    assert workers.size() == 3
    running = 0
    peak = 0
    lock = threading.Lock()

    def job() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        threading.Event().wait(0.05)
        with lock:
            running -= 1

    await asyncio.gather(*(workers.offload(job) for _ in range(12)))
    assert peak == 3
    workers.configure(None)
    assert workers.size() == workers.default_size()
