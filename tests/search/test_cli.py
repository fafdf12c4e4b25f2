"""`chuhai search reindex` and `chuhai search query` on the demo: the index built once, the
second run finds nothing stale, ``--all`` rebuilds, a query ranks as the API does."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from chuhai.cli import app

runner = CliRunner()


@pytest.fixture
def demo(tmp_path, monkeypatch):
    monkeypatch.setenv("CHUHAI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CHUHAI_SECRET_KEY", "cli-test-key")
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["seed-demo"]).exit_code == 0


def test_reindex_builds_once_then_only_what_changed(demo):
    first = runner.invoke(app, ["search", "reindex"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout.strip().splitlines()[-1]) == {"indexed": 65, "removed": 0}
    again = runner.invoke(app, ["search", "reindex"])
    assert json.loads(again.stdout.strip().splitlines()[-1]) == {"indexed": 0, "removed": 0}
    whole = runner.invoke(app, ["search", "reindex", "--all"])
    assert json.loads(whole.stdout.strip().splitlines()[-1]) == {"indexed": 65, "removed": 65}


def test_query_prints_the_ranked_results(demo):
    runner.invoke(app, ["search", "reindex"])
    out = runner.invoke(app, ["search", "query", "kopfhorer verstarker", "--market", "DE"])
    assert out.exit_code == 0, out.output
    first = json.loads(out.stdout.splitlines()[0])
    assert first["title"] == "SonicWave Pocket-DAC Kopfhörerverstärker"
    bad = runner.invoke(app, ["search", "query", "x", "--market", "ZZ"])
    assert bad.exit_code != 0 and "unknown_market" in bad.output
