"""How far the cross-border facts can be trusted (chuhai/rules_review.py): ``primary`` only
from official texts (the list is data), every fact with a source and a review date, and the
queue ``chuhai rules review`` gives a person — unverified, secondary, stale, unofficial,
ending soon."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from chuhai import rules_review as rr
from chuhai.cli import app

TODAY = date(2026, 12, 6)


@pytest.mark.parametrize(("url", "is_official"), [
    ("https://www.customs.go.jp/english/tariff/2026_04/data/e_61.htm", True),
    ("https://eur-lex.europa.eu/eli/reg/2009/1186/oj", True),
    ("https://www.gesetze-im-internet.de/ustg_1980/anlage_2.html", True),
    ("https://hts.usitc.gov/reststop/file?release=currentRelease", True),
    ("https://zatca.gov.sa/en/RulesRegulations/Pages/default.aspx", True),
    ("https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip", True),
    ("https://github.com/someone/tariff-mirror", False),
    ("https://economia.uol.com.br/noticias/x.htm", False),
    ("https://www.scribd.com/document/1/China-Tariffs", False),
    ("https://customs.go.jp.evil.example/", False),    # a look-alike host
    ("https://notgov.example/gov", False),
    ("not a url", False),
])
def test_official_means_a_listed_official_site(url, is_official):
    assert rr.official(url) is is_official


def fact(**over) -> rr.Fact:
    base = {"id": "XX.rule.one", "market": "XX", "kind": "rule", "confidence": "secondary",
            "sources": ("https://www.customs.go.jp/x",), "last_reviewed": date(2026, 11, 24),
            "effective_to": None}
    return rr.Fact(**{**base, **over})


def test_a_primary_fact_from_the_news_or_without_a_source_or_date_is_refused():
    assert rr.problems([fact(confidence="primary")]) == []
    news = fact(confidence="primary", sources=("https://economia.uol.com.br/x",))
    assert "labelled primary, but no source is an official text" in rr.problems([news])[0]
    assert rr.problems([fact(sources=())]) == ["XX.rule.one: no source"]
    assert rr.problems([fact(last_reviewed=None)]) == ["XX.rule.one: no review date"]


def test_the_queue_sorts_what_needs_a_person_by_reason():
    facts = [fact(id="XX.a", confidence="unverified"),
             fact(id="XX.b", last_reviewed=date(2026, 5, 1)),                # 219 days
             fact(id="XX.c", sources=("https://github.com/x",)),
             fact(id="XX.d", confidence="primary", effective_to=date(2027, 1, 31)),
             fact(id="XX.e", confidence="primary", effective_to=date(2027, 6, 1)),
             fact(id="YY.f", market="YY", confidence="unverified")]
    q = rr.queue(facts, TODAY, "XX")
    assert [f.id for f in q["unverified"]] == ["XX.a"]
    assert [f.id for f in q["stale"]] == ["XX.b"]
    assert [f.id for f in q["unofficial_sources"]] == ["XX.c"]
    assert [f.id for f in q["ending_soon"]] == ["XX.d"]  # within 90 days
    assert {f.id for f in q["secondary"]} == {"XX.b", "XX.c"}


def test_the_shipped_rules_have_no_mislabelled_fact():
    facts = rr.facts()
    assert len(facts) > 400 and {f.kind for f in facts} == {"rule", "tariff", "restriction",
                                                   "lane"}
    assert rr.problems(facts) == []


def test_the_review_command_prints_the_queue_and_its_counts():
    runner = CliRunner()
    text = runner.invoke(app, ["rules", "review", "--market", "VN"])
    assert text.exit_code == 0, text.output
    assert "facts in VN" in text.output and "unverified:" in text.output
    as_json = runner.invoke(app, ["rules", "review", "--json"])
    report = json.loads(as_json.stdout)
    assert set(report["queue"]) == {"unverified", "secondary", "stale", "unofficial_sources",
                                    "ending_soon"}
    assert report["facts"] == sum(report["by_confidence"].values())
