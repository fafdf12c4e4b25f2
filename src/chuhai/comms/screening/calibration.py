"""Thresholds of the semantic layer, per rule, from labelled lines — never from the held-out
set, which only measures.

A rule's threshold is where its examples' meaning ends and lawful talk begins. The lines
that must stay **below** it (negatives) are every pack's counter-examples and the
calibration set's lines that are clean or of another class; the lines that should reach it
(positives) are the calibration set's lines of the rule's class and, leave-one-out, the
rule's own examples (each one's similarity to its siblings). The threshold is ``STEP``
above the highest negative (or the ``max_false``-th), never under the floor: a chat line
meets some fifty rules at once, so a per-rule false-positive rate of even 1 % would flag a
fair share of lawful lines. What each rule then recalls of its positives is
reported beside it, so a rule whose examples do not separate from lawful talk shows up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chuhai.comms.screening.semantic import FLOOR, SemanticLayer

# Above the highest lawful line: chosen by two-fold cross-validation on the calibration
# set (docs/comms.md): 0.002 flagged 6.4 % of the other half's clean lines, 0.01 2.1 %,
# 0.02 0.5 %, catching 4, 3 and 2 of the 19 risky lines the patterns missed.
STEP = 0.01


@dataclass(frozen=True)
class Calibrated:
    rule: str
    category: str
    threshold: float
    positives: int
    recalled: int
    negatives: int
    above: int  # negatives at or above the threshold (≤ max_false)

    @property
    def recall(self) -> float:
        return self.recalled / self.positives if self.positives else 0.0


def calibrate(layer: SemanticLayer, rows: Sequence[Mapping[str, Any]], *,
              max_false: int = 0,
              applies: Callable[[str, Mapping[str, Any]], bool] | None = None
              ) -> list[Calibrated]:
    """One threshold per rule with examples. ``rows``: labelled lines with ``text`` and
    ``categories`` (empty for a clean line). ``applies(rule_id, row)``: whether the rule
    meets that row at all (its market, language and side); a row it never meets is
    neither a positive nor a negative for it."""
    layer.build()
    texts = [str(r["text"]) for r in rows]
    line_vecs = layer.vectors_of(texts)[0] if texts else np.zeros((0, 384), np.float32)
    ex = layer.example_vectors
    co = layer.counter_vectors
    out: list[Calibrated] = []
    cats = [set(r.get("categories") or ()) for r in rows]
    start = 0
    for rule in layer.rules:
        n = len(rule.examples)
        mine = ex[start:start + n]
        start += n
        met = [applies is None or applies(rule.id, r) for r in rows]
        pos_rows = [i for i, c in enumerate(cats) if met[i] and rule.category in c]
        neg_rows = [i for i, c in enumerate(cats) if met[i] and rule.category not in c]
        def best(vecs: np.ndarray, m: np.ndarray = mine) -> np.ndarray:
            return (vecs @ m.T).max(axis=1) if len(vecs) and len(m) else np.zeros(len(vecs))
        negatives = np.concatenate([best(co), best(line_vecs[neg_rows])])
        positives = list(best(line_vecs[pos_rows]))
        if n > 1:  # each example against its siblings
            own = mine @ mine.T
            np.fill_diagonal(own, -1.0)
            positives += list(own.max(axis=1))
        ordered = np.sort(negatives)[::-1]
        ceiling = float(ordered[max_false]) if len(ordered) > max_false else -1.0
        threshold = round(max(FLOOR, ceiling + STEP), 3)
        out.append(Calibrated(rule.id, rule.category, threshold, len(positives),
                              sum(p >= threshold for p in positives), len(negatives),
                              int((negatives >= threshold).sum())))
    return out


def thresholds_toml(results: Sequence[Calibrated], *, model: str, generated: str,
                    rows: int, counter: int) -> str:
    """The file ``semantic.load_thresholds`` reads, with what made it in comments."""
    lines = [
        "# Semantic-layer thresholds per rule, written by `chuhai screen-calibrate`.",
        f"# Model: {model}. Generated {generated} from {rows} labelled lines",
        f"# (tests/comms/data, never the held-out set) and {counter} counter-examples.",
        f"# Method: {STEP} above the highest lawful line's cosine to the rule's examples,",
        f"# never under the floor {FLOOR}. recall = the rule's positives reached (lines of",
        "# its class in every language, and its own examples left out one at a time).",
        "", "[calibration]", f'model = "{model}"', f"generated = {generated}",
        f"floor = {FLOOR}", "", "[thresholds]"]
    for c in sorted(results, key=lambda c: c.rule):
        lines.append(f'"{c.rule}" = {c.threshold:.3f}  # {c.category}, recall '
                     f"{c.recalled}/{c.positives}")
    return "\n".join(lines) + "\n"
