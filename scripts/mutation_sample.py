"""Run mutmut over a fixed, stratified sample of the money and stock path's mutants.

Why a sample: the eight modules give about 4,950 mutants, and a mutant that survives costs a run
of every test that reaches its function (landed cost: ~10 s of tests per mutant). All of
them take hours on two cores; ``make mutation`` must finish in under 30 minutes. Sampling
mutants at random is the long-studied way to bound that cost (random mutant selection,
Acree and Budd, 1980; Wong and Mathur, 1995): the score of the sample estimates the score
of all mutants, and the interval printed with each score says how far it may be off.

The sample is stable: a mutant is in it when the SHA-256 of its name falls in the lowest
``--percent`` of the hash space, so every run, every machine and CI pick the same mutants
and a survivor stays a survivor until a test kills it. Each module contributes at least
``--min`` mutants (all of them if it has fewer), so a small module is not judged on two.

Steps: (1) run mutmut on the small states module, which makes it generate the mutants of
any code changed since the last run and learn which tests reach which function (the first
time, every mutant); (2) list every mutant
(``mutmut results --all true``); (3) run the sampled mutants that have no verdict yet, in
one ``mutmut run`` bounded by ``--timeout`` (a later run continues); (4) print the scores
of the sample (scripts/mutation_scores.py).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutation_scores import NAME, read_results

SAMPLE_FILE = Path("var/mutation-sample.txt")
SEED_MODULE = "chuhai.checkout.states.*"  # 23 mutants: cheap, and in every sample


def rank(name: str) -> int:
    """Where a mutant falls in the hash space, 0 … 2**32 - 1 (stable across runs)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")


def choose(names_by_module: dict[str, list[str]], percent: float, minimum: int
           ) -> list[str]:
    """The sample: per module, the mutants whose rank is in the lowest ``percent``, topped
    up to ``minimum`` in rank order. Pure, so the test can check it."""
    cut = int(2**32 * percent / 100)
    chosen: list[str] = []
    for module in sorted(names_by_module):
        ranked = sorted(names_by_module[module], key=rank)
        inside = [n for n in ranked if rank(n) < cut]
        chosen += inside if len(inside) >= minimum else ranked[:minimum]
    return chosen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--percent", type=float, default=10.0)
    ap.add_argument("--min", type=int, default=20, dest="minimum")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds; 0 = no bound")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--score-min", type=float, default=0.0,
                    help="exit 1 when a module's sampled score is below this (%%)")
    args = ap.parse_args()
    mutmut = str(Path(sys.executable).parent / "mutmut")
    log = Path("var/mutmut.log")
    log.parent.mkdir(exist_ok=True)
    started = time.monotonic()

    def remaining() -> float | None:
        return None if args.timeout == 0 else args.timeout - (time.monotonic() - started)

    def run(names: list[str]) -> bool:
        """mutmut over ``names``; False when the time bound stopped it."""
        left = remaining()
        if left is not None and left <= 0:
            return False
        with log.open("a") as out:
            try:
                proc = subprocess.run([mutmut, "run", "--max-children", str(args.jobs),  # noqa: S603
                                       *names],
                                      stdout=out, stderr=subprocess.STDOUT, timeout=left,
                                      check=False)
            except subprocess.TimeoutExpired:
                return False
        if proc.returncode != 0:
            print(f"mutmut failed (exit {proc.returncode}); see {log}", file=sys.stderr)
            sys.exit(proc.returncode)
        return True

    # mutmut regenerates the mutants of changed code only when it runs: run the small seed
    # module first, so the names sampled below are those of the code as it is now.
    if not run([SEED_MODULE]):
        print(f"stopped after {args.timeout} s while mutmut learned the tests: run again")
        return 1
    results = read_results(mutmut)
    by_module: dict[str, list[str]] = defaultdict(list)
    for name in results:
        m = NAME.match(f"  {name}: x")
        if m:
            by_module[m["module"]].append(name)
    sample = choose(by_module, args.percent, args.minimum)
    SAMPLE_FILE.write_text("\n".join(sample) + "\n")
    todo = [n for n in sample if results[n] == "not checked"]
    print(f"sample: {len(sample)} of {len(results)} mutants ({args.percent:g} % per module, "
          f"at least {args.minimum}); {len(todo)} without a verdict yet")
    finished = run(todo) if todo else True
    if not finished:
        print(f"mutmut stopped after {args.timeout} s: the scores below are partial; "
              "run `make mutation` again to continue")
    scorer = str(Path(__file__).parent / "mutation_scores.py")
    score = subprocess.run([sys.executable, scorer, "--only", str(SAMPLE_FILE),  # noqa: S603
                            "--min", str(args.score_min)], check=False)
    return score.returncode or (0 if finished else 2)


if __name__ == "__main__":
    sys.exit(main())
