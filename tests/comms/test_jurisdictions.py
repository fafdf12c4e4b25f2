"""A finding cites the law where the line is read: a language pack's rule that names the
EU's law and the FTC's cites the FTC for a line screened for the United States, the EU for
Germany, and a guideline rather than a foreign statute where neither binds."""

from __future__ import annotations

import datetime as dt

from chuhai.comms.screening.engine import Screener
from chuhai.comms.screening.jurisdictions import cited, jurisdiction
from chuhai.comms.screening.packs import load_packs, parse_pack

EU_LAW = "https://eur-lex.europa.eu/eli/dir/1998/6/oj"
US_LAW = "https://www.ecfr.gov/current/title-16/chapter-I/subchapter-B/part-233"
GUIDE = "https://support.google.com/youtube/answer/2802268"

ADS_EN = f"""
[pack]
id = "ads.en"
kind = "language"
languages = ["en"]

[[rule]]
id = "ads.en.price.former"
category = "price_claim"
lang = "en"
side = "host"
match = "words"
patterns = ["was 99 now"]
action = "warn"
suggestion = "Name the lowest price of the last 30 days."
rationale = "98/6/EC art. 6a; 16 CFR 233.1."
source = ["{EU_LAW}", "{US_LAW}"]
effective_from = 2022-05-28
in_force = {{ US = 1967-11-08 }}
confidence = "secondary"

[[rule]]
id = "ads.en.insult"
category = "insult"
lang = "en"
side = "host"
match = "words"
patterns = ["you idiot"]
action = "warn"
suggestion = "Be kind."
rationale = "Harassment."
source = ["https://www.legislation.gov.uk/ukpga/2003/21/section/127", "{GUIDE}"]
effective_from = 2003-07-25
confidence = "secondary"
"""
EU = """
[pack]
id = "EU"
kind = "layer"
markets = ["DE"]
"""


def screener() -> Screener:
    return Screener(load_packs([("ads/en.toml", ADS_EN), ("layers/EU.toml", EU)]))


def test_an_address_names_the_jurisdiction_whose_law_it_holds():
    assert jurisdiction(EU_LAW) == "EU"
    assert jurisdiction(US_LAW) == "US"  # www. and sub-domains are the same host
    assert jurisdiction("https://laws.e-gov.go.jp/law/335AC0000000145") == "JP"
    assert jurisdiction("https://sherloc.unodc.org/cld/en/legislation/sau/anti_cyber_crime_"
                        "law/article_6/article_6.html") == "SA"  # by its path
    assert jurisdiction(GUIDE) is None
    assert jurisdiction("UWG § 5") is None


def test_the_places_own_law_comes_first_then_guidelines_then_models():
    sources = (EU_LAW, "16 CFR 233.1", GUIDE, US_LAW)
    assert cited(sources, ("US",)) == (US_LAW, GUIDE, EU_LAW, "16 CFR 233.1")
    assert cited(sources, ("DE", "EU")) == (EU_LAW, GUIDE, US_LAW, "16 CFR 233.1")
    assert cited(sources, ("TH",))[0] == GUIDE


def test_a_line_for_the_united_states_cites_the_ftc_and_a_line_for_germany_the_eu():
    s = screener()
    us = s.screen("It was 99 now 49!", "en", "US", "host").findings[0]
    de = s.screen("It was 99 now 49!", "en", "DE", "host").findings[0]
    assert us.source == US_LAW and us.sources[0] == US_LAW
    assert de.source == EU_LAW and set(de.sources) == {EU_LAW, US_LAW}


def test_each_jurisdiction_binds_from_its_own_date():
    s = screener()
    line = "It was 99 now 49!"
    before_eu = dt.date(2020, 1, 1)  # the FTC's guides, yes; art. 6a not yet
    assert s.screen(line, "en", "US", "host", on=before_eu).findings
    assert not s.screen(line, "en", "DE", "host", on=before_eu).findings
    assert s.screen(line, "en", "DE", "host", on=dt.date(2022, 5, 28)).findings


def test_where_no_cited_law_binds_a_guideline_is_cited_not_a_foreign_statute():
    f = screener().screen("you idiot", "en", "US", "host").findings[0]
    assert f.source == GUIDE
    gb = Screener(load_packs([("ads/en.toml", ADS_EN)])).screen("you idiot", "en", "GB",
                                                                "host").findings[0]
    assert gb.source.startswith("https://www.legislation.gov.uk/")


def test_a_date_for_a_jurisdiction_no_address_holds_is_refused():
    problems: list[str] = []
    bad = ADS_EN.replace("in_force = { US = 1967-11-08 }", "in_force = { JP = 1962-08-15 }")
    parse_pack(bad, "ads/en.toml", problems)
    assert problems == ["ads/en.toml ads.en.price.former: in_force names JP, whose law no "
                        "source address holds"]
    problems = []
    parse_pack(ADS_EN.replace("in_force = { US = 1967-11-08 }", 'in_force = "US"'),
               "ads/en.toml", problems)
    assert len(problems) == 1 and "in_force maps" in problems[0]
    problems = []  # a time of day is not a day (and would break the date comparison)
    parse_pack(ADS_EN.replace("in_force = { US = 1967-11-08 }",
                              "in_force = { US = 1967-11-08T00:00:00 }"), "ads/en.toml", problems)
    assert len(problems) == 1 and "in_force maps" in problems[0]


def test_the_shipped_prior_price_rules_bind_in_the_eu_from_2022_05_28():
    """Art. 6a came with Directive (EU) 2019/2161, applicable from 28 May 2022; the FTC's
    Guides Against Deceptive Pricing date from 1967."""
    rules = {r.id: r for p in load_packs() for r in p.rules}
    former = [r for r in rules.values() if EU_LAW in r.sources and r.category == "price_claim"
              and r.kind == "language"]
    assert len(former) >= 20
    for r in former:
        sources, since = r.citation(("DE", "EU"))
        assert sources[0] == EU_LAW and since == dt.date(2022, 5, 28), r.id
        if US_LAW in r.sources:
            sources, since = r.citation(("US",))
            assert sources[0] == US_LAW and since == dt.date(1967, 11, 8), r.id


def test_a_stricter_common_rule_over_the_markets_own_cites_the_markets_law():
    """The shipped packs: the common English rule blocks a cure claim; Singapore's own
    cosmetic rule (a warning) names the law that binds there."""
    f = Screener(load_packs()).screen("This serum cures eczema", "en", "SG", "host").findings
    assert len(f) == 1 and f[0].action == "block"
    assert f[0].source.startswith("https://sso.agc.gov.sg/")
    assert any("eur-lex" in s for s in f[0].sources)  # the model rule's law stays listed
