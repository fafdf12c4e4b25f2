"""Refreshing the docs' screenshots is an explicit step: the browser tests write to
docs/screenshots only under CHUHAI_SCREENSHOTS=1 (``make screenshots``), so ``make test``
leaves ``git status`` clean. No browser needed: these run with the fast tests."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.conftest import ARTIFACTS, DOCS_SCREENSHOTS, screenshot_dir

ROOT = Path(__file__).resolve().parents[2]


def test_an_ordinary_run_keeps_screenshots_out_of_the_working_tree(monkeypatch):
    monkeypatch.delenv("CHUHAI_SCREENSHOTS", raising=False)
    assert screenshot_dir().is_relative_to(ARTIFACTS)  # git ignores test-artifacts/
    monkeypatch.setenv("CHUHAI_SCREENSHOTS", "0")
    assert screenshot_dir().is_relative_to(ARTIFACTS)
    assert "test-artifacts/" in (ROOT / ".gitignore").read_text().split()


def test_screenshots_go_to_the_docs_when_asked(monkeypatch):
    monkeypatch.setenv("CHUHAI_SCREENSHOTS", "1")
    assert screenshot_dir() == DOCS_SCREENSHOTS == ROOT / "docs" / "screenshots"


def test_no_browser_test_writes_to_the_docs_by_itself():
    for test in sorted((ROOT / "tests" / "e2e").glob("test_*.py")):
        if test.name == Path(__file__).name:
            continue
        source = test.read_text("utf-8")
        assert '"docs"' not in source and "docs/screenshots\"" not in source, (
            f"{test.name} writes to docs/ directly: use screenshot_dir()")


def test_make_screenshots_refreshes_them():
    makefile = (ROOT / "Makefile").read_text("utf-8")
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M)
    assert phony and "screenshots" in phony.group(1).split()
    recipe = re.search(r"^screenshots:.*\n\t(.*)$", makefile, re.M)
    assert recipe and "CHUHAI_SCREENSHOTS=1" in recipe.group(1) and "pytest" in recipe.group(1)
    help_text = re.search(r"^help:\n((?:\t.*\n)+)", makefile, re.M)
    assert help_text and "make screenshots" in help_text.group(1)
    assert "make screenshots" in (ROOT / "README.md").read_text("utf-8")
