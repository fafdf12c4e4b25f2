"""Which market a visitor of a shop sees (chuhai.shop.catalog.pick_market).

The rule: the market asked for (a chooser's link) if the shop lists in it; else the
signed-in buyer's country if listed; else the region of the first ``Accept-Language`` tag
that names a listed market (a tag without a region names none); else None — show the
chooser.
"""

from __future__ import annotations

from chuhai.shop.catalog import Shop, pick_market

SHOP = Shop("org_1", "sonicwave", "SonicWave", frozenset(), ("DE", "JP", "US"))
NO_US = Shop("org_2", "nordwind", "Nordwind", frozenset(), ("DE", "JP"))


def pick(shop: Shop = SHOP, *, buyer_country: str | None = None,
         accept_language: str | None = None, asked: str | None = None) -> str | None:
    return pick_market(shop, buyer_country=buyer_country, accept_language=accept_language,
                       asked=asked)


# --- asked ------------------------------------------------------------------------------

def test_the_market_asked_for_wins_over_country_and_language() -> None:
    assert pick(asked="JP", buyer_country="US", accept_language="de-DE") == "JP"


def test_the_market_asked_for_is_read_case_insensitively() -> None:
    assert pick(asked="jp") == "JP"


def test_a_market_asked_for_that_the_shop_does_not_list_is_passed_over() -> None:
    assert pick(asked="FR", buyer_country="US", accept_language="de-DE") == "US"
    assert pick(asked="FR") is None


# --- buyer's country --------------------------------------------------------------------

def test_the_buyers_country_comes_next() -> None:
    assert pick(buyer_country="DE", accept_language="ja-JP") == "DE"


def test_the_buyers_country_is_read_case_insensitively() -> None:
    assert pick(buyer_country="de") == "DE"


def test_a_buyer_country_the_shop_does_not_list_is_passed_over() -> None:
    assert pick(NO_US, buyer_country="US", accept_language="ja-JP") == "JP"


# --- Accept-Language --------------------------------------------------------------------

def test_the_region_of_the_accept_language_tag_names_the_market() -> None:
    assert pick(accept_language="de-DE,de;q=0.9") == "DE"


def test_a_language_without_a_region_names_no_market() -> None:
    assert pick(accept_language="ja") is None
    assert pick(accept_language="de,ja;q=0.8") is None


def test_a_region_the_shop_does_not_list_falls_to_the_next_tag() -> None:
    assert pick(NO_US, accept_language="en-US,en;q=0.9,ja-JP;q=0.5") == "JP"


def test_the_first_listed_region_wins() -> None:
    assert pick(accept_language="ja-JP,de-DE;q=0.9,en-US;q=0.8") == "JP"


def test_the_region_is_the_last_subtag_whatever_the_case_or_separator() -> None:
    assert pick(accept_language="de-de") == "DE"
    assert pick(accept_language="ja_JP") == "JP"
    assert pick(accept_language="zh-Hant-US") == "US"


def test_a_subtag_that_is_not_a_two_letter_region_names_no_market() -> None:
    # a script (4 letters) or a UN M.49 area (3 digits) is not a country
    assert pick(accept_language="sr-Latn,es-419") is None


def test_quality_and_blanks_around_a_tag_are_ignored() -> None:
    assert pick(accept_language="  fr , de-DE ; q=0.7") == "DE"


def test_only_the_first_ten_tags_are_read() -> None:
    header = ",".join(["fr-FR"] * 10 + ["de-DE"])
    assert pick(accept_language=header) is None
    assert pick(accept_language=",".join(["fr-FR"] * 9 + ["de-DE"])) == "DE"


# --- nothing ----------------------------------------------------------------------------

def test_nothing_to_go_on_means_show_the_chooser() -> None:
    assert pick() is None
    assert pick(asked="", buyer_country="", accept_language="") is None


def test_a_shop_that_lists_nowhere_always_shows_the_chooser() -> None:
    empty = Shop("org_3", "empty", "Empty", frozenset(), ())
    assert pick(empty, asked="DE", buyer_country="DE", accept_language="de-DE") is None


def test_a_market_asked_for_is_two_letters_and_a_language_refused_with_q0_is_skipped():
    shop = Shop("org_1", "s", "S", frozenset(), ("DE", "JP"))
    assert pick_market(shop, buyer_country=None, accept_language=None, asked="DEU") is None
    assert pick_market(shop, buyer_country=None, accept_language="de-DE;q=0, ja-JP;q=0.5",
                       asked=None) == "JP"
    assert pick_market(shop, buyer_country=None, accept_language="de-DE;q=x", asked=None) \
        is None
