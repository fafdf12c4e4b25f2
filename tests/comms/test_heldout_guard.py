"""The held-out set stays held out: no rule example, counter-example or pattern of the
shipped packs may nearly repeat one of its lines, and the calibration refuses to read it.

The set (tests/data/screening_heldout) was written before any calibration by someone who
never saw the packs; its figures say how the screening does on talk it was not built
from. A pack author who copied a missed line into an example or a pattern would make
those figures flatter without the screening getting any better — this test fails then,
naming the rule and the line."""

from __future__ import annotations

import json
from pathlib import Path

from rapidfuzz import fuzz, process
from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.comms.screening.packs import load_packs
from chuhai.comms.screening.semantic import text_key

HELDOUT = Path(__file__).resolve().parents[1] / "data" / "screening_heldout"
NEAR = 90  # rapidfuzz ratio (0-100): a copy with a word or two changed


def heldout() -> list[str]:
    return [text_key(json.loads(x)["text"]) for p in sorted(HELDOUT.glob("*.jsonl"))
            for x in p.read_text("utf-8").splitlines() if x.strip()]


def test_the_held_out_set_covers_every_market_with_twenty_lines_or_more():
    markets = {p.stem for p in HELDOUT.glob("*.jsonl")}
    shipped = {p.stem for p in (Path(__file__).resolve().parents[2] / "src" / "chuhai"
                                / "rules" / "markets").glob("*.toml")}
    assert shipped <= markets
    for p in HELDOUT.glob("*.jsonl"):
        assert len(p.read_text("utf-8").splitlines()) >= 20, p.name


def test_no_example_counter_example_or_pattern_nearly_repeats_a_held_out_line():
    lines = heldout()
    found = []
    for pack in load_packs():
        texts = [("counter-example", pack.id, c) for c in pack.counter_examples]
        for rule in pack.rules:
            texts += [("example", rule.id, e) for e in rule.examples]
            if rule.match != "regex":
                texts += [("pattern", rule.id, p) for p in rule.patterns if len(p) >= 12]
        for kind, where, text in texts:
            hit = process.extractOne(text_key(text), lines, scorer=fuzz.ratio,
                                     score_cutoff=NEAR)
            if hit is not None:
                found.append(f"{where} {kind} {text!r} ≈ held-out {hit[0]!r}")
    assert not found, "\n".join(found)


def test_the_calibration_set_does_not_repeat_the_held_out_set():
    lines = heldout()
    data = Path(__file__).resolve().parent / "data"
    found = []
    for name in ("labelled.jsonl", "labelled-2.jsonl"):
        for raw in (data / name).read_text("utf-8").splitlines():
            if raw.strip():
                text = text_key(json.loads(raw)["text"])
                hit = process.extractOne(text, lines, scorer=fuzz.ratio, score_cutoff=NEAR)
                if hit is not None:
                    found.append(f"{name}: {text!r} ≈ held-out {hit[0]!r}")
    assert not found, "\n".join(found)


def test_the_guard_would_see_a_copied_line():
    line = heldout()[0]
    near = line[:-1] + ("x" if not line.endswith("x") else "y")
    assert process.extractOne(near, heldout(), scorer=fuzz.ratio, score_cutoff=NEAR)


def test_calibration_refuses_the_held_out_set():
    out = CliRunner().invoke(app, ["screen-calibrate", "--labelled",
                                   str(HELDOUT / "DE.jsonl"), "--out", "/nonexistent"])
    assert out.exit_code != 0
    assert "held-out set measures" in out.output
