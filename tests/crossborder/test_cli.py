"""chuhai quote / tariffs import / fx import: JSON out, clear errors, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.crossborder.loader import reset

runner = CliRunner()
BASKET = {"destination": "DE", "date": "2026-11-24", "currency": "EUR", "channel": "own_site",
          "incoterm": "DDP", "registrations": ["EU_IOSS"],
          "shipping": {"amount": "5.00", "currency": "EUR"},
          "items": [{"hs_code": "851822", "origin": "CN", "unit_value": "40.00",
                     "currency": "EUR", "quantity": 1, "weight_kg": "0.4"}]}
HEAD = ("hs,kind,origin,duty_type,rate_percent,amount,amount_currency,per_unit,effective_from,"
        "effective_to,description,source,last_reviewed,confidence,note\n")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHUHAI_DATA_DIR", str(tmp_path / "var"))
    reset()
    yield tmp_path
    reset()


def test_quote_prints_json(env: Path) -> None:
    f = env / "basket.json"
    f.write_text(json.dumps(BASKET))
    result = runner.invoke(app, ["quote", "--input", str(f)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["landed_total"] == "57.12"


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "is not JSON"),
    (json.dumps({**BASKET, "destination": "CN"}), "market_unknown"),
    (json.dumps({**BASKET, "items": []}), "invalid_basket"),
])
def test_quote_errors_exit_non_zero_with_a_message_and_no_traceback(
        env: Path, content: str, message: str) -> None:
    f = env / "basket.json"
    f.write_text(content)
    result = runner.invoke(app, ["quote", "--input", str(f)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    missing = runner.invoke(app, ["quote", "--input", str(env / "nope.json")])
    assert missing.exit_code == 1 and "cannot read" in missing.stderr


def test_tariffs_import_replaces_the_shipped_schedule_of_that_market(env: Path) -> None:
    th = {**BASKET, "destination": "TH", "currency": None, "registrations": [],
          "shipping": None,
          "items": [{**BASKET["items"][0], "currency": "THB", "unit_value": "1000.00"}]}  # type: ignore[index]
    f = env / "basket.json"
    f.write_text(json.dumps(th))
    shipped = json.loads(runner.invoke(app, ["quote", "--input", str(f)]).stdout)
    assert shipped["duty_total"] == "100.00"  # rules/tariffs/TH.csv: 10 %
    csv = env / "th.csv"
    csv.write_text(HEAD + "851822,base,,ad_valorem,20,,,,2022-01-01,,speakers,"
                   "https://www.customs.go.th/,2026-11-24,unverified,test\n")
    result = runner.invoke(app, ["tariffs", "import", str(csv), "--market", "TH"])
    assert result.exit_code == 0, result.output
    out = runner.invoke(app, ["quote", "--input", str(f)])
    assert out.exit_code == 0, out.stderr
    q = json.loads(out.stdout)
    assert (q["duty_total"], q["tax_total"]) == ("200.00", "84.00")  # 20 %; VAT 7 % of 1,200


def test_a_bad_schedule_is_refused_whole_with_line_numbers(env: Path) -> None:
    csv = env / "bad.csv"
    csv.write_text(HEAD + "851822,base,,ad_valorem,10,,,,2022-01-01,,ok,https://x.org,"
                   "2026-11-24,primary,\n85,base,,ad_valorem,x,,,,nope,,bad,ftp://x,"
                   "2026-11-24,sure,\n")
    result = runner.invoke(app, ["tariffs", "import", str(csv), "--market", "TH"])
    assert result.exit_code == 1
    assert "line 3" in result.stderr and "nothing imported" in result.stderr
    assert not (env / "var" / "tariffs" / "TH.csv").exists()


def test_fx_import_reads_ecb_xml_and_refuses_junk(env: Path) -> None:
    xml = env / "rates.xml"
    xml.write_text('<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
                   'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"><Cube>'
                   '<Cube time="2026-11-24"><Cube currency="USD" rate="1.05"/></Cube>'
                   '</Cube></gesmes:Envelope>')
    result = runner.invoke(app, ["fx", "import", str(xml)])
    assert result.exit_code == 0, result.output
    assert (env / "var" / "fx" / "imported-2026-11-24.xml").exists()
    junk = env / "junk.xml"
    junk.write_text("<html>hello</html>")
    bad = runner.invoke(app, ["fx", "import", str(junk)])
    assert bad.exit_code == 1 and "no rates found" in bad.stderr
