"""Shared by the catalog tests: what Babel extracts now, to compare with a shipped template."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent.parent


def extracted(config: str, tmp_path: Path) -> set[str]:
    """The message ids Babel extracts from the tree with ``config`` (babel*.cfg)."""
    out = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    str(ROOT / config), "-k", "_", "-k", "N_", "-k", "gettext",
                    "--no-wrap", "-o", str(out), str(ROOT)], check=True, cwd=ROOT,
                   capture_output=True)
    with out.open("rb") as f:
        return {str(m.id) for m in read_po(f) if m.id}
