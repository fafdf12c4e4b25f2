"""Records of processing are generated from the code and the rules: every table holding
personal data has a purpose and a legal basis, every personal column appears with its
category, and the shipped docs/records-of-processing.md is what the generator produces
today (so it cannot drift)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.privacy.records import as_csv, as_markdown, missing_purposes, personal_tables

DOC = Path(__file__).resolve().parents[2] / "docs" / "records-of-processing.md"


def test_every_table_with_personal_data_has_a_purpose():
    assert missing_purposes() == []
    assert {"customers", "orders", "room_messages", "payments"} <= set(personal_tables())


def test_every_personal_column_is_listed_with_its_category():
    rows = list(csv.DictReader(io.StringIO(as_csv())))
    got = {(r["table"], r["column"]): r for r in rows}
    assert got[("customers", "email")]["category"] == "user.contact.email"
    assert got[("orders", "ship_street")]["legal_basis"].startswith("6(1)(b)")
    assert got[("room_messages", "text")]["retention"].startswith("90 days")


def test_the_shipped_records_are_current():
    assert DOC.read_text("utf-8") == as_markdown(), (
        "docs/records-of-processing.md is stale: run "
        "`chuhai privacy records --out docs/records-of-processing.md`")


def test_the_cli_prints_markdown_or_csv():
    runner = CliRunner()
    md = runner.invoke(app, ["privacy", "records"])
    assert md.exit_code == 0 and md.stdout.startswith("# Records of processing")
    c = runner.invoke(app, ["privacy", "records", "--format", "csv"])
    assert c.stdout.startswith("store,table,column,category")
    bad = runner.invoke(app, ["privacy", "records", "--format", "pdf"])
    assert bad.exit_code == 1 and "md or csv" in bad.output
