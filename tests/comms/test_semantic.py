"""Screening by meaning, on small packs written here and a bag-of-words embedder made here
(deterministic, no model): a line close to a rule's examples is flagged with that rule and
the nearest example; below the rule's threshold, or nearer a lawful counter-example, it is
not; lines' vectors are cached by normalized text; stored vectors spare the model; the
calibration puts each threshold above every lawful line."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
import pytest

from chuhai.comms.screening.calibration import calibrate, thresholds_toml
from chuhai.comms.screening.engine import Screener
from chuhai.comms.screening.packs import parse_pack
from chuhai.comms.screening.semantic import (
    FLOOR,
    SemanticLayer,
    digest,
    load_stored,
    load_thresholds,
    save_stored,
    text_key,
)

PACK = """
[pack]
id = "US"
kind = "market"
languages = ["en"]
counter_examples = ["noise cancelling helps you focus on the train",
                    "these earbuds have great bass and a long battery"]

[[rule]]
id = "US.device.medical"
category = "device_claim"
lang = "en"
side = "host"
match = "words"
patterns = ["cures tinnitus"]
examples = ["the ringing in my ears stopped after a week with these earbuds",
            "wear them daily and your tinnitus goes away"]
action = "block"
suggestion = "Talk about sound and comfort, not hearing conditions."
rationale = "A consumer gadget sold with a medical purpose is a medical device."
source = ["https://www.ecfr.gov/current/title-21/chapter-I/subchapter-H/part-801"]
effective_from = 1976-05-28
confidence = "secondary"

