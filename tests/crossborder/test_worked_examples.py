"""Worked examples: each basket's figures were worked out by hand from the rule it cites.

The data file (``worked_examples.json``) carries, per example, the rule ids, the working in
words and numbers, the basket as a buyer's checkout would send it, and the expected figures.
A failure here means the engine disagrees with a hand calculation from the cited rule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chuhai.core.errors import DomainError
from chuhai.crossborder import service

EXAMPLES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "worked_examples.json").read_text("utf-8"))
MARKETS = {ex["basket"]["destination"] for ex in EXAMPLES}


def test_there_are_at_least_forty_examples_covering_every_market_regime() -> None:
    assert len(EXAMPLES) >= 40
    assert len({ex["id"] for ex in EXAMPLES}) == len(EXAMPLES)
    from chuhai.crossborder.loader import rulebook
    assert set(rulebook().markets) <= MARKETS


@pytest.mark.parametrize("ex", EXAMPLES, ids=[ex["id"] for ex in EXAMPLES])
def test_worked_example(ex: dict[str, Any]) -> None:
    expect = dict(ex["expect"])
    if "error" in expect:
        with pytest.raises(DomainError) as err:
            service.quote_json(ex["basket"])
        assert err.value.code == expect["error"], err.value.message
        return
    out = service.quote_json(ex["basket"])
    if "lines" in expect:  # when given, one expectation per line of the quote
        line_expects = expect.pop("lines")
        assert len(out["lines"]) == len(line_expects), (ex["id"], out["lines"])
        for line_expect, line in zip(line_expects, out["lines"], strict=True):
            for key, value in line_expect.items():
                assert line[key] == value, (ex["id"], line["index"], key)
    assert len(out["lines"]) == len(ex["basket"]["items"]), ex["id"]
    if "warnings_count" in expect:
        assert len(out["warnings"]) == expect.pop("warnings_count"), out["warnings"]
    for key, value in expect.items():
        assert out[key] == value, (ex["id"], key, out[key], value)
    for rule in ex["rules"]:
        assert rule in out["rules"], (ex["id"], rule, out["rules"])
    # Every quote adds up.
    parts = ("goods_total", "shipping_total", "insurance_total", "duty_total", "tax_total",
             "fees_total")
    from decimal import Decimal
    assert sum(Decimal(out[p]) for p in parts) == Decimal(out["landed_total"])
    assert Decimal(out["collected_at_checkout"]) + Decimal(out["due_at_border"]) == Decimal(
        out["landed_total"])
