"""The command line: help everywhere, migrate, seed (idempotent), rules check, user create."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from chuhai.catalog.hs import chapter_title
from chuhai.catalog.models import Product
from chuhai.cli import app
from chuhai.core.config import Settings
from chuhai.core.db import Stores

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("CHUHAI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CHUHAI_SECRET_KEY", "cli-test-key")
    return tmp_path


@pytest.mark.parametrize("args", [[], ["serve"], ["migrate"], ["demo"], ["seed-demo"],
                                  ["rules"], ["rules", "check"], ["user"], ["user", "create"],
                                  ["stock", "check"], ["sweep"], ["search"],
                                  ["search", "reindex"], ["search", "query"],
                                  ["rules", "review"]])
def test_every_command_has_help(args):
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_rules_check_passes_on_the_shipped_rules(env):
    result = runner.invoke(app, ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert "markets: 23 profiles" in result.output and "rules OK" in result.output


def _count_products() -> tuple[int, set[str]]:
    async def run() -> tuple[int, set[str]]:
        stores = Stores(Settings())
        try:
            async with stores.session() as s:
                n = await s.scalar(select(func.count()).select_from(Product))
                hs = set((await s.scalars(select(Product.hs_code))).all())
            return int(n or 0), hs
        finally:
            await stores.dispose()

    return asyncio.run(run())


def test_migrate_then_seed_demo_twice_is_idempotent(env):
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    first = runner.invoke(app, ["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "owner@sonicwave.example" in first.output
    count, hs_codes = _count_products()
    assert count >= 12 and len({chapter_title(h) for h in hs_codes}) >= 6
    assert "cut from an ended live room's replay" in first.output
    clips = _replay_clips()
    assert len(clips) == 1 and clips[0][1] == "ready" and 9.5 <= clips[0][2] <= 10.5
    # simulated history: attributed orders and a running interest holdout with its lift
    assert "simulated orders" in first.output and "running interest holdout" in first.output
    listed = runner.invoke(app, ["analytics", "experiment", "list"])
    exp_id = listed.output.split()[0]
    assert listed.exit_code == 0 and "running" in listed.output and exp_id.startswith("exp_")
    lift = runner.invoke(app, ["analytics", "lift", "--experiment", exp_id, "--json"])
    assert lift.exit_code == 0, lift.output
    meta = json.loads(lift.output)
    groups = meta["report"]["groups"]
    assert meta["currency"] == "CNY" and sum(meta["assigned"].values()) >= 900
    assert groups["exposed"]["conversion_rate"] > groups["holdout"]["conversion_rate"]
    text = runner.invoke(app, ["analytics", "lift", "--experiment", exp_id])
    assert text.exit_code == 0 and "delta method" in text.output
    assert runner.invoke(app, ["analytics", "lift"]).exit_code == 1  # name one of the two
    # the history is rolled up: the seller's funnel reads it
    funnel = runner.invoke(app, ["analytics", "funnel", "--org", "sonicwave", "--json"])
    assert funnel.exit_code == 0, funnel.output
    steps = {s["step"]: s["count"] for s in json.loads(funnel.output)["steps"]}
    assert steps["paid"] >= 300 and steps["checkouts"] >= steps["paid"]
    shown = runner.invoke(app, ["analytics", "funnel", "--org", "sonicwave", "--market", "DE"])
    assert shown.exit_code == 0 and "paid" in shown.output and "AOV" in shown.output
    assert runner.invoke(app, ["analytics", "rollup", "--json"]).exit_code == 0
    bad = runner.invoke(app, ["analytics", "funnel", "--org", "sonicwave", "--room", "x",
                              "--video", "y"])
    assert bad.exit_code == 1 and "bad_scope" in bad.output
    # a finished stream: its funnel, GMV and audience; the seller's trust figures
    room = re.search(r"finished 90-minute launch stream \((room_\w+)\)", first.output)
    assert room, first.output
    stream = json.loads(runner.invoke(app, ["analytics", "funnel", "--org", "sonicwave",
                                            "--room", room[1], "--json"]).output)
    steps = {s["step"]: s["count"] for s in stream["steps"]}
    assert steps["views"] > 2000 and steps["clicks"] > 0 and steps["cart_adds"] >= \
        steps["paid"] >= 40
    assert stream["room"]["peak_viewers"] > 1000 and stream["room"]["watch_seconds"] > 0
    trust_out = runner.invoke(app, ["analytics", "trust", "--org", "sonicwave", "--json"])
    assert trust_out.exit_code == 0, trust_out.output
    figures = json.loads(trust_out.output)["windows"]["90"]
    for name in ("answer_rate", "answer_time", "on_time", "return_rate", "repeat_rate",
                 "landed_held"):
        assert figures[name]["shown"], (name, figures[name])
    assert 0.8 < figures["on_time"]["value"] < 1 and 0.8 < figures["landed_held"]["value"] < 1
    table = runner.invoke(app, ["analytics", "trust", "--org", "sonicwave"])
    assert table.exit_code == 0 and "on_time" in table.output
    second = runner.invoke(app, ["seed-demo"])
    assert second.exit_code == 0, second.output
    assert _count_products()[0] == count
    assert _replay_clips() == clips
    again = runner.invoke(app, ["analytics", "lift", "--experiment", exp_id, "--json"])
    assert json.loads(again.output)["assigned"] == meta["assigned"]  # seeded once


def _replay_clips() -> list[tuple[str, str, float, str]]:
    """The demo's videos cut from a replay: id, status, length, the product tagged."""
    from chuhai.video.models import Video, VideoTag

    async def run() -> list[tuple[str, str, float, str]]:
        stores = Stores(Settings())
        try:
            async with stores.session() as s:
                rows = (await s.execute(
                    select(Video.id, Video.status, Video.duration_s, Product.code)
                    .join(VideoTag, VideoTag.video_id == Video.id)
                    .join(Product, Product.id == VideoTag.product_id)
                    .where(Product.code == "SW-BUDS2"))).all()
            return [tuple(r) for r in rows]  # type: ignore[misc]
        finally:
            await stores.dispose()

    return asyncio.run(run())


