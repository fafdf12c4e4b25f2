"""Per-module mutation scores from mutmut's verdicts (``make mutation`` prints them).

Reads ``mutmut results --all true`` and prints, per mutated module, killed / total with a
95 % Wilson interval (the score of a sample estimates the score of all mutants; the
interval says how far off it may be), and the survivors by name (``mutmut show NAME``
prints a survivor's diff). ``--only FILE`` scores just the mutants named in FILE (the
sample of scripts/mutation_sample.py). A timeout counts as killed (the mutant made the
tests hang, which CI would notice); ``no tests`` and ``survived`` count against the score;
``not checked`` (no verdict yet) is left out and reported. Exits 1 when a module with
verdicts is below ``--min`` percent.
"""

from __future__ import annotations

import argparse
import math
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

DETECTED = {"killed", "timeout", "caught by type check"}
NAME = re.compile(r"^\s*(?P<name>(?P<module>[\w.]+?)\.x[_ǁ]\S*__mutmut_\d+): (?P<status>.+)$")


def read_results(mutmut: str) -> dict[str, str]:
    """Every mutant mutmut knows here, with its status (empty before the first run)."""
    proc = subprocess.run([mutmut, "results", "--all", "true"],  # noqa: S603
                          capture_output=True, text=True, check=False)
    out: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        m = NAME.match(line)
        if m:
            out[m["name"]] = m["status"].strip()
    return out


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % interval of a proportion k/n; sound for small n and for k near 0 or n."""
    if n == 0:
        return 0.0, 100.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--min", type=float, default=0.0, help="fail below this score (%%)")
    ap.add_argument("--only", type=Path, help="score only the mutants named in this file")
    ap.add_argument("--mutmut", default=str(Path(sys.executable).parent / "mutmut"))
    args = ap.parse_args()
    results = read_results(args.mutmut)
    if args.only:
        wanted = set(args.only.read_text().split())
        results = {k: v for k, v in results.items() if k in wanted}
    by_module: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, status in results.items():
        m = NAME.match(f"  {name}: {status}")
        if m:
            by_module[m["module"]][status].append(name)
    if not by_module:
        print("no mutmut results: run `make mutation` first", file=sys.stderr)
        return 1
    failed = False
    all_done = all_total = 0
    print(f"{'module':34} {'killed':>6} {'total':>6} {'score':>7} {'95 % interval':>15}  other")
    for module in sorted(by_module):
        st = by_module[module]
        total = sum(len(v) for k, v in st.items() if k not in ("skipped", "not checked"))
        done = sum(len(st[k]) for k in DETECTED if k in st)
        all_done, all_total = all_done + done, all_total + total
        score = 100.0 * done / total if total else 100.0
        failed |= bool(total) and score < args.min
        lo, hi = wilson(done, total)
        other = ", ".join(f"{k}: {len(v)}" for k, v in sorted(st.items()) if k not in DETECTED)
        print(f"{module:34} {done:6} {total:6} {score:6.1f}% {lo:6.1f}–{hi:5.1f} %  {other}")
    lo, hi = wilson(all_done, all_total)
    print(f"{'all':34} {all_done:6} {all_total:6} "
          f"{100.0 * all_done / max(all_total, 1):6.1f}% {lo:6.1f}–{hi:5.1f} %")
    for module in sorted(by_module):
        for status, names in sorted(by_module[module].items()):
            if status not in DETECTED | {"not checked"}:
                for name in sorted(names):
                    print(f"  {status}: {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
