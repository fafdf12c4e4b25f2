"""Installing chuhai prints no deprecation warnings: setuptools ≥ 77 reads the licence as an
SPDX expression; the old ``{ text = … }`` table warned on every install and stops working
in 2027."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_licence_is_an_spdx_expression_for_a_setuptools_that_reads_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "Apache-2.0"
    setuptools = next(r for r in project["build-system"]["requires"]
                      if r.startswith("setuptools"))
    minimum = re.search(r">=\s*(\d+)", setuptools)
    assert minimum is not None and int(minimum.group(1)) >= 77
