"""The shipped packs against the labelled set of live-selling lines (≥ 400 lines, ≥ 8
languages, written from the policy, not from the patterns): recall on `block` must be at
least 0.95, precision of the action over flagged lines at least 0.90, and clean everyday
selling talk must pass. The per-category table is printed at the end of the run."""

from __future__ import annotations

from collections import Counter

from chuhai.comms.service import default_screener
from tests.comms.quality import labelled, measure

REPORT: list[str] = []


def test_the_set_is_large_and_varied_enough():
    rows = labelled()
    langs = Counter(r["lang"] for r in rows)
    assert len(rows) >= 400
    assert len([lang for lang, n in langs.items() if n >= 25]) >= 8
    assert len({r["id"] for r in rows}) == len(rows)


def test_screening_quality_meets_the_targets():
    q = measure(default_screener(), labelled())
    REPORT.append(q.table())
    detail = q.table() + "\n" + "\n".join(q.misses[:60])
    assert q.block_recall >= 0.95, detail
    assert q.precision >= 0.90, detail
    assert q.clean_pass_rate >= 0.95, detail
