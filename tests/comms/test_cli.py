"""chuhai screen and chuhai translate: the JSON contract, readable reports, scripts from a
file, Argos packages, and clear errors without tracebacks."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chuhai.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHUHAI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CHUHAI_SECRET_KEY", "cli-test-key")
    return tmp_path


def test_screen_json_follows_the_contract(env: Path) -> None:
    r = runner.invoke(app, ["screen", "--market", "DE", "--lang", "de", "--text",
                            "Das ist das beste Produkt der Welt, ruf an: +49 30 901820",
                            "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out) >= {"action", "findings", "redacted"}
    assert out["action"] == "warn"
    assert out["redacted"].endswith("ruf an: [phone hidden]")
    for f in out["findings"]:
        assert set(f) >= {"rule", "category", "span", "source", "suggestion"}
    assert {f["category"] for f in out["findings"]} == {"absolute_claim", "pii"}


def test_a_clean_line_is_allowed(env: Path) -> None:
    r = runner.invoke(app, ["screen", "--market", "JP", "--text",
                            "このジャケットはSからXLまであります。", "--json"])
    assert json.loads(r.stdout) == {"action": "allow", "findings": [],
                                    "redacted": "このジャケットはSからXLまであります。",
                                    "market": "JP", "lang": "ja", "side": "host"}


def test_screen_without_json_is_a_readable_report(env: Path) -> None:
    r = runner.invoke(app, ["screen", "--market", "CN", "--text", "全网最低价，国家级品质"])
    assert r.exit_code == 0
    assert "[CN] BLOCK" in r.stdout and "→" in r.stdout and "source: http" in r.stdout


def test_screen_a_script_file_for_a_market(env: Path) -> None:
    script = env / "script.txt"
    script.write_text("Hallo zusammen!\nDas ist das beste Produkt der Welt.\n"
                      "Diese Kapseln heilen Krebs.\n", encoding="utf-8")
    r = runner.invoke(app, ["screen", "--file", str(script), "--market", "DE"])
    assert r.exit_code == 0, r.output
    assert "line 2" in r.stdout and "line 3" in r.stdout and "line 1" not in r.stdout
    assert "3 lines checked for DE: 1 block" in r.stdout
    j = runner.invoke(app, ["screen", "--file", str(script), "--market", "DE,FR", "--json"])
    out = json.loads(j.stdout)
    assert out["summary"]["lines"] == 3
    assert set(out["lines"][0]["markets"]) == {"DE", "FR"}


@pytest.mark.parametrize(("args", "message"), [
    (["screen", "--market", "DE"], "give either --text or --file"),
    (["screen", "--market", "XX", "--text", "hi"], "no screening pack for XX"),
    (["screen", "--market", "DE", "--text", "hi", "--side", "robot"], "host or viewer"),
    (["screen", "--market", "DE", "--file", "/nonexistent/script.txt"], "cannot read"),
])
def test_screen_errors_are_one_line_without_traceback(env: Path, args, message) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code == 1 and message in r.output and "Traceback" not in r.output


MARKETS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "src" / "chuhai"
                                  / "rules" / "markets").glob("*.toml"))


def test_every_market_the_project_sells_to_screens(env: Path) -> None:
    assert len(MARKETS) >= 23
    r = runner.invoke(app, ["screen", "--market", ",".join(MARKETS), "--lang", "en",
                            "--text", "These headphones cure tinnitus", "--json",
                            "--patterns-only"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out["markets"]) == set(MARKETS)
    assert out["action"] == "block"
    for m, verdict in out["markets"].items():
        assert "device_claim" in {f["category"] for f in verdict["findings"]}, m


def test_screen_says_which_finding_came_by_meaning(env: Path) -> None:
    line = "My grandma wore this bracelet for a month and her joint pain is basically gone"
    words = runner.invoke(app, ["screen", "--market", "US", "--lang", "en", "--text", line,
                                "--json", "--patterns-only"])
    assert json.loads(words.stdout)["action"] == "allow"  # no pattern says it
    r = runner.invoke(app, ["screen", "--market", "US", "--lang", "en", "--text", line,
                            "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["action"] == "warn"  # by meaning: at most a warning
    (found,) = [f for f in out["findings"] if f["by"] == "meaning"]
    assert found["category"] in ("device_claim", "health_claim")
    assert found["example"] and found["similarity"] >= 0.86


def test_translate_a_phrase_from_the_phrasebook(env: Path) -> None:
    r = runner.invoke(app, ["translate", "--to", "ja", "Welcome to the live room!"])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == "ライブ配信へようこそ！"
    j = runner.invoke(app, ["translate", "--to", "de", "--json", "Only 3 left!"])
    out = json.loads(j.stdout)
    assert "3" in out["text"] and out["provider"] == "memory:phrasebook"


def test_translate_says_why_when_nothing_can_translate(env: Path) -> None:
    r = runner.invoke(app, ["translate", "--to", "de", "Quantum chromodynamics is fun"])
    assert r.exit_code == 1
    assert "argos: skipped (no Argos package for en→de)" in r.output
    assert "deepl: skipped (no API key configured)" in r.output


def test_install_package_checks_and_unpacks_an_argos_model(env: Path) -> None:
    pkg = env / "en_de.argosmodel"
    with zipfile.ZipFile(pkg, "w") as zf:
        zf.writestr("translate-en_de-1_0/metadata.json",
                    json.dumps({"from_code": "en", "to_code": "de", "package_version": "1.0"}))
        zf.writestr("translate-en_de-1_0/model/model.bin", b"\0" * 16)
    r = runner.invoke(app, ["translate", "install-package", str(pkg)])
    assert r.exit_code == 0, r.output
    assert (env / "var" / "argos" / "packages" / "translate-en_de" / "metadata.json").exists()
    listed = runner.invoke(app, ["translate", "providers", "--from", "en", "--to", "de"])
    assert "argos" in listed.stdout and "no Argos package" not in listed.stdout
    bad = env / "junk.argosmodel"
    bad.write_bytes(b"not a zip")
    r = runner.invoke(app, ["translate", "install-package", str(bad)])
    assert r.exit_code == 1 and "bad_package" in r.output
