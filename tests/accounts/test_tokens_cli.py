"""`chuhai tokens`: create (JSON with the secret once), use, list, revoke — and one-line
errors with exit code 1, never a traceback, for an unknown org, an unknown e-mail, a staff
member of another org, a bad name, an unknown token and an unmigrated database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from chuhai.app import create_app
from chuhai.cli import app
from chuhai.core.config import Settings

runner = CliRunner()
PW = "a-long-password"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHUHAI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CHUHAI_SECRET_KEY", "cli-test-key")
    return tmp_path


@pytest.fixture
def orgs(env: Path) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    for org, email, role in (("acme", "boss@acme.example", "owner"),
                             ("acme", "host@acme.example", "host"),
                             ("other", "boss@other.example", "owner")):
        r = runner.invoke(app, ["user", "create", "--org", org, "--email", email, "--role",
                                role, "--password", PW])
        assert r.exit_code == 0, r.output


def _get(path: str, token: str) -> httpx.Response:
    async def run() -> httpx.Response:
        the_app = create_app(Settings())
        transport = httpx.ASGITransport(app=the_app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                return await c.get(path, headers={"Authorization": f"Bearer {token}"})
        finally:
            await the_app.state.stores.dispose()

    return asyncio.run(run())


def _failed(r, *words: str) -> None:
    assert r.exit_code == 1, r.output
    assert isinstance(r.exception, SystemExit)  # typer.Exit, not an uncaught error
    assert "Traceback" not in r.output
    for w in words:
        assert w in r.output, r.output


def test_create_use_list_and_revoke(orgs: None) -> None:
    r = runner.invoke(app, ["tokens", "create", "--org", "acme", "--email",
                            "Host@Acme.example", "--name", " CI  deploys ", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["token"].startswith("chh_") and out["id"].startswith("tok_")
    assert out["name"] == "CI deploys" and out["org"] == "acme"
    assert out["prefix"] == out["token"][:10] and out["revoked_at"] is None

    me = _get("/api/me", out["token"])
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "host" and me.json()["subject_id"] == out["staff_id"]

    listed = runner.invoke(app, ["tokens", "list", "--org", "acme"])
    assert listed.exit_code == 0, listed.output
    assert out["id"] in listed.stdout and out["prefix"] in listed.stdout
    assert out["token"] not in listed.stdout and "host@acme.example" in listed.stdout
    rows = json.loads(runner.invoke(app, ["tokens", "list", "--org", "acme", "--json"]).stdout)
    assert [(t["id"], t["staff_email"]) for t in rows] == [(out["id"], "host@acme.example")]
    assert rows[0]["last_used_at"] is not None and "token" not in rows[0]
    assert json.loads(runner.invoke(app, ["tokens", "list", "--org", "other", "--json"])
                      .stdout) == []

    gone = runner.invoke(app, ["tokens", "revoke", out["id"], "--org", "acme"])
    assert gone.exit_code == 0 and "revoked token 'CI deploys'" in gone.stdout
    assert _get("/api/me", out["token"]).status_code == 401
    again = runner.invoke(app, ["tokens", "revoke", out["id"], "--org", "acme"])
    assert again.exit_code == 0 and "already revoked" in again.stdout
    active = runner.invoke(app, ["tokens", "list", "--org", "acme", "--active-only"])
    assert active.exit_code == 0 and out["id"] not in active.stdout
    assert "REVOKED" in runner.invoke(app, ["tokens", "list", "--org", "acme"]).stdout


def test_plain_output_prints_the_secret_on_its_own_line(orgs: None) -> None:
    r = runner.invoke(app, ["tokens", "create", "--org", "acme", "--email",
                            "boss@acme.example", "--name", "shell"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert "not shown again" in lines[0] and lines[-1].startswith("chh_")
    assert _get("/api/me", lines[-1]).status_code == 200


def test_clear_errors_without_tracebacks(orgs: None) -> None:
    def create(org: str, email: str, name: str = "x") -> object:
        return runner.invoke(app, ["tokens", "create", "--org", org, "--email", email,
                                   "--name", name, "--json"])

    _failed(create("nope", "boss@acme.example"), "org 'nope' was not found")
    _failed(create("acme", "nobody@acme.example"),
            "staff member 'nobody@acme.example' was not found")
    _failed(create("acme", "boss@other.example"),
            "boss@other.example is not a staff member of org 'acme'")
    _failed(create("acme", "boss@acme.example", "   "), "1 to 100 characters")
    _failed(create("acme", "boss@acme.example", "n" * 101), "1 to 100 characters")
    _failed(runner.invoke(app, ["tokens", "list", "--org", "nope"]), "org 'nope'")
    _failed(runner.invoke(app, ["tokens", "list", "--org", "acme", "--email",
                                "boss@other.example"]), "not a staff member of org 'acme'")
    _failed(runner.invoke(app, ["tokens", "revoke", "tok_unknown", "--org", "acme"]),
            "token tok_unknown was not found")
    # Another org's token cannot be revoked by naming the wrong org.
    theirs = json.loads(create("other", "boss@other.example").stdout)
    _failed(runner.invoke(app, ["tokens", "revoke", theirs["id"], "--org", "acme"]),
            "was not found")
    assert _get("/api/me", theirs["token"]).status_code == 200


def test_an_unmigrated_database_is_a_clear_error(env: Path) -> None:
    r = runner.invoke(app, ["tokens", "list", "--org", "acme"])
    _failed(r, "chuhai migrate")


@pytest.mark.parametrize("args", [["tokens"], ["tokens", "create"], ["tokens", "list"],
                                  ["tokens", "revoke"]])
def test_every_tokens_command_has_help(args: list[str]) -> None:
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
