"""Screening quality on the held-out set, by class and by market, with and without the
semantic layer (the pattern-only run is the baseline, same lines, same run).

The held-out set (tests/data/screening_heldout) was written before any calibration by
someone who never saw the packs; it only measures. Each line is screened for its market
in its own language and side. For a class C: recall is the share of lines labelled C
whose verdict names C (with an action, not just a suggestion); precision the share of
lines whose verdict names C that are labelled C. "flagged" counts a risky line caught
under any class; "clean passed" the share of lawful look-alikes let through.

Prints one JSON line per figure (overall, per class, per market); ``--table`` prints the
Markdown tables of docs/performance.md; ``--cells`` prints every class x market cell as CSV
(lines, recall and precision with and without the semantic layer) — most cells hold one to
four lines, so read them as examples, not rates.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import report  # noqa: E402

from chuhai.comms.service import default_screener  # noqa: E402

HELDOUT = HERE.parent / "tests" / "data" / "screening_heldout"


def rows() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(HELDOUT.glob("*.jsonl")):
        out += [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]
    return out


def measure(lines: list[dict[str, Any]], meaning: bool) -> dict[str, Any]:
    screener = default_screener()
    tp: Counter[tuple[str, str]] = Counter()   # (class, market)
    fp: Counter[tuple[str, str]] = Counter()
    n: Counter[tuple[str, str]] = Counter()
    flagged: Counter[str] = Counter()
    risky: Counter[str] = Counter()
    clean: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    for row in lines:
        m, label = row["market"], row["label"]
        v = screener.screen(row["text"], row["lang"], m, row["side"], meaning=meaning)
        got = {f.category for f in v.findings if f.action not in ("allow", "suggest")}
        if label == "clean":
            clean[m] += 1
            passed[m] += v.action == "allow"
        else:
            risky[m] += 1
            flagged[m] += v.action != "allow"
            n[(label, m)] += 1
            tp[(label, m)] += label in got
        for c in got - {label}:
            fp[(c, m)] += 1
    return {"tp": tp, "fp": fp, "n": n, "flagged": flagged, "risky": risky,
            "clean": clean, "passed": passed}


def by(result: dict[str, Any], axis: int) -> dict[str, tuple[int, int, int]]:
    """(tp, fp, n) summed over the other axis."""
    out: dict[str, list[int]] = {}
    for key in set(result["n"]) | set(result["fp"]):
        k = key[axis]
        t = out.setdefault(k, [0, 0, 0])
        t[0] += result["tp"][key]
        t[1] += result["fp"][key]
        t[2] += result["n"][key]
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def table(base: dict[str, Any], ours: dict[str, Any]) -> str:
    def fmt(x: float | None) -> str:
        return "—" if x is None else f"{x:.2f}"

    out = ["| class | lines | recall, patterns | recall, + meaning | precision, patterns "
           "| precision, + meaning |", "|---|---|---|---|---|---|"]
    b, o = by(base, 0), by(ours, 0)
    for c in sorted(set(b) | set(o)):
        tb, fb, nb = b.get(c, (0, 0, 0))
        to, fo, no = o.get(c, (0, 0, 0))
        out.append(f"| {c} | {no} | {fmt(ratio(tb, nb))} | {fmt(ratio(to, no))} | "
                   f"{fmt(ratio(tb, tb + fb))} | {fmt(ratio(to, to + fo))} |")
    out += ["", "| market | risky lines | flagged, patterns | flagged, + meaning | class "
            "recall, patterns | class recall, + meaning | class precision, patterns | "
            "class precision, + meaning | clean passed, patterns | clean passed, + meaning |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    b, o = by(base, 1), by(ours, 1)
    for m in sorted(base["risky"]):
        out.append(
            f"| {m} | {base['risky'][m]} | "
            f"{fmt(ratio(base['flagged'][m], base['risky'][m]))} | "
            f"{fmt(ratio(ours['flagged'][m], ours['risky'][m]))} | "
            f"{fmt(ratio(b[m][0], b[m][2]))} | {fmt(ratio(o[m][0], o[m][2]))} | "
            f"{fmt(ratio(b[m][0], b[m][0] + b[m][1]))} | "
            f"{fmt(ratio(o[m][0], o[m][0] + o[m][1]))} | "
            f"{fmt(ratio(base['passed'][m], base['clean'][m]))} | "
            f"{fmt(ratio(ours['passed'][m], ours['clean'][m]))} |")
    return "\n".join(out)


def cells(base: dict[str, Any], ours: dict[str, Any]) -> str:
    """Every class x market cell: lines, recall and precision, patterns and + meaning."""
    out = ["class,market,lines,recall_patterns,recall_meaning,precision_patterns,"
           "precision_meaning"]
    keys = set(base["n"]) | set(base["fp"]) | set(ours["n"]) | set(ours["fp"])
    for c, m in sorted(keys):
        n = ours["n"][(c, m)]
        tb, fb = base["tp"][(c, m)], base["fp"][(c, m)]
        to, fo = ours["tp"][(c, m)], ours["fp"][(c, m)]
        vals = (ratio(tb, n), ratio(to, n), ratio(tb, tb + fb), ratio(to, to + fo))
        out.append(",".join([c, m, str(n), *("" if v is None else str(v) for v in vals)]))
    return "\n".join(out)


def totals(r: dict[str, Any]) -> dict[str, float | None]:
    tp, fp, n = (sum(r[k].values()) for k in ("tp", "fp", "n"))
    return {"class_recall": ratio(tp, n), "class_precision": ratio(tp, tp + fp),
            "flagged": ratio(sum(r["flagged"].values()), sum(r["risky"].values())),
            "clean_passed": ratio(sum(r["passed"].values()), sum(r["clean"].values()))}


def main() -> None:
    lines = rows()
    base = measure(lines, meaning=False)
    ours = measure(lines, meaning=True)
    if "--table" in sys.argv:
        print(table(base, ours))
        return
    if "--cells" in sys.argv:
        print(cells(base, ours))
        return
    tb, to = totals(base), totals(ours)
    extra = {"lines": len(lines), "markets": len(base["risky"]),
             "baseline": "the same packs, patterns only"}
    for key, unit in (("class_recall", "share"), ("class_precision", "share"),
                      ("flagged", "share of risky lines"), ("clean_passed", "share")):
        report(f"screening_heldout_{key}", to[key] or 0.0, unit, tb[key] or 0.0, extra)
    for c, (t, f, n) in sorted(by(ours, 0).items()):
        bt, bf, bn = by(base, 0).get(c, (0, 0, 0))
        report(f"screening_heldout_recall_{c}", ratio(t, n) or 0.0, "share",
               ratio(bt, bn) or 0.0, {"lines": n, "precision": ratio(t, t + f),
                                       "precision_patterns": ratio(bt, bt + bf)})
    for m, (t, f, n) in sorted(by(ours, 1).items()):
        bt, bf, bn = by(base, 1).get(m, (0, 0, 0))
        report(f"screening_heldout_market_{m}", ratio(t, n) or 0.0, "class recall",
               ratio(bt, bn) or 0.0, {"risky": n, "precision": ratio(t, t + f),
                                      "precision_patterns": ratio(bt, bt + bf),
                                      "clean_passed": ratio(ours["passed"][m],
                                                            ours["clean"][m])})


if __name__ == "__main__":
    main()
