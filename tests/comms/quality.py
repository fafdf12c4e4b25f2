"""Precision and recall of the shipped packs on the labelled set (tests/comms/data)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chuhai.comms.screening.engine import Screener

DATA = Path(__file__).parent / "data" / "labelled.jsonl"


def labelled(path: Path = DATA) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@dataclass
class Quality:
    lines: int = 0
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    flagged: int = 0
    flagged_right: int = 0
    block_expected: int = 0
    block_found: int = 0
    clean: int = 0
    clean_passed: int = 0
    misses: list[str] = field(default_factory=list)

    @staticmethod
    def ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    @property
    def precision(self) -> float:
        return self.ratio(self.flagged_right, self.flagged)

    @property
    def block_recall(self) -> float:
        return self.ratio(self.block_found, self.block_expected)

    @property
    def clean_pass_rate(self) -> float:
        return self.ratio(self.clean_passed, self.clean)

    def table(self) -> str:
        rows = [f"{'category':<16} {'prec':>6} {'recall':>6} {'tp':>4} {'fp':>4} {'fn':>4}"]
        for c in sorted(set(self.tp) | set(self.fp) | set(self.fn)):
            p = self.ratio(self.tp[c], self.tp[c] + self.fp[c])
            r = self.ratio(self.tp[c], self.tp[c] + self.fn[c])
            rows.append(f"{c:<16} {p:6.2f} {r:6.2f} {self.tp[c]:4} {self.fp[c]:4} "
                        f"{self.fn[c]:4}")
        rows.append(f"lines {self.lines}; overall action precision {self.precision:.3f} "
                    f"({self.flagged_right}/{self.flagged}); block recall "
                    f"{self.block_recall:.3f} ({self.block_found}/{self.block_expected}); "
                    f"clean lines passed {self.clean_pass_rate:.3f} "
                    f"({self.clean_passed}/{self.clean})")
        return "\n".join(rows)


def measure(screener: Screener, rows: list[dict[str, Any]]) -> Quality:
    q = Quality()
    for row in rows:
        v = screener.screen(row["text"], row["lang"], row["market"], row["side"])
        expected, found = row["expected"], v.action
        want = set(row.get("categories", ()))
        got = v.categories
        q.lines += 1
        for c in want & got:
            q.tp[c] += 1
        for c in got - want:
            q.fp[c] += 1
        for c in want - got:
            q.fn[c] += 1
        if found != "allow":
            q.flagged += 1
            q.flagged_right += found == expected
        if expected == "block":
            q.block_expected += 1
            q.block_found += found == "block"
        if expected == "allow":
            q.clean += 1
            q.clean_passed += found == "allow"
        if found != expected:
            rules = ",".join(f.rule for f in v.findings)
            q.misses.append(f"{row['id']}: expected {expected}, got {found} [{rules}] "
                            f"{row['text']}")
    return q
