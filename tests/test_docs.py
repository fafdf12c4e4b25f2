"""The README stays true to the code: every setting is in its configuration table."""

from __future__ import annotations

from pathlib import Path

from chuhai.core.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [n for n in Settings.model_fields if f"`CHUHAI_{n.upper()}`" not in readme]
    assert missing == []


def test_docs_linked_from_the_readme_exist():
    readme = (ROOT / "README.md").read_text()
    for name in ("architecture", "api", "catalog-import", "rules", "deploy", "crossborder",
                 "comms"):
        assert f"docs/{name}.md" in readme and (ROOT / "docs" / f"{name}.md").exists()


def test_the_readme_links_nothing_outside_the_repository():
    import re

    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", readme) + re.findall(r"<(https?://[^>]+)>", readme)
    for target in targets:
        if target.startswith(("http://127.0.0.1", "http://localhost")):
            continue  # the demo the reader runs
        assert not re.match(r"^[a-z]+:", target), f"README links outside: {target}"
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), f"README link {target} is broken"
    assert "docs/design.md" in readme


def test_the_api_guide_starts_from_getting_a_token_and_its_examples_run(tmp_path, monkeypatch):
    import asyncio
    import json
    import re
    import shlex

    import httpx
    from typer.testing import CliRunner

    from chuhai.app import create_app
    from chuhai.cli import app as cli

    guide = (ROOT / "docs" / "api.md").read_text()
    headings = re.findall(r"^## (.+)$", guide, re.M)
    assert headings[:3] == ["1. Get a token", "2. A first call", "Authentication"]
    first = guide[:guide.index("## Authentication")]
    assert "/console/tokens" in first and "Authorization: Bearer" in first
    examples = re.findall(r"```json\n(.*?)```", first, re.S)
    documented_create, documented_me = (json.loads(e) for e in examples[:2])

    # The documented command runs as written (for the documented demo org and e-mail).
    monkeypatch.setenv("CHUHAI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CHUHAI_SECRET_KEY", "docs-test-key")
    runner = CliRunner()
    line = re.search(r"^chuhai (tokens create .+)$", first, re.M)
    assert line, "no `chuhai tokens create` line"
    args = shlex.split(line.group(1))
    org, email = args[args.index("--org") + 1], args[args.index("--email") + 1]
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    made = runner.invoke(cli, ["user", "create", "--org", org, "--email", email, "--role",
                               "owner", "--password", "a-long-password"])
    assert made.exit_code == 0, made.output
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created.keys() == documented_create.keys()

    async def me() -> httpx.Response:
        the_app = create_app()
        transport = httpx.ASGITransport(app=the_app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                page = await c.get("/console/tokens")  # the page exists: sign in first
                assert page.status_code == 303 and "next=/console/tokens" in page.headers[
                    "location"]
                return await c.get("/api/me", headers={
                    "Authorization": f"Bearer {created['token']}"})
        finally:
            await the_app.state.stores.dispose()

    answer = asyncio.run(me())
    assert answer.status_code == 200 and answer.json().keys() == documented_me.keys()
    assert answer.json()["role"] == documented_me["role"]
