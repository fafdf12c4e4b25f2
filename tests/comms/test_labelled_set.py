"""The shipped packs against two labelled sets of live-selling lines, both written from
the policy, not from the patterns.

The first (labelled.jsonl: ≥ 400 lines, ≥ 8 languages) must give recall on `block` of at
least 0.95, precision of the action over flagged lines of at least 0.90, and let clean
everyday selling talk pass. The second (labelled-2.jsonl, 240 lines) must give recall on
`block` of at least 0.85 with the same precision and clean-line targets.

Neither set is held out. The packs were reviewed against the misses of both: patterns that
match only lines of the second set were added in that review, so the second set was used to
tune the packs too, and its figures, like the first set's, say nothing about lines the
packs have not seen. (It was once called the held-out set, "never used to tune"; that
claim was wrong.) Both now also calibrate the semantic layer's thresholds. How the packs
generalize is measured on the held-out set (tests/data/screening_heldout, written before
any calibration by someone who never saw the packs) by bench/screening_quality.py.

Both per-category tables are printed at the end of the run."""

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


def test_screening_quality_on_the_second_labelled_set():
    q = measure(default_screener(), labelled(DATA.with_name("labelled-2.jsonl")))
    REPORT.append("second labelled set (also used to tune the packs, not held out):\n"
                  + q.table())
    detail = q.table() + "\n" + "\n".join(q.misses[:40])
    assert q.lines >= 200
    assert q.block_recall >= 0.85, detail
    assert q.precision >= 0.90, detail
    assert q.clean_pass_rate >= 0.95, detail
