"""What a listing's words and a query become (search/text.py): folding, stems, compounds,
bigrams for scripts without spaces, and an expression no query can turn into FTS syntax."""

from __future__ import annotations

import re

import pytest

from chuhai.search import text


def matches(title: str, query: str, *, language: str, market: str = "DE",
            corrections: dict[str, list[str]] | None = None) -> list[str]:
    """How each query word matched the title (empty when one did not)."""
    doc = text.document(title=title, brand="", description="", attributes=[],
                        language=language, market=market, org_id="org_1")
    tokens = set(doc.title_tokens.split())
    plan = text.query(query, [language], market=market, org_id=None, corrections=corrections)
    out = []
    for unit in plan.units:
        hows = [a.how for a in unit.alternatives if all(t in tokens for t in a.tokens)]
        if not hows:
            return []
        out.append(hows[0])
    return out


@pytest.mark.parametrize(("raw", "folded"), [
    ("Geräuschunterdrückung", "gerauschunterdruckung"),
    ("ｽﾋﾟｰｶｰ", "スピーカー"),               # half-width katakana: NFKC
    ("ÉCOUTEURS", "ecouteurs"),
    ("ガジェット", "ガジェット"),            # dakuten are letters here, not accents
    ("سَمّاعات", "سماعات"),                  # Arabic short vowels dropped
    ("ภาษาไทย", "ภาษาไทย"),                # Thai vowel marks kept
    ("ＵＳＢ－Ｃ", "usb-c"),
])
def test_folding_is_what_a_buyer_would_not_notice(raw, folded):
    assert text.fold(raw) == folded


def test_accents_width_and_case_do_not_matter():
    assert matches("Kabellose Kopfhörer mit Geräuschunterdrückung", "GERAUSCHUNTERDRUCKUNG",
                   language="de") == ["exact"]
    assert matches("ポータブル Bluetooth スピーカー", "ｽﾋﾟｰｶｰ", language="ja",
                   market="JP") == ["ngram"]


def test_a_word_matches_its_other_forms_through_its_stem():
    assert matches("Tragbare Lautsprecher", "lautsprechern", language="de") == ["stem"]
    assert matches("Casques sans fil", "casque", language="fr", market="FR") == ["stem"]


@pytest.mark.parametrize(("title", "query"), [
    ("SonicWave Pocket-DAC Kopfhörerverstärker", "verstarker"),
    ("SonicWave RGB-Schreibtischlampe mit Lautsprechersockel", "lampe"),
    ("Edelstahl-Wasserflasche", "wasserflasche"),
])
def test_a_word_inside_a_compound_or_a_hyphenated_name_matches(title, query):
    assert matches(title, query, language="de") in (["compound"], ["exact"])


def test_cjk_and_thai_match_by_bigrams_even_for_two_characters():
    assert matches("SonicWave 65W GaN USB-C 充電器", "充電", language="ja",
                   market="JP") == ["ngram"]
    assert matches("无线降噪耳机", "耳机", language="zh", market="CN") == ["ngram"]
    assert matches("หูฟังไร้สาย", "หูฟัง", language="th", market="TH") == ["ngram"]
    assert matches("무선 노이즈 캔슬링 헤드폰", "헤드", language="ko", market="KR") == ["ngram"]
    assert matches("无线降噪耳机", "手机", language="zh", market="CN") == []


def test_a_typo_matches_through_the_correction_the_caller_found():
    assert matches("Mechanical keyboard", "keybord", language="en", market="US",
                   corrections={"keybord": ["keyboard"]}) == ["typo"]
    assert text.typo_distance("mic") == 0 and text.typo_distance("speker") == 1
    assert text.typo_distance("kopfhoerrer") == 2


def test_every_word_must_match():
    assert matches("Bluetooth speaker", "bluetooth speaker", language="en",
                   market="US") == ["exact", "exact"]
    assert matches("Bluetooth speaker", "bluetooth keyboard", language="en",
                   market="US") == []


@pytest.mark.parametrize("hostile", [
    '"', "*", "NEAR(a b)", "a OR b", "title_tokens:x", "-x", "^x", "x" * 10_000,
    "'; DROP TABLE search_documents; --", "😀😀", "!!!", "\u0000",
])
def test_no_query_becomes_fts_syntax(hostile):
    plan = text.query(hostile, ["en"], market="US", org_id=None)
    for dialect in ("sqlite", "postgresql"):
        expr = text.match_expression(plan, dialect)
        words = set(re.split(r"[\s()&|]+", expr)) - {"", "AND", "OR"}
        assert all(re.fullmatch(r"t[0-9a-f]{12}", w) for w in words), expr
    assert len(plan.units) <= text.MAX_UNITS


def test_punctuation_or_emoji_alone_is_an_empty_query():
    assert text.query("!!! 😀 ---", ["en"], market="US", org_id=None).empty