def test_migrate_creates_the_platform_org_whose_staff_run_the_privacy_office(env, monkeypatch):
    from chuhai.accounts.models import Org
    from chuhai.core.actor import PLATFORM_ORG_ID

    migrated = runner.invoke(app, ["migrate"])
    assert migrated.exit_code == 0 and "platform org: platform" in migrated.output
    made = runner.invoke(app, ["user", "create", "--org", "platform", "--email",
                               "dpo@platform.example", "--role", "privacy_officer",
                               "--password", "a-long-password"])
    assert made.exit_code == 0, made.output
    seed = runner.invoke(app, ["seed-demo"])
    assert "privacy@platform.example" in seed.output  # the demo's platform officer

    async def orgs() -> dict[str, str]:
        stores = Stores(Settings())
        try:
            async with stores.session() as s:
                return {o.slug: o.id for o in (await s.scalars(select(Org))).all()}
        finally:
            await stores.dispose()

    assert asyncio.run(orgs())["platform"] == PLATFORM_ORG_ID
    # A renamed platform keeps its id; a seller may not take the platform's slug.
    monkeypatch.setenv("CHUHAI_PLATFORM_ORG", "marketplace")
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert asyncio.run(orgs())["marketplace"] == PLATFORM_ORG_ID
    clash = runner.invoke(app, ["user", "create", "--org", "sonicwave", "--email",
                                "x@sonicwave.example", "--role", "host", "--password",
                                "a-long-password"])
    assert clash.exit_code == 0  # a seller's own org is fine
    monkeypatch.setenv("CHUHAI_PLATFORM_ORG", "sonicwave")
    taken = runner.invoke(app, ["migrate"])
    assert taken.exit_code != 0 and "already uses the slug" in taken.output


def test_user_create_makes_an_org_and_refuses_bad_input(env):
    runner.invoke(app, ["migrate"])
    ok = runner.invoke(app, ["user", "create", "--org", "acme", "--email", "boss@acme.example",
                             "--role", "owner", "--password", "a-long-password"])
    assert ok.exit_code == 0, ok.output and "created owner" in ok.output
    dup = runner.invoke(app, ["user", "create", "--org", "acme", "--email",
                              "boss@acme.example", "--role", "host", "--password",
                              "a-long-password"])
    assert dup.exit_code == 1 and "already exists" in dup.output
    bad_role = runner.invoke(app, ["user", "create", "--org", "acme", "--email",
                                   "x@acme.example", "--role", "king", "--password",
                                   "a-long-password"])
    assert bad_role.exit_code == 1 and "unknown role" in bad_role.output
    short = runner.invoke(app, ["user", "create", "--org", "acme", "--email", "y@acme.example",
                                "--role", "host", "--password", "short"])
    assert short.exit_code == 1


def test_user_create_refuses_a_bad_email_and_slug(env):
    runner.invoke(app, ["migrate"])
    bad = runner.invoke(app, ["user", "create", "--org", "acme", "--email", "notanemail",
                              "--role", "owner", "--password", "a-long-password"])
    assert bad.exit_code == 1 and "not an e-mail" in bad.output
    slug = runner.invoke(app, ["user", "create", "--org", "Bad Slug <x>", "--email",
                               "a@acme.example", "--role", "owner", "--password",
                               "a-long-password"])
    assert slug.exit_code == 1 and "slug" in slug.output


def test_the_app_refuses_to_start_when_a_markets_region_is_not_configured(tmp_path):
    from chuhai.app import create_app
    from chuhai.markets.profiles import MarketRulesError

    with pytest.raises(MarketRulesError, match="not configured"):
        create_app(Settings(data_dir=tmp_path, regions=("eu", "us")))


def test_stock_check_and_sweep_on_a_fresh_install(env):
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["seed-demo"]).exit_code == 0
    result = runner.invoke(app, ["stock", "check"])
    assert result.exit_code == 0, result.output
    assert "stock OK" in result.output
    result = runner.invoke(app, ["sweep"])
    assert result.exit_code == 0 and "expired" in result.output

    async def corrupt() -> None:
        from sqlalchemy import update

        from chuhai.inventory.models import StockLevel

        stores = Stores(Settings())
        async with stores.session() as s:
            await s.execute(update(StockLevel).values(on_hand=StockLevel.on_hand + 1))
            await s.commit()
        await stores.dispose()

    asyncio.run(corrupt())
    result = runner.invoke(app, ["stock", "check"])
    assert result.exit_code == 1 and "disagree with the ledger" in result.output
