"""The shipped packs against the labelled set of live-selling lines (≥ 400 lines, ≥ 8
languages, written from the policy, not from the patterns): recall on `block` must be at
least 0.95, precision of the action over flagged lines at least 0.90, and clean everyday
selling talk must pass. The packs were reviewed against this set's misses, so a second,
held-out set (written apart, never used to tune) checks that they generalize. Both
per-category tables are printed at the end of the run."""

from __future__ import annotations

from collections import Counter

from chuhai.comms.service import default_screener
from tests.comms.quality import DATA, labelled, measure

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


def test_the_packs_generalize_to_the_held_out_set():
    q = measure(default_screener(), labelled(DATA.with_name("heldout.jsonl")))
    REPORT.append("held-out set (never used to tune the packs):\n" + q.table())
    detail = q.table() + "\n" + "\n".join(q.misses[:40])
    assert q.lines >= 200
    assert q.block_recall >= 0.85, detail
    assert q.precision >= 0.90, detail
    assert q.clean_pass_rate >= 0.95, detail
