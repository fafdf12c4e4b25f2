"""`chuhai demand sellout` on a recorded series: JSON out, codes for bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from chuhai.cli import app

runner = CliRunner()


def test_the_sellout_command_reads_a_series_and_prints_the_estimate(tmp_path):
    f = tmp_path / "s.json"
    f.write_text(json.dumps({"stock": 40, "minute": [4, 5, 4, 6, 5], "slot_minutes_left": 30}))
    out = runner.invoke(app, ["demand", "sellout", "--input", str(f), "--json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)
    assert set(got) >= {"sellout_minute", "p_sellout_in_slot", "method"}
    assert 5 <= got["sellout_minute"] <= 12 and got["p_sellout_in_slot"] > 0.9
    text = runner.invoke(app, ["demand", "sellout", "--input", str(f)])
    assert text.exit_code == 0 and "sells out in" in text.output


def test_bad_series_are_refused_with_codes(tmp_path):
    for body, code in (({"stock": 5, "minute": [1, -1]}, "bad_series"),
                       ({"stock": -5, "minute": [1]}, "bad_stock"),
                       ({"stock": 5, "minute": [1], "slot_minutes_left": 99999},
                        "bad_horizon"), ([1, 2], "bad_input"), ("not json", "bad_input"),
                       ({"stock": 5, "minute": [1], "last_minute_share": 0}, "bad_series"),
                       ({"stock": 5, "minute": [1], "last_minute_share": "half"},
                        "bad_series")):
        f = tmp_path / "b.json"
        f.write_text(body if isinstance(body, str) else json.dumps(body))
        out = runner.invoke(app, ["demand", "sellout", "--input", str(f), "--json"])
        assert out.exit_code == 1 and code in out.output, (body, out.output)
    missing = runner.invoke(app, ["demand", "sellout", "--input", str(tmp_path / "no.json")])
    assert missing.exit_code == 1


def test_a_minute_under_way_is_read_at_its_share(tmp_path):
    f = tmp_path / "s.json"
    f.write_text(json.dumps({"stock": 100, "minute": [30], "last_minute_share": 0.25,
                             "slot_minutes_left": 30}))
    got = json.loads(runner.invoke(app, ["demand", "sellout", "--input", str(f), "--json"])
                     .output)
    assert got["rate_per_minute"] > 90 and got["sellout_minute"] < 2  # 120 a minute
