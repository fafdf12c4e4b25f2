"""A fixed sample of mutants of the money and stock path must stay killed.

``make mutation`` runs mutmut over every mutant of checkout, inventory, landed cost and
erasure (docs/testing.md); it takes too long for every CI run. This test keeps a sample of
it in ``make test``: each mutant below is one precise change of one line that a real bug
could make — a flipped comparison, a dropped term of a total, a wrong bucket — applied to a
copy of ``src/``, and the named fast tests, run against that copy, must fail. If the
original text is no longer in the module exactly once, the test fails too, so the sample
cannot rot silently when the code moves: update the line and keep the mutant.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str  # path under src/
    original: str  # must occur exactly once in the module
    mutated: str
    tests: tuple[str, ...]  # fast tests that must fail on the mutant


STATES = "chuhai/checkout/states.py"
PAYMENTS = "chuhai/checkout/payments.py"
SERVICE = "chuhai/checkout/service.py"
LEDGER = "chuhai/inventory/ledger.py"
STOCK = "chuhai/inventory/stock.py"
DROPS = "chuhai/inventory/drops.py"
LANDED = "chuhai/crossborder/landed_cost.py"
ERASURE = "chuhai/privacy/erasure.py"

T_STATES = "tests/checkout/test_states.py"
T_LEDGER = "tests/inventory/test_ledger.py"
T_DROPS = "tests/inventory/test_drops.py"
T_WORKED = "tests/crossborder/test_worked_examples.py"
T_PAY = "tests/checkout/test_payments.py"
T_AFTER = "tests/checkout/test_after_payment.py"
T_ERASURE = "tests/privacy/test_erasure.py"
T_STOCK = "tests/inventory/test_stock.py"
T_TOTAL = "tests/checkout/test_charged_amount.py::test_the_total_adds_every_part_of_the_quote"

SAMPLE = (
    Mutant("a shipped order may be cancelled", STATES,
           "S.SHIPPED: frozenset({S.DELIVERED, S.RETURNED}),",
           "S.SHIPPED: frozenset({S.DELIVERED, S.RETURNED, S.CANCELLED}),", (T_STATES,)),
    Mutant("the transition check is inverted", STATES,
           "    if to not in TRANSITIONS[frm]:", "    if to in TRANSITIONS[frm]:", (T_STATES,)),
    Mutant("available may go below zero", LEDGER,
           "self.reserved, self.available) >= 0", "self.reserved) >= 0", (T_LEDGER,)),
    Mutant("a sale does not reserve the unit", LEDGER,
           "return Delta(allocated=-n, reserved=n)", "return Delta(allocated=-n)", (T_LEDGER,)),
    Mutant("shipping leaves the reservation", LEDGER,
           "return Delta(on_hand=-n, reserved=-n)", "return Delta(on_hand=-n)", (T_LEDGER,)),
    Mutant("a zero adjustment is accepted", LEDGER,
           "        if quantity == 0:\n", "        if quantity == 1:\n", (T_LEDGER,)),
    Mutant("the Luhn check doubles the wrong digits", PAYMENTS,
           "        if i % 2:\n", "        if not i % 2:\n", (T_PAY,)),
    Mutant("the cached level ignores available", STOCK,
           "rs >= 0, oh - al - rs >= 0)", "rs >= 0)", (T_STOCK,)),
    Mutant("the order total leaves out fees", SERVICE,
           "+ self.tax_minor\n                + self.fees_minor)",
           "+ self.tax_minor)", (T_TOTAL,)),
    Mutant("a payment after the hold lapsed is kept", SERVICE,
           "        if converted:\n            await _set_payment",
           "        if True:\n            await _set_payment", (T_AFTER,)),
    Mutant("the buyer limit is off by one", DROPS,
           "    if req.quantity > drop.per_buyer_limit:",
           "    if req.quantity > drop.per_buyer_limit + 1:", (T_DROPS,)),
    Mutant("a cancelled reservation keeps its units", DROPS,
           "remaining=DropLine.remaining + res.quantity)",
           "remaining=DropLine.remaining)", (T_DROPS,)),
    Mutant("an inclusive tax is computed as exclusive", LANDED,
           "return base * rate / (HUNDRED - rate)", "return base * rate / HUNDRED", (T_WORKED,)),
    Mutant("a band's deduction is added", LANDED,
           "max(value * rate / HUNDRED - deduct, ZERO)",
           "max(value * rate / HUNDRED + deduct, ZERO)", (T_WORKED,)),
    Mutant("the landed total leaves out fees", LANDED,
           "insurance + duty + tax + fees\n", "insurance + duty + tax\n", (T_WORKED,)),
    Mutant("erasure keeps the rows it should delete", ERASURE,
           "                if policy == \"delete\":",
           "                if policy == \"deleted\":", (T_ERASURE,)),
)


def _apply(tree: Path, m: Mutant) -> None:
    path = tree / m.module
    text = path.read_text("utf-8")
    assert text.count(m.original) == 1, (
        f"mutant {m.name!r}: {m.original!r} occurs {text.count(m.original)} times in "
        f"src/{m.module}; update the sample to the current code")
    path.write_text(text.replace(m.original, m.mutated), "utf-8")


def _run(tree: Path, m: Mutant) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "-m", "not e2e and not pg and not redis", *m.tests]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_the_sample_names_distinct_mutants_of_the_money_and_stock_path() -> None:
    assert len({m.name for m in SAMPLE}) == len(SAMPLE)
    assert {m.module for m in SAMPLE} == {STATES, PAYMENTS, SERVICE, LEDGER, STOCK, DROPS,
                                          LANDED, ERASURE}


def test_every_sampled_mutant_is_killed_by_the_fast_tests(tmp_path: Path) -> None:
    trees = []
    for i, m in enumerate(SAMPLE):
        tree = tmp_path / f"m{i}"
        shutil.copytree(SRC, tree, ignore=shutil.ignore_patterns("__pycache__"))
        _apply(tree, m)
        trees.append(tree)
    # The copy must be what the subprocess imports: an unmutated copy passes.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_run, trees, SAMPLE))
    survivors = [f"{m.name} ({m.module}): {' '.join(m.tests)}\n{r.stdout[-800:]}"
                 for m, r in zip(SAMPLE, results, strict=True) if r.returncode != 1]
    assert not survivors, "mutants survived (or the tests errored):\n" + "\n".join(survivors)


@pytest.mark.parametrize("module", [STATES])
def test_the_subprocess_imports_the_copy(tmp_path: Path, module: str) -> None:
    """Guard against a sample that passes because the mutant is never imported."""
    tree = tmp_path / "src"
    shutil.copytree(SRC, tree, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", "import chuhai; print(chuhai.__file__)"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()).is_relative_to(tree)


def _scripts():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import mutation_sample
        import mutation_scores
    finally:
        sys.path.pop(0)
    return mutation_sample, mutation_scores


def test_make_mutation_samples_the_same_mutants_every_time_and_every_module():
    sample, _ = _scripts()
    names = {"chuhai.big": [f"chuhai.big.x_f__mutmut_{i}" for i in range(1, 1001)],
             "chuhai.small": [f"chuhai.small.x_g__mutmut_{i}" for i in range(1, 8)],
             "chuhai.mid": [f"chuhai.mid.x_h__mutmut_{i}" for i in range(1, 101)]}
    chosen = sample.choose(names, 10, 20)
    assert chosen == sample.choose({k: list(reversed(v)) for k, v in names.items()}, 10, 20)
    per = {m: sum(n.startswith(m + ".") for n in chosen) for m in names}
    assert per["chuhai.small"] == 7  # a small module is taken whole
    assert per["chuhai.mid"] == 20  # topped up to the minimum
    assert 60 <= per["chuhai.big"] <= 140  # ~10 % of 1,000
    # Growing the sample keeps what was in it: survivors stay in view.
    assert set(chosen) <= set(sample.choose(names, 20, 20))


def test_a_sampled_score_comes_with_its_interval():
    _, scores = _scripts()
    lo, hi = scores.wilson(90, 100)
    assert 82 < lo < 90 < hi < 95
    assert scores.wilson(0, 0) == (0.0, 100.0)
    lo, hi = scores.wilson(20, 20)
    assert hi == 100.0 and 80 < lo < 90
