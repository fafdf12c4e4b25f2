"""Data-subject request deadlines (privacy/deadlines.py over rules/privacy/requests.toml),
pure date arithmetic:

- a GDPR month is a calendar month from the same day number, or the month's last day when
  the month is shorter (31 January → 28 February); the extension adds two further months;
- CCPA counts its 10-business-day acknowledgement and 15-business-day opt-out in
  California's calendar (weekends, Thanksgiving and the Day After Thanksgiving do not count),
  and its 45-day answer in calendar days;
- UK GDPR's clock runs from verification (it stops while identity is checked), GDPR's from
  receipt;
- every regime a market profile names has a request rule, and a malformed rule is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from chuhai.markets.profiles import default_profiles
from chuhai.privacy import deadlines
from chuhai.privacy.deadlines import RequestRulesError, Span, add, due, parse


def at(y: int, m: int, d: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, hour, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def rules() -> dict[str, deadlines.RequestRule]:
    return deadlines.load()


# --- GDPR: calendar months -------------------------------------------------------------------

def test_a_gdpr_request_received_on_31_january_is_due_on_the_last_day_of_february(rules):
    d = due(rules["GDPR"], "access", received=at(2026, 1, 31), verified=None, country="DE")
    assert d.respond_by == at(2026, 2, 28)
    leap = due(rules["GDPR"], "access", received=at(2028, 1, 31), verified=None, country="DE")
    assert leap.respond_by == at(2028, 2, 29)


def test_a_gdpr_request_is_due_one_month_later_on_the_same_day_number(rules):
    d = due(rules["GDPR"], "erasure", received=at(2026, 3, 15, 17), verified=None,
            country="FR")
    assert d.respond_by == at(2026, 4, 15, 17)
    assert d.acknowledge_by is None  # the GDPR sets no separate acknowledgement


def test_the_gdpr_extension_adds_two_further_months(rules):
    d = due(rules["GDPR"], "access", received=at(2026, 1, 15), verified=None, country="DE")
    assert d.respond_by == at(2026, 2, 15)
    assert d.extended_by == at(2026, 4, 15)
    month_end = due(rules["GDPR"], "access", received=at(2026, 1, 31), verified=None,
                    country="DE")
    # never later than three months from receipt (31 January + 3 months = 30 April)
    assert at(2026, 4, 28) <= month_end.extended_by <= at(2026, 4, 30)


def test_the_gdpr_clock_runs_from_receipt_even_when_verification_comes_later(rules):
    d = due(rules["GDPR"], "access", received=at(2026, 3, 10), verified=at(2026, 3, 20),
            country="DE")
    assert d.respond_by == at(2026, 4, 10)


def test_the_uk_gdpr_clock_runs_from_verification(rules):
    uk = rules["UK_GDPR"]
    assert uk.clock_pauses_for_verification and not rules["GDPR"].clock_pauses_for_verification
    d = due(uk, "access", received=at(2026, 3, 10), verified=at(2026, 3, 20), country="GB")
    assert d.respond_by == at(2026, 4, 20)
    assert d.extended_by == at(2026, 6, 20)
    unverified = due(uk, "access", received=at(2026, 3, 10), verified=None, country="GB")
    assert unverified.respond_by == at(2026, 4, 10)  # until verified: from receipt


# --- CCPA: California business days ----------------------------------------------------------

# Received Monday 23 November 2026. California's calendar: Thursday 26 (Thanksgiving) and
# Friday 27 (Day After Thanksgiving, a California state holiday) are off, as are weekends.
#   business day  1 Tue 24 Nov   2 Wed 25 Nov   3 Mon 30 Nov   4 Tue 1 Dec   5 Wed 2 Dec
#                 6 Thu 3 Dec    7 Fri 4 Dec    8 Mon 7 Dec    9 Tue 8 Dec  10 Wed 9 Dec
#                11 Thu 10 Dec  12 Fri 11 Dec  13 Mon 14 Dec  14 Tue 15 Dec 15 Wed 16 Dec
THANKSGIVING_WEEK_MONDAY = at(2026, 11, 23, 15)


def test_ccpa_acknowledgement_takes_ten_california_business_days_across_thanksgiving(rules):
    d = due(rules["CCPA"], "access", received=THANKSGIVING_WEEK_MONDAY, verified=None,
            country="US")
    assert d.acknowledge_by == at(2026, 12, 9, 15)


def test_ccpa_answer_is_due_45_calendar_days_after_receipt_with_a_45_day_extension(rules):
    d = due(rules["CCPA"], "access", received=THANKSGIVING_WEEK_MONDAY, verified=None,
            country="US")
    # 7 days to 30 Nov, 31 to 31 Dec, 7 more: 7 January 2027 (weekends and holidays count)
    assert d.respond_by == at(2027, 1, 7, 15)
    assert d.extended_by == at(2027, 2, 21, 15)  # 90 days in all


def test_a_ccpa_opt_out_uses_the_15_business_day_opt_out_span(rules):
    d = due(rules["CCPA"], "opt_out", received=THANKSGIVING_WEEK_MONDAY, verified=None,
            country="US")
    assert rules["CCPA"].opt_out == Span(15, "business_days")
    assert d.respond_by == at(2026, 12, 16, 15)
    assert d.extended_by is None  # no extension of an opt-out
    assert d.acknowledge_by == at(2026, 12, 9, 15)


def test_business_days_count_only_weekends_where_the_holiday_calendar_is_unknown():
    friday = at(2026, 11, 20)
    assert add(friday, Span(1, "business_days"), country="XX") == at(2026, 11, 23)
    assert add(friday, Span(5, "business_days"), country="XX") == at(2026, 11, 27)


def test_hours_and_days_are_plain_durations():
    start = at(2026, 12, 30, 23)
    assert add(start, Span(72, "hours")) == at(2027, 1, 2, 23)
    assert add(start, Span(2, "days")) == at(2027, 1, 1, 23)


# --- the rules file --------------------------------------------------------------------------

def test_every_regime_of_every_market_profile_has_a_request_rule(rules):
    used = {r.id for p in default_profiles().values() for r in p.privacy_regimes}
    assert used and used - set(rules) == set()


def test_each_rule_is_named_after_its_regime(rules):
    assert rules["GDPR"].rule_id == "dsr.gdpr"
    assert all(r.sources for r in rules.values())


VALID = """
[[regime]]
id = "TEST"
respond = { amount = 30, unit = "days" }
source = ["https://example.org/law"]
effective_from = 2020-01-01
confidence = "high"
"""


def test_a_well_formed_rule_parses():
    (rule,) = parse(VALID)
    assert rule.id == "TEST" and rule.respond == Span(30, "days") and rule.extension is None


@pytest.mark.parametrize(("change", "problem"), [
    (('source = ["https://example.org/law"]', ""), "source"),
    (('source = ["https://example.org/law"]', 'source = ["ftp://example.org/law"]'),
     "source"),
    (('unit = "days"', 'unit = "weeks"'), "unit"),
    (("amount = 30", "amount = 0"), "positive whole amount"),
    (('respond = { amount = 30, unit = "days" }', ""), "respond is required"),
    (('confidence = "high"', 'confidence = "sure"'), "confidence"),
    (("effective_from = 2020-01-01", 'effective_from = "soon"'), "effective_from"),
], ids=["no-source", "non-http-source", "bad-unit", "zero-amount", "no-respond",
        "bad-confidence", "bad-date"])
def test_parse_refuses_a_malformed_rule(change, problem):
    old, new = change
    with pytest.raises(RequestRulesError, match=problem):
        parse(VALID.replace(old, new))


def test_parse_refuses_a_malformed_optional_span():
    with pytest.raises(RequestRulesError, match=r"TEST\.extension"):
        parse(VALID + 'extension = { amount = -1, unit = "days" }\n')
