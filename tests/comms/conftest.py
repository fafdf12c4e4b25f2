from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the screening quality table (precision/recall per category) after the run."""
    from tests.comms.test_labelled_set import REPORT

    for table in REPORT:
        terminalreporter.write_sep("-", "screening quality on the labelled set")
        terminalreporter.write_line(table)
