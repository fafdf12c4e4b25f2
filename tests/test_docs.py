"""The README stays true to the code: every setting is in its configuration table."""

from __future__ import annotations

from pathlib import Path

from chuhai.core.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [n for n in Settings.model_fields if f"`CHUHAI_{n.upper()}`" not in readme]
    assert missing == []


def test_docs_linked_from_the_readme_exist():
    readme = (ROOT / "README.md").read_text()
    for name in ("architecture", "api", "catalog-import", "rules", "deploy", "crossborder",
                 "comms"):
        assert f"docs/{name}.md" in readme and (ROOT / "docs" / f"{name}.md").exists()
