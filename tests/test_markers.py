"""The suite's own rules (tests/conftest.py): the ``pg`` and ``redis`` markers, and CI.

``pytest -m "not pg and not redis"`` must leave out every test that needs PostgreSQL or
Redis. The check collects the whole suite that way in a subprocess (about ten seconds),
with both server URLs set to addresses nobody listens on (so the PostgreSQL parameter
exists; collecting connects to nothing), and looks for what should not be there:

* a test on the ``postgres`` backend, or on the ``redis`` parameter of a fixture;
* a test that reaches a server through ``pg_url_or_skip``, ``redis_url_or_skip``,
  ``PG_URL`` or ``REDIS_URL`` — found here by reading the test files' syntax trees, apart
  from the conftest hook that adds the markers at collection: in the test's body, in a
  helper function of its module it calls, or in a fixture it uses (of its module or of a
  conftest.py above it), followed through fixtures that use fixtures.

What it cannot see: a test that reaches a server some other way (a URL written into the
test) — use the helpers.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import is_ci

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
SERVER_NAMES = frozenset({"pg_url_or_skip", "redis_url_or_skip", "PG_URL", "REDIS_URL"})
SERVER_PARAM = re.compile(r"\[(?:[^\]]*-)?(postgres|redis)(?:-[^\]]*)?\]$")


def _mentions(node: ast.AST) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in SERVER_NAMES:
            return True
        if isinstance(n, ast.Attribute) and n.attr in SERVER_NAMES:
            return True
        if isinstance(n, ast.alias) and (n.asname or n.name) in SERVER_NAMES:
            return True
    return False


def _fixture(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[bool, bool]:
    """(is a fixture, has params)."""
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Attribute) and target.attr == "fixture":
            params = isinstance(d, ast.Call) and any(k.arg == "params" for k in d.keywords)
            return True, params
    return False, False


Func = ast.FunctionDef | ast.AsyncFunctionDef


def _functions(tree: ast.Module) -> list[tuple[str, Func]]:
    """Module-level functions and methods of module-level classes, with their node ids."""
    out: list[tuple[str, Func]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append((node.name, node))
        elif isinstance(node, ast.ClassDef):
            out += [(f"{node.name}::{m.name}", m) for m in node.body
                    if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)]
    return out


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"), str(path))


def server_tests_by_code() -> set[str]:
    """Node ids (without parameters) of the tests that, by their code, need a server."""
    conftest_fixtures: dict[Path, dict[str, Func]] = {}
    for conf in TESTS.rglob("conftest.py"):
        conftest_fixtures[conf.parent] = {
            fn.name: fn for _, fn in _functions(_parse(conf))
            if _fixture(fn)[0] and not _fixture(fn)[1]}
    needing: set[str] = set()
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = _parse(path)
        funcs = _functions(tree)
        fixtures: dict[str, Func] = {}
        for parent in reversed([path.parent, *path.parent.parents]):  # nearest wins
            fixtures |= conftest_fixtures.get(parent, {})
        fixtures |= {fn.name: fn for _, fn in funcs if _fixture(fn)[0]}
        helpers = {fn.name: fn for name, fn in funcs if "::" not in name}
        memo: dict[int, bool] = {}

        def needs(fn: Func, helpers: dict[str, Func] = helpers,
                  fixtures: dict[str, Func] = fixtures, memo: dict[int, bool] = memo) -> bool:
            if id(fn) in memo:
                return memo[id(fn)]
            memo[id(fn)] = False  # a cycle adds nothing; a parametrized fixture marks
            if _fixture(fn)[1]:   # the params that need a server (checked by their ids)
                return False
            found = _mentions(fn)
            called = {n.func.id for n in ast.walk(fn) if isinstance(n, ast.Call)
                      and isinstance(n.func, ast.Name)}
            found = found or any(needs(helpers[c]) for c in called
                                 if c in helpers and not _fixture(helpers[c])[0])
            args = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args,
                                    *fn.args.kwonlyargs)]
            found = found or any(needs(fixtures[a]) for a in args
                                 if a in fixtures and fixtures[a] is not fn)
            memo[id(fn)] = found
            return found

        rel = path.relative_to(ROOT).as_posix()
        for name, fn in funcs:
            if fn.name.startswith("test") and not _fixture(fn)[0] and needs(fn):
                needing.add(f"{rel}::{name}")
    return needing


def collect_unmarked() -> list[str]:
    env = {**os.environ,
           "CHUHAI_TEST_PG_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/none",
           "CHUHAI_TEST_REDIS_URL": "redis://127.0.0.1:9/0"}
    env.pop("CI", None)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-m", "not pg and not redis", "tests"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return [line for line in out.stdout.splitlines() if "::" in line]


def test_no_test_that_needs_postgresql_or_redis_is_left_unmarked() -> None:
    collected = collect_unmarked()
    assert any(n.endswith("[sqlite]") or "[sqlite-" in n for n in collected), \
        "the SQLite half of the backend tests should be collected"

    on_a_server_param = [n for n in collected if SERVER_PARAM.search(n)]
    assert not on_a_server_param, on_a_server_param[:20]

    needing = server_tests_by_code()
    assert "tests/live/test_multinode.py::test_viewer_counts_are_summed_across_nodes" \
        in needing, "the scan should find tests that reach Redis through a fixture"
    unmarked = sorted({n.split("[")[0] for n in collected} & needing)
    assert not unmarked, f"tests that need a server but carry no pg/redis marker: {unmarked}"


@pytest.mark.parametrize(("value", "ci"), [
    ("true", True), ("TRUE", True), ("True", True), ("1", True), ("yes", True),
    ("Yes", True), (" true\n", True),
    (None, False), ("", False), ("false", False), ("0", False), ("no", False),
    ("on", False), ("2", False), ("truthy", False),
])
def test_ci_is_one_rule_true_1_or_yes_in_any_case(value: str | None, ci: bool) -> None:
    assert is_ci(value) is ci


def test_in_ci_follows_the_rule_in_a_fresh_interpreter() -> None:
    for value, expected in (("Yes", "True"), ("0", "False")):
        out = subprocess.run(
            [sys.executable, "-c", "from tests.conftest import IN_CI; print(IN_CI)"],
            cwd=ROOT, env={**os.environ, "CI": value}, capture_output=True, text=True,
            timeout=120)
        assert out.stdout.strip() == expected, out.stderr[-2000:]
