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


def _copied_part(text: str, line: str, share: float) -> float:
    """How nearly a stretch of one appears inside the other (rapidfuzz partial ratio): a
    pack text that copies ``share`` or more of a held-out line (a sentence's worth, 24
    characters at least), or a held-out line pasted whole into a longer pack text."""
    if len(text) >= len(line):
        return fuzz.partial_ratio(line, text) if len(line) >= 24 else 0.0
    if len(text) < 24 or len(text) < share * len(line):
        return 0.0
    return fuzz.partial_ratio(text, line)


def _same_words(a: str, b: str, **_: object) -> float:
    """The same words in another order (token set ratio), for texts of like length."""
    short, long = sorted((a, b), key=len)
    if len(short) < 24 or len(short) < 0.6 * len(long):
        return 0.0
    return fuzz.token_set_ratio(a, b)


def near_copies(text: str, lines: list[str], pattern: bool = False) -> list[str]:
    """Held-out lines ``text`` nearly repeats: as a whole (a word or two changed), as a
    copied stretch of a line (half of it for a sentence, 70 % for a pattern, which is
    meant to occur inside lines), or as its words reordered."""
    key = text_key(text)
    checks = [(fuzz.ratio, NEAR)]
    if pattern:
        checks.append((lambda a, b, **_: _copied_part(a, b, 0.7), 95))
    else:
        checks += [(lambda a, b, **_: _copied_part(a, b, 0.5), NEAR), (_same_words, NEAR)]
    found = []
    for scorer, cutoff in checks:
        hit = process.extractOne(key, lines, scorer=scorer, score_cutoff=cutoff)
        if hit is not None:
            found.append(hit[0])
    return found


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
            for line in near_copies(text, lines, pattern=kind == "pattern"):
                found.append(f"{where} {kind} {text!r} ≈ held-out {line!r}")
    assert not found, "\n".join(found)


def test_the_calibration_set_does_not_repeat_the_held_out_set():
    lines = heldout()
    data = Path(__file__).resolve().parent / "data"
    found = []
    for name in ("labelled.jsonl", "labelled-2.jsonl"):
        for raw in (data / name).read_text("utf-8").splitlines():
            if raw.strip():
                text = json.loads(raw)["text"]
                for line in near_copies(text, lines):
                    found.append(f"{name}: {text!r} ≈ held-out {line!r}")
    assert not found, "\n".join(found)


def test_the_guard_sees_a_copied_line_a_copied_stretch_and_reordered_words():
    lines = ["this serum rebuilds your collagen from the inside, wrinkles gone for good",
             "the lamp is bright and warm, perfect for reading in bed at night"]
    assert near_copies("This serum rebuilds your collagen from the inside, wrinkles gone "
                       "for good!", lines)                          # the whole line
    assert near_copies("Wow: this serum rebuilds your collagen from the inside.", lines)
    assert near_copies("perfect for reading in bed at night, the lamp is bright and warm",
                       lines)                                       # reordered
    assert near_copies("rebuilds your collagen from the inside, wrinkles gone", lines,
                       pattern=True)                                # most of a line
    assert near_copies("Our host said: the lamp is bright and warm, perfect for reading "
                       "in bed at night — and she was right.", lines)  # pasted inside
    assert not near_copies("rebuilds collagen", lines, pattern=True)  # a pattern's job
    assert not near_copies("A soft lamp for reading, warm light, dims at night.", lines)


def test_calibration_refuses_the_held_out_set():
    out = CliRunner().invoke(app, ["screen-calibrate", "--labelled",
                                   str(HELDOUT / "DE.jsonl"), "--out", "/nonexistent"])
    assert out.exit_code != 0
    assert "held-out set measures" in out.output
