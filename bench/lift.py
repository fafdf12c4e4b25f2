"""The holdout's lift report over many subjects: ``chuhai.analytics.lift`` reading the
columnar form (``.npz``: subject, holdout, orders, gmv, currency) of ``--subjects``
subjects (default 10,000,000) and reporting both groups, three relative lifts with their
intervals and p-values, and two increments — against a bare baseline over the same file
in the same run: ``numpy.load`` and the three per-group means (no checks, no variances,
no duplicate search).

The data: a 10 % holdout; 4 % of the holdout and 4.6 % of the exposed convert (15 % lift);
a converted subject places 1 + Poisson(0.3) orders of a lognormal amount (μ 3.5, σ 1);
subject ids are distinct int64. Written once to a temporary file (not timed); each side
then loads and reports it ``--repeat`` times (default 3), alternating; best kept. Target:
≤ 10 s for chuhai at 10 million subjects.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from _common import report  # noqa: E402


def make(path: Path, n: int, seed: int = 25) -> None:
    rng = np.random.default_rng(seed)
    holdout = rng.random(n) < 0.10
    converted = rng.random(n) < np.where(holdout, 0.04, 0.046)
    orders = np.where(converted, 1 + rng.poisson(0.3, n), 0).astype(np.int32)
    gmv = orders * rng.lognormal(3.5, 1.0, n)
    np.savez(path, subject=rng.permutation(n).astype(np.int64), holdout=holdout,
             orders=orders, gmv=gmv, currency=np.array("EUR"))


def bare(path: Path) -> dict[str, float]:
    data = np.load(path)
    held = data["holdout"]
    out = {}
    for name, mask in (("exposed", ~held), ("holdout", held)):
        out[name] = float((data["orders"][mask] > 0).mean())
        out[f"{name}_orders"] = float(data["orders"][mask].mean())
        out[f"{name}_gmv"] = float(data["gmv"][mask].mean())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--subjects", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from chuhai.analytics import lift

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "subjects.npz"
        t = time.perf_counter()
        make(path, args.subjects)
        made_s = time.perf_counter() - t
        ours, base = [], []
        out: dict[str, object] = {}
        for _ in range(args.repeat):
            t = time.perf_counter()
            out = lift.report(lift.from_npz(str(path)))
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            bare(path)
            base.append(time.perf_counter() - t)
        size_mb = os.path.getsize(path) / 1e6
    lifts = out["lift"]  # type: ignore[index]
    report("analytics.lift_report_s", min(ours), "s", min(base), {
        "subjects": args.subjects, "file_mb": round(size_mb, 1), "made_s": round(made_s, 1),
        "chuhai_s": [round(x, 2) for x in ours], "bare_s": [round(x, 2) for x in base],
        "target_s": 10, "conversion_lift": lifts["conversion"],  # type: ignore[index]
        "baseline": "numpy.load + per-group means of the same file; no checks, variances "
                    "or duplicate search", "cpus": os.cpu_count(),
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2)})


if __name__ == "__main__":
    main()
