"""The tariff file format and the longest-prefix lookup."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chuhai.crossborder.tariffs import MissingRate, Tariff, TariffFileError, parse_tariff_csv

HEAD = ("hs,kind,origin,duty_type,rate_percent,amount,amount_currency,per_unit,effective_from,"
        "effective_to,description,source,last_reviewed,confidence,note\n")
SRC = "https://example.org/tariff"


def row(hs: str, rate: str = "5", kind: str = "base", origin: str = "", start: str = "2022-01-01",
        end: str = "", duty_type: str = "ad_valorem", amount: str = "", cur: str = "",
        unit: str = "") -> str:
    return (f"{hs},{kind},{origin},{duty_type},{rate},{amount},{cur},{unit},{start},{end},"
            f"thing,{SRC},2026-11-24,primary,\n")


def test_a_valid_file_parses_with_stable_rule_ids() -> None:
    rows = parse_tariff_csv("US", HEAD + row("610910") + row("610910", "7.5", "additional", "CN"))
    assert [r.id for r in rows] == ["US.tariff.610910.base@2022-01-01",
                                    "US.tariff.610910.CN.additional@2022-01-01"]


def test_every_problem_is_reported_with_its_line() -> None:
    bad = HEAD + row("6109") + row("610910", "abc") + row("610910", kind="extra") + row(
        "610920", origin="CN") + row("610930", end="2020-01-01") + row(
        "610940", duty_type="specific", amount="1", cur="ZZZ", unit="kg")
    with pytest.raises(TariffFileError) as err:
        parse_tariff_csv("US", bad)
    lines = [p.line for p in err.value.problems]
    assert lines == [2, 3, 4, 5, 6, 7]
    assert "6 to 10 digits" in str(err.value)


def test_missing_columns_are_named() -> None:
    with pytest.raises(TariffFileError, match="missing column"):
        parse_tariff_csv("US", "hs,rate\n610910,5\n")


def test_longest_prefix_wins_and_windows_are_respected() -> None:
    t = Tariff("US", parse_tariff_csv("US", HEAD + row("610910", "10") + row("61091000", "12")
                                      + row("620462", "8", end="2024-12-31")
                                      + row("620462", "9", start="2025-01-01")))
    assert t.base("6109100010", date(2026, 1, 1)).rate == Decimal("12")
    assert t.base("620462", date(2024, 6, 1)).rate == Decimal("8")
    assert t.base("620462", date(2025, 6, 1)).rate == Decimal("9")
    with pytest.raises(MissingRate):
        t.base("620462", date(2021, 12, 31))


def test_a_short_code_over_lines_with_different_rates_is_ambiguous() -> None:
    t = Tariff("JP", parse_tariff_csv("JP", HEAD + row("610910010", "10.9")
                                      + row("610910020", "7.4") + row("851830010", "0")
                                      + row("851830020", "0")))
    with pytest.raises(MissingRate) as err:
        t.base("610910", date(2026, 1, 1))
    assert err.value.code == "hs_code_ambiguous"
    assert err.value.choices == ("610910010", "610910020")
    assert t.base("851830", date(2026, 1, 1)).rate == 0  # same rate under it: fine


def test_origin_surcharges_stack_and_a_short_code_cannot_hide_one() -> None:
    t = Tariff("US", parse_tariff_csv("US", HEAD + row("851830", "0")
                                      + row("85183010", "25", "additional", "CN")
                                      + row("851830", "10", "additional", "*")))
    assert [r.rate for r in t.additional("85183010", "CN", date(2026, 1, 1))] == [25, 10]
    assert [r.rate for r in t.additional("851830", "DE", date(2026, 1, 1))] == [10]
    with pytest.raises(MissingRate):
        t.additional("851830", "CN", date(2026, 1, 1))
