"""The screening engine on small packs written here: how patterns match (literal, words,
regex), what a verdict holds, how actions combine, and what the contract output looks like."""

from __future__ import annotations

import datetime as dt

import pytest

from chuhai.comms.screening.engine import Screener, overall
from chuhai.comms.screening.packs import PackError, load_packs, parse_pack
from chuhai.comms.screening.prices import PriceHistory, named_amounts

MARKET = """
[pack]
id = "DE"
kind = "market"
languages = ["de", "en"]

[[rule]]
id = "DE.absolute.best"
category = "absolute_claim"
lang = "de"
side = "host"
match = "words"
patterns = ["das beste", "nummer eins"]
action = "warn"
suggestion = "Belegbare Aussage statt Superlativ."
rationale = "UWG §5"
source = ["https://www.gesetze-im-internet.de/uwg_2004/__5.html"]
effective_from = 2004-07-08
confidence = "primary"

[[rule]]
id = "DE.health.cure"
category = "health_claim"
lang = "de"
side = "host"
match = "regex"
patterns = ["\\\\bheilt\\\\b"]
action = "block"
suggestion = "Keine Heilversprechen."
rationale = "HWG"
source = ["https://www.gesetze-im-internet.de/heilmwerbg/__3.html"]
effective_from = 1965-01-01
confidence = "secondary"

[[rule]]
id = "DE.endorsement.code"
category = "endorsement"
lang = "de"
side = "host"
match = "words"
patterns = ["mein rabattcode"]
unless = ["werbung", "#anzeige"]
action = "require_disclosure"
suggestion = "Kennzeichne: „Werbung – mein Rabattcode …“"
rationale = "UWG §5a(4)"
source = ["https://www.gesetze-im-internet.de/uwg_2004/__5a.html"]
effective_from = 2022-05-28
confidence = "primary"

[[rule]]
id = "DE.price.statt"
category = "price_claim"
lang = "de"
side = "host"
match = "words"
patterns = ["statt"]
action = "warn"
suggestion = "Nenne den niedrigsten Preis der letzten 30 Tage."
rationale = "PAngV §11"
source = ["https://www.gesetze-im-internet.de/pangv_2022/__11.html"]
effective_from = 2022-05-28
confidence = "primary"

[[rule]]
id = "DE.future.rule"
category = "urgency"
lang = "de"
side = "host"
match = "words"
patterns = ["nur heute"]
action = "warn"
suggestion = "x"
rationale = "a rule that is not yet in force"
source = ["https://example.org/rule"]
effective_from = 2099-01-01
confidence = "unverified"
"""

LANG_ZH = """
[pack]
id = "lang.zh"
kind = "language"
languages = ["zh"]

[[rule]]
id = "lang.zh.profanity.strong"
category = "profanity"
lang = "zh"
side = "both"
match = "literal"
patterns = ["傻逼"]
action = "block"
suggestion = "请文明发言。"
rationale = "platform rules"
source = ["https://example.org/community-guidelines"]
effective_from = 2020-01-01
confidence = "unverified"
"""

LANG_EN = """
[pack]
id = "lang.en"
kind = "language"
languages = ["en"]

[[rule]]
id = "lang.en.profanity.strong"
category = "profanity"
lang = "en"
side = "both"
match = "words"
patterns = ["ass", "#1 loser"]
action = "block"
suggestion = "Please keep the chat friendly."
rationale = "platform rules"
source = ["https://example.org/community-guidelines"]
effective_from = 2020-01-01
confidence = "unverified"
"""


def screener() -> Screener:
    return Screener(load_packs([("DE.toml", MARKET), ("lang/zh.toml", LANG_ZH),
                                ("lang/en.toml", LANG_EN)]))


S = screener()
ON = dt.date(2026, 11, 24)


def test_a_clean_line_is_allowed_and_broadcast_unchanged():
    v = S.screen("Die Jacke gibt es in S, M und L.", "de", "DE", "host", on=ON)
    assert v.action == "allow" and v.findings == () and v.redacted == v.redacted


def test_word_patterns_match_whole_words_only_in_any_case():
    assert S.screen("Das ist DAS BESTE!", "de", "DE", "host", on=ON).action == "warn"
    assert S.screen("das bestellte Paket", "de", "DE", "host", on=ON).action == "allow"
    # "ass" (English pack, mixed into every language) must not fire inside "class"
    assert S.screen("first class shipping", "de", "DE", "viewer", on=ON).action == "allow"
    assert S.screen("what an ass", "de", "DE", "viewer", on=ON).action == "block"


def test_patterns_starting_with_a_symbol_match_after_a_word():
    assert S.screen("du bist der #1 loser", "de", "DE", "viewer", on=ON).action == "block"


def test_literal_patterns_match_inside_unspaced_text():
    v = S.screen("主播是个傻逼吧", "zh", "DE", "viewer", on=ON)
    assert v.action == "block" and v.findings[0].match == "傻逼"
    assert v.findings[0].start == 4 and v.findings[0].end == 6


def test_spans_point_into_the_original_text_even_when_normalization_changes_length():
    text = "Straße: DAS BESTE"  # casefold turns ß into ss, one character into two
    v = S.screen(text, "de", "DE", "host", on=ON)
    f = v.findings[0]
    assert text[f.start:f.end] == "DAS BESTE" == f.match


