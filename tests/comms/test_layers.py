"""Packs that several markets share (layers), findings reported once where packs overlap,
and languages whose packs serve each other — on small packs written here."""

from __future__ import annotations

import pytest

from chuhai.comms.screening.engine import Screener, one_per_law
from chuhai.comms.screening.findings import Finding
from chuhai.comms.screening.packs import PackError, load_packs, parse_pack

RULE = """
[[rule]]
id = "{id}"
category = "{category}"
lang = "{lang}"
side = "host"
match = "words"
patterns = [{patterns}]
action = "{action}"
suggestion = "Say it lawfully."
rationale = "Because."
source = ["https://eur-lex.europa.eu/eli/dir/2005/29/oj"]
effective_from = 2008-12-12
confidence = "secondary"
"""


def pack(head: str, *rules: dict[str, str]) -> str:
    return head + "".join(RULE.format(**r) for r in rules)


EU = pack('[pack]\nid = "EU"\nkind = "layer"\nmarkets = ["DE", "ES"]\n',
          {"id": "EU.ucpd.cure", "category": "health_claim", "lang": "en",
           "patterns": '"cures arthritis"', "action": "block"})
DE = pack('[pack]\nid = "DE"\nkind = "market"\nlanguages = ["de"]\n',
          {"id": "DE.health.hwg", "category": "health_claim", "lang": "de",
           "patterns": '"heilt arthrose"', "action": "warn"},
          {"id": "DE.absolute.best", "category": "absolute_claim", "lang": "de",
           "patterns": '"das beste"', "action": "warn"})
ADS_DE = pack('[pack]\nid = "ads.de"\nkind = "language"\nlanguages = ["de"]\n',
              {"id": "ads.de.health", "category": "health_claim", "lang": "de",
               "patterns": '"heilt"', "action": "warn"},
              {"id": "ads.de.best", "category": "absolute_claim", "lang": "de",
               "patterns": '"das beste produkt"', "action": "block"})
US = pack('[pack]\nid = "US"\nkind = "market"\nlanguages = ["en"]\n',
          {"id": "US.best", "category": "absolute_claim", "lang": "en",
           "patterns": '"best ever"', "action": "warn"})
ES = pack('[pack]\nid = "ES"\nkind = "market"\nlanguages = ["es"]\n',
          {"id": "ES.best", "category": "absolute_claim", "lang": "es",
           "patterns": '"el mejor"', "action": "warn"})
MS = pack('[pack]\nid = "lang.ms"\nkind = "language"\nlanguages = ["ms"]\n',
          {"id": "lang.ms.insult", "category": "insult", "lang": "ms",
           "patterns": '"kau bodoh"', "action": "block"})


def screener() -> Screener:
    return Screener(load_packs([("EU.toml", EU), ("DE.toml", DE), ("ads/de.toml", ADS_DE),
                                ("US.toml", US), ("ES.toml", ES), ("lang/ms.toml", MS)]))


def test_a_layer_applies_to_each_of_its_markets_and_no_other():
    s = screener()
    line = "This cream cures arthritis"
    assert s.screen(line, "en", "DE", "host").action == "block"
    assert s.screen(line, "en", "ES", "host").action == "block"
    assert s.screen(line, "en", "US", "host").action == "allow"
    assert "EU" not in s.markets  # a layer is not a market


def test_a_layer_must_list_its_markets():
    problems: list[str] = []
    assert parse_pack('[pack]\nid = "EU"\nkind = "layer"\n', "EU.toml", problems) is None
    assert "lists its markets" in problems[0]
    problems = []
    assert parse_pack('[pack]\nid = "EU"\nkind = "layer"\nmarkets = ["de"]\n', "EU.toml",
                      problems) is None


def test_examples_and_counter_examples_must_be_sentences():
    bad = ('[pack]\nid = "US"\nkind = "market"\ncounter_examples = [1]\n')
    with pytest.raises(PackError, match="counter_examples"):
        load_packs([("US.toml", bad)])
    rule = RULE.format(id="US.x", category="insult", lang="en", patterns='"x y"',
                       action="warn") + 'examples = ["", "fine"]\n'
    with pytest.raises(PackError, match="examples must be a list of sentences"):
        load_packs([("US.toml", '[pack]\nid = "US"\nkind = "market"\n' + rule)])


def test_the_new_classes_are_known():
    for category in ("device_claim", "cosmetic_claim", "insult"):
        text = pack('[pack]\nid = "US"\nkind = "market"\n',
                    {"id": f"US.{category}", "category": category, "lang": "en",
                     "patterns": '"x y"', "action": "warn"})
        assert load_packs([("US.toml", text)])[0].rules[0].category == category


def test_overlapping_packs_report_one_finding_per_claim_the_market_s_own_law():
    s = screener()
    v = s.screen("Das Gel heilt Arthrose", "de", "DE", "host")
    assert [f.rule for f in v.findings] == ["DE.health.hwg"]


def test_of_overlapping_findings_the_strongest_action_stays():
    s = screener()
    v = s.screen("Das beste Produkt!", "de", "DE", "host")
    assert [(f.rule, f.action) for f in v.findings] == [("ads.de.best", "block")]


def test_findings_of_different_classes_or_places_are_all_kept():
    s = screener()
    v = s.screen("Das beste Produkt heilt Arthrose", "de", "DE", "host")
    assert {f.category for f in v.findings} == {"absolute_claim", "health_claim"}


def test_one_per_law_keeps_separate_spans():
    def f(rule: str, start: int, end: int) -> Finding:
        return Finding(rule, "health_claim", "warn", start, end, "x", "https://x", "")

    kept = one_per_law([f("a", 0, 5), f("b", 10, 15), f("c", 3, 8)],
                       {"a": "market", "b": "language", "c": "language"})
    assert [k.rule for k in kept] == ["a", "b"]


def test_malay_and_indonesian_packs_serve_each_other():
    s = screener()
    assert s.screen("kau bodoh la", "id", "US", "host").action == "block"
    assert s.screen("kau bodoh la", "ms", "US", "host").action == "block"