[[rule]]
id = "US.insult.direct"
category = "insult"
lang = "en"
side = "viewer"
match = "words"
patterns = ["you idiot"]
examples = ["you are too stupid to understand a discount"]
action = "block"
suggestion = "Please be kind to others in the room."
rationale = "Harassment of people in the room."
source = ["https://www.tiktok.com/community-guidelines/en/"]
effective_from = 2026-11-24
confidence = "unverified"
"""


def bag(texts: Sequence[str]) -> np.ndarray:
    """Words hashed into 384 buckets: texts sharing most words are close."""
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for i, t in enumerate(texts):
        for w in re.findall(r"\w+", t.lower()):
            out[i, int(hashlib.sha256(w.encode()).hexdigest(), 16) % 384] += 1.0
    return out


class Counting:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return bag(texts)


def make(thresholds: dict[str, float] | None = None, embed: Counting | None = None
         ) -> tuple[Screener, Counting]:
    """The pack above with a bag-of-words layer (``embed`` counts its calls)."""
    problems: list[str] = []
    pack = parse_pack(PACK, "US.toml", problems)
    assert pack is not None and not problems
    embed = embed or Counting()
    layer = SemanticLayer([pack], embed, thresholds=thresholds)
    return Screener([pack], semantic=layer), embed


def test_a_claim_in_other_words_is_flagged_with_the_rule_and_the_nearest_example():
    screener, _ = make()
    line = "the ringing in my ears stopped after a week with these new earbuds"
    assert screener.screen(line, "en", "US", "host").action == "allow"  # no pattern
    v = screener.screen(line, "en", "US", "host", meaning=True)
    assert v.action == "warn"  # the rule blocks; by meaning alone, at most a warning
    (f,) = v.findings
    assert (f.rule, f.by, (f.start, f.end)) == (
        "US.device.medical", "meaning", (0, len(line)))
    assert f.example == "the ringing in my ears stopped after a week with these earbuds"
    assert f.similarity is not None and f.similarity >= FLOOR
    d = f.as_dict()
    assert d["by"] == "meaning" and d["example"] == f.example


def test_a_line_the_patterns_caught_is_not_reported_again_by_meaning():
    screener, _ = make()
    v = screener.screen("wear them daily, this cures tinnitus", "en", "US", "host",
                        meaning=True)
    assert [f.by for f in v.findings] == ["pattern"]


def test_a_line_the_patterns_flag_is_not_given_more_classes_by_meaning():
    screener, _ = make()
    v = screener.screen("you idiot, you are too stupid to understand a discount", "en", "US",
                        "viewer", meaning=True)
    assert [(f.rule, f.by) for f in v.findings] == [("US.insult.direct", "pattern")]


def test_unrelated_lines_and_lawful_look_alikes_pass():
    screener, _ = make()
    for line in ("the jacket comes in S to XL", "noise cancelling helps you focus on the "
                 "train every day"):
        assert screener.screen(line, "en", "US", "host", meaning=True).action == "allow"


def test_the_rule_threshold_decides():
    line = "the ringing in my ears stopped after a week with these new earbuds"
    strict, _ = make({"US.device.medical": 0.999})
    assert strict.screen(line, "en", "US", "host", meaning=True).action == "allow"


def test_rules_of_another_side_or_market_are_not_matched_by_meaning():
    screener, _ = make()
    line = "you are too stupid to understand a discount"
    assert screener.screen(line, "en", "US", "host", meaning=True).action == "allow"
    assert screener.screen(line, "en", "US", "viewer", meaning=True).action == "warn"
    assert screener.screen(line, "en", "DE", "viewer", meaning=True).action == "allow"


def test_lines_are_embedded_once_by_normalized_text():
    screener, embed = make()
    screener.semantic.build()  # type: ignore[union-attr]
    before = len(embed.calls)
    screener.screen("Wear them  DAILY", "en", "US", "host", meaning=True)
    screener.screen("wear them daily", "en", "US", "host", meaning=True)
    assert len(embed.calls) == before + 1
    assert screener.semantic.cached("WEAR THEM DAILY")  # type: ignore[union-attr]
    assert text_key("Ｗear  them\tdaily") == "wear them daily"


def test_nothing_is_embedded_until_a_line_is_screened_by_meaning():
    screener, embed = make()
    screener.screen("wear them daily", "en", "US", "host")
    assert embed.calls == []


def test_stored_vectors_spare_the_model(tmp_path):
    screener, _embed = make()
    layer = screener.semantic.build()  # type: ignore[union-attr]
    save_stored(layer.vectors, tmp_path / "examples.npz")
    stored = load_stored(tmp_path / "examples.npz")
    assert set(stored) == {digest(t) for t in (*layer.examples, *layer.counter)}
    again = Counting()
    problems: list[str] = []
    pack = parse_pack(PACK, "US.toml", problems)
    fresh = SemanticLayer([pack], again, stored=stored).build()  # type: ignore[list-item]
    assert again.calls == [["ready"]] and fresh.missing == []  # the model warmed, no more


def test_a_missing_broken_or_foreign_store_is_empty(tmp_path):
    assert load_stored(tmp_path / "none.npz") == {}
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert load_stored(tmp_path / "bad.npz") == {}
    screener, _ = make()
    layer = screener.semantic.build()  # type: ignore[union-attr]
    save_stored(layer.vectors, tmp_path / "good.npz")
    whole = (tmp_path / "good.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(whole[: len(whole) // 2])  # an interrupted write
    assert load_stored(tmp_path / "cut.npz") == {}
    assert load_stored(tmp_path / "good.npz", model="another model") == {}
    assert load_thresholds(tmp_path / "none.toml") == {}
    (tmp_path / "bad.toml").write_text("[thresholds]\nx = 'high'\n")
    assert load_thresholds(tmp_path / "bad.toml") == {}


def test_a_line_nearer_a_lawful_counter_example_is_not_flagged():
    text = PACK.replace('counter_examples = [', 'counter_examples = ["wear them daily and your '
                        'tinnitus goes away says nobody here", ')
    problems: list[str] = []
    pack = parse_pack(text, "US.toml", problems)
    assert pack is not None and not problems
    calibrated = {"US.device.medical": 0.87}
    screener = Screener([pack], semantic=SemanticLayer([pack], Counting(),
                                                       thresholds=calibrated))
    line = "wear them daily and your tinnitus goes away says nobody"
    assert screener.semantic is not None
    best, _ = screener.semantic.scores(screener.semantic.vectors_of([line])[0][0])
    assert float(best.max()) >= screener.semantic.threshold("US.device.medical")
    assert screener.screen(line, "en", "US", "host", meaning=True).action == "allow"
    # the same layer without that counter-example flags it
    plain, _ = make(calibrated)
    assert plain.screen(line, "en", "US", "host", meaning=True).action == "warn"


def test_what_is_embedded_drops_control_characters_and_is_bounded():
    assert text_key("great earbuds\x00 the ringing stopped") == \
        "great earbuds the ringing stopped"
    assert text_key("only 3 left") == text_key("only 12 left")
    assert len(text_key("word " * 10_000)) == 2_000


def test_a_failing_model_leaves_the_patterns_verdict():
    def broken(texts):  # type: ignore[no-untyped-def]
        raise RuntimeError("engine gone")

    screener, _ = make(embed=broken)  # type: ignore[arg-type]
    v = screener.screen("wear them daily, this cures tinnitus", "en", "US", "host",
                        meaning=True)
    assert [(f.rule, f.by) for f in v.findings] == [("US.device.medical", "pattern")]
    assert screener.screen("the jacket comes in S to XL", "en", "US", "host",
                           meaning=True).action == "allow"


def test_a_background_build_never_holds_the_caller():
    import threading
    import time

    gate = threading.Event()

    def slow(texts):  # type: ignore[no-untyped-def]
        gate.wait(5)
        return bag(texts)

    screener, _ = make(embed=slow)  # type: ignore[arg-type]
    layer = screener.semantic
    assert layer is not None
    layer.build_in_background()
    start = time.perf_counter()
    layer.build_in_background()  # a second line while the first build runs
    assert time.perf_counter() - start < 0.5 and not layer.ready
    gate.set()
    for _ in range(200):
        if layer.ready:
            break
        time.sleep(0.01)
    assert layer.ready


def test_calibration_puts_each_threshold_above_every_lawful_line():
    screener, _ = make()
    layer = screener.semantic
    assert layer is not None
    rows = [{"text": "wear them every day and the tinnitus goes away", "categories":
             ["device_claim"]},
            {"text": "these earbuds have great bass and a long battery life",
             "categories": []}]
    results = {c.rule: c for c in calibrate(layer, rows)}
    device = results["US.device.medical"]
    lawful = bag(["these earbuds have great bass and a long battery life",
                  *layer.counter])
    lawful /= np.linalg.norm(lawful, axis=1, keepdims=True)
    mine = bag(list(layer.rules[0].examples))
    mine /= np.linalg.norm(mine, axis=1, keepdims=True)
    assert device.threshold > float((lawful @ mine.T).max())
    assert device.threshold >= FLOOR and device.above == 0
    assert device.positives == 1 + 2  # the labelled line and each example left out
    text = thresholds_toml(list(results.values()), model="bag", generated="2026-12-07",
                           rows=2, counter=2)
    assert '"US.device.medical" = ' in text


def test_calibrated_thresholds_are_read_back(tmp_path):
    screener, _ = make()
    assert screener.semantic is not None
    results = calibrate(screener.semantic, [])
    path = tmp_path / "thresholds.toml"
    path.write_text(thresholds_toml(results, model="bag", generated="2026-12-07", rows=0,
                                    counter=2), "utf-8")
    read = load_thresholds(path)
    assert read.keys() == {c.rule for c in results}
    assert all(read[c.rule] == pytest.approx(c.threshold) for c in results)


def test_the_shipped_vectors_and_thresholds_are_current():
    """`make calibrate` after editing a pack's examples: otherwise a node embeds them all
    on first use (tens of seconds) and uncalibrated rules use the default threshold."""
    from chuhai.comms.screening.packs import load_packs
    from chuhai.comms.screening.semantic import DEFAULT

    packs = load_packs()
    stored = load_stored()
    texts = {t for p in packs for t in (*p.counter_examples,
                                        *(e for r in p.rules for e in r.examples))}
    stale = sorted(t for t in texts if digest(t) not in stored)
    assert not stale, f"{len(stale)} examples not embedded; run `make calibrate`: {stale[:3]}"
    thresholds = load_thresholds()
    uncalibrated = [r.id for p in packs for r in p.rules if r.examples
                    and r.id not in thresholds]
    assert not uncalibrated, f"run `make calibrate`: {uncalibrated[:5]}"
    assert all(FLOOR <= t <= 1.0 for t in thresholds.values())
    assert DEFAULT >= FLOOR