def test_full_width_characters_are_normalized():
    assert S.screen("ＤＡＳ ＢＥＳＴＥ", "de", "DE", "host", on=ON).action == "warn"


def test_advertising_rules_apply_to_hosts_not_to_viewers():
    assert S.screen("das beste Produkt", "de", "DE", "viewer", on=ON).action == "allow"
    assert S.screen("das beste Produkt", "de", "DE", "host", on=ON).action == "warn"


def test_the_strongest_action_wins():
    v = S.screen("Das beste Öl, es heilt alles", "de", "DE", "host", on=ON)
    assert v.action == "block"
    assert {f.rule for f in v.findings} == {"DE.absolute.best", "DE.health.cure"}


def test_a_disclosure_in_the_same_line_lifts_the_endorsement_finding():
    assert S.screen("mein Rabattcode AMY10", "de", "DE", "host",
                    on=ON).action == "require_disclosure"
    assert S.screen("Werbung: mein Rabattcode AMY10", "de", "DE", "host",
                    on=ON).action == "allow"


def test_rules_not_yet_in_force_do_not_apply():
    assert S.screen("nur heute", "de", "DE", "host", on=ON).action == "allow"
    assert S.screen("nur heute", "de", "DE", "host",
                    on=dt.date(2099, 1, 2)).action == "warn"


def test_pii_is_redacted_and_reported_as_a_warning():
    v = S.screen("schreib mir: lena@example.de oder +49 30 901820", "de", "DE", "viewer",
                 on=ON)
    assert v.action == "warn"
    assert v.redacted == "schreib mir: [email hidden] oder [phone hidden]"
    assert {f.rule for f in v.findings} == {"PII.email", "PII.phone"}


def test_the_contract_shape():
    out = S.screen("Das beste!", "de", "DE", "host", on=ON).as_dict()
    assert out["action"] == "warn" and out["redacted"] == "Das beste!"
    f = out["findings"][0]
    assert {"rule", "category", "span", "source", "suggestion"} <= set(f)
    assert f["span"] == [0, 9] and f["source"].startswith("https://")


def test_a_former_price_above_the_30_day_low_is_blocked_in_the_eu():
    prices = PriceHistory("EUR", current_minor=4900, lowest_30d_minor=6900)
    v = S.screen("statt 99 € jetzt nur 49 €", "de", "DE", "host", on=ON, prices=prices)
    assert v.action == "block"
    omnibus = next(f for f in v.findings if f.rule == "EU.omnibus.prior_price")
    assert "69.00 EUR" in omnibus.suggestion and omnibus.match == "99 €"


def test_a_former_price_equal_to_the_30_day_low_passes_with_the_pattern_warning():
    prices = PriceHistory("EUR", current_minor=4900, lowest_30d_minor=9900)
    v = S.screen("statt 99 € jetzt nur 49 €", "de", "DE", "host", on=ON, prices=prices)
    assert v.action == "warn"


@pytest.mark.parametrize(("text", "amounts"), [
    ("statt 99 € jetzt 49,90 €", [9900, 4990]),
    ("was $1,299.00 now $999", [129900, 99900]),
    ("only €5", [500]),
    ("size 42, order 12345", []),
])
def test_amounts_are_read_with_their_currency(text, amounts):
    assert [a for a, _, _ in named_amounts(text)] == amounts


def test_overall_never_reports_suggest():
    assert overall([]) == "allow"


def test_bad_packs_list_every_problem_with_file_and_rule():
    bad = MARKET.replace('action = "warn"', 'action = "shout"', 1).replace(
        'patterns = ["\\\\bheilt\\\\b"]', 'patterns = ["(unclosed"]')
    with pytest.raises(PackError) as exc:
        load_packs([("DE.toml", bad)])
    text = "\n".join(exc.value.problems)
    assert "DE.absolute.best: action must be one of" in text
    assert "DE.health.cure: pattern '(unclosed' is not a valid regex" in text


def test_rule_ids_must_be_unique_across_packs():
    with pytest.raises(PackError, match="id already used"):
        load_packs([("DE.toml", MARKET), ("DE2.toml", MARKET.replace('id = "DE"',
                                                                     'id = "DX"', 1))])


def test_a_pack_needs_its_header():
    problems: list[str] = []
    assert parse_pack("[[rule]]\nid='x'", "x.toml", problems) is None
    assert "needs an id and kind" in problems[0]


def test_languages_without_a_pack_share_the_english_automaton():
    s = screener()
    # No Dutch pack: a Dutch line meets the market's rules and English, as an English one.
    assert s.scope("DE", "nl", "host") is s.scope("DE", "en", "host")
    assert s.scope("DE", "zh", "host") is not s.scope("DE", "en", "host")
    assert s.has_scope("DE", "nl", "host") and not s.has_scope("DE", "nl", "viewer")


def test_threads_asking_for_the_same_scope_share_one_compile():
    import threading
    import time

    s = screener()
    calls: list[int] = []
    real = s._compile

    def slow(rules):  # type: ignore[no-untyped-def]
        calls.append(1)
        time.sleep(0.05)
        return real(rules)

    s._compile = slow  # type: ignore[method-assign]
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(s.scope("DE", "zh", "viewer")))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(g) for g in got}) == 1
