"""`chuhai privacy requests`: the request queue for the privacy officer's terminal and cron.

``--alert`` prints only overdue and due-soon requests and exits 1 when one is overdue (0
otherwise, so cron stays quiet while everything is on time); ``--json`` prints the queue as
JSON with its due dates, soonest first; ``--all`` adds finished requests."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.core.actor import Actor
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork
from chuhai.core.migrate import upgrade_all
from chuhai.privacy import requests
from tests.factories import make_buyer

Seed = Callable[..., str]


@pytest.fixture
def seed(tmp_path, monkeypatch) -> Seed:
    """A fresh, migrated database for the CLI; ``seed(...)`` files one request in it:
    received ``days_ago`` days ago (a GDPR request 60 days old is overdue), its deadline
    optionally moved to ``due_in`` from now, optionally rejected. Returns its id."""
    monkeypatch.setenv("CHUHAI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CHUHAI_SECRET_KEY", "cli-test-key")

    async def migrate() -> None:
        stores = Stores(Settings())
        try:
            await upgrade_all(stores)
        finally:
            await stores.dispose()

    asyncio.run(migrate())

    async def one(days_ago: float, due_in: dt.timedelta | None, rejected: bool) -> str:
        stores = Stores(Settings())
        try:
            buyer = await make_buyer(stores, Settings(), "DE")
            uow = UnitOfWork(stores)
            try:
                req = await requests.open_request(
                    uow, subject_id=buyer.actor.subject_id, kind="access", channel="staff",
                    created_by="system", verification="signed letter",
                    now=utcnow() - dt.timedelta(days=days_ago))
                if due_in is not None:
                    req.due_at = utcnow() + due_in
                if rejected:
                    await requests.reject(uow, req.id, Actor.system(), "not the person")
                await uow.commit()
                return req.id
            finally:
                await uow.close()
        finally:
            await stores.dispose()

    def make(days_ago: float = 0, due_in: dt.timedelta | None = None,
             rejected: bool = False) -> str:
        return asyncio.run(one(days_ago, due_in, rejected))

    return make


def run(*args: str):
    return CliRunner().invoke(app, ["privacy", "requests", *args])


def test_alert_exits_1_and_names_an_overdue_request(seed: Seed):
    late = seed(days_ago=60)
    calm = seed()
    result = run("--alert")
    assert result.exit_code == 1, result.output
    assert late in result.output and "overdue" in result.output
    assert calm not in result.output  # on track: not an alert


def test_alert_exits_0_when_nothing_is_overdue(seed: Seed):
    assert run("--alert").exit_code == 0  # an empty queue
    calm = seed()
    soon = seed(due_in=dt.timedelta(days=1))
    result = run("--alert")
    assert result.exit_code == 0, result.output
    assert soon in result.output and "due_soon" in result.output
    assert calm not in result.output


def test_without_alert_the_queue_lists_everything_open_and_exits_0(seed: Seed):
    late, calm = seed(days_ago=60), seed()
    result = run()
    assert result.exit_code == 0, result.output
    assert late in result.output and calm in result.output


def test_an_empty_queue_says_so(seed: Seed):
    result = run()
    assert result.exit_code == 0 and "no requests in the queue" in result.output
    assert "no requests need attention" in run("--alert").output


def test_json_prints_the_queue_with_due_dates_soonest_first(seed: Seed):
    calm = seed()
    late = seed(days_ago=60)
    soon = seed(due_in=dt.timedelta(days=2))
    result = run("--json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert [i["id"] for i in items] == [late, soon, calm]
    dues = [dt.datetime.fromisoformat(i["due_at"]) for i in items]
    assert dues == sorted(dues) and dues[0] < utcnow() < dues[1]
    assert [i["state"] for i in items] == ["overdue", "due_soon", "on_track"]
    assert {i["regime"] for i in items} == {"GDPR"}
    alerting = run("--json", "--alert")
    assert alerting.exit_code == 1
    assert [i["id"] for i in json.loads(alerting.stdout)] == [late, soon]


def test_finished_requests_are_listed_only_with_all(seed: Seed):
    closed = seed(rejected=True)
    assert json.loads(run("--json").stdout) == []
    listed = json.loads(run("--json", "--all").stdout)
    assert [(i["id"], i["status"], i["state"]) for i in listed] == [
        (closed, "rejected", "done")]
