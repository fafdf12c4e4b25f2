"""Per-module mutation scores from the last ``mutmut run`` (``make mutation`` prints them).

Reads ``mutmut results --all true`` and prints, per mutated module, killed / total and the
survivors by name (``mutmut show NAME`` prints a survivor's diff). A timeout counts as
killed (the mutant made the tests hang, which CI would notice); ``no tests`` and
``survived`` count against the score. Exits 1 when a module is below ``--min`` percent.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

DETECTED = {"killed", "timeout", "caught by type check"}
NAME = re.compile(r"^\s*(?P<name>(?P<module>[\w.]+?)\.x[_ǁ]\S*__mutmut_\d+): (?P<status>.+)$")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--min", type=float, default=0.0, help="fail below this score (%%)")
    ap.add_argument("--mutmut", default=str(Path(sys.executable).parent / "mutmut"))
    args = ap.parse_args()
    out = subprocess.run([args.mutmut, "results", "--all", "true"],  # noqa: S603
                         capture_output=True,
                         text=True, check=True).stdout
    by_module: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for line in out.splitlines():
        m = NAME.match(line)
        if m:
            by_module[m["module"]][m["status"].strip()].append(m["name"])
    if not by_module:
        print("no mutmut results: run `make mutation` first", file=sys.stderr)
        return 1
    failed = False
    all_done = all_total = 0
    print(f"{'module':40} {'killed':>7} {'total':>6} {'score':>7}  other")
    for module in sorted(by_module):
        st = by_module[module]
        total = sum(len(v) for k, v in st.items() if k not in ("skipped", "not checked"))
        done = sum(len(st[k]) for k in DETECTED if k in st)
        all_done, all_total = all_done + done, all_total + total
        score = 100.0 * done / total if total else 100.0
        failed |= score < args.min
        other = ", ".join(f"{k}: {len(v)}" for k, v in sorted(st.items()) if k not in DETECTED)
        print(f"{module:40} {done:7} {total:6} {score:6.1f}%  {other}")
    print(f"{'all':40} {all_done:7} {all_total:6} "
          f"{100.0 * all_done / max(all_total, 1):6.1f}%")
    for module in sorted(by_module):
        for status, names in sorted(by_module[module].items()):
            if status not in DETECTED | {"not checked"}:
                for name in names:
                    print(f"  {status}: {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
