"""The consent rules: what each regime's defaults, age gates and the Global Privacy Control
signal make of a person's choices. Pure functions over the shipped rules."""

from __future__ import annotations

import datetime as dt

import pytest

from chuhai.markets.profiles import default_profiles
from chuhai.privacy import consent_policy as cp
from chuhai.privacy.consent import regimes_for

NOW = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)


def decision(purpose: str, granted: bool, source: str = "banner") -> cp.Decision:
    return cp.Decision(purpose, granted, source, NOW, "v1")


def test_every_regime_of_every_market_has_consent_rules():
    rules = cp.load()
    needed = {r.id for p in default_profiles().values() for r in p.privacy_regimes}
    assert needed - set(rules) == set()
    for rule in rules.values():
        assert rule.sources and all(s.startswith("http") for s in rule.sources)


def test_opt_in_regimes_keep_every_optional_purpose_off_until_granted():
    for market in ("DE", "GB", "BR", "KR", "CN"):
        found = cp.effective(regimes_for(market, NOW.date()), country=market, age=None,
                             decisions={}, gpc=False)
        assert found["necessary"].allowed
        assert not found["analytics"].allowed, market
        assert not found["marketing"].allowed, market
        assert found["analytics"].basis == "default_opt_in"


def test_california_is_opt_out_and_the_gpc_signal_refuses_sale_and_share():
    us = regimes_for("US", NOW.date())
    plain = cp.effective(us, country="US", age=None, decisions={}, gpc=False)
    assert plain["analytics"].allowed and plain["sale_share"].allowed
    assert plain["sale_share"].basis == "default_opt_out"
    signalled = cp.effective(us, country="US", age=None, decisions={}, gpc=True)
    assert not signalled["sale_share"].allowed
    assert signalled["sale_share"].basis == "gpc"
    assert signalled["sale_share"].rule_ids == ("consent.ccpa",)
    assert signalled["analytics"].allowed  # GPC is about selling and sharing


def test_a_banner_accept_all_does_not_outweigh_gpc_but_an_explicit_setting_does():
    us = regimes_for("US", NOW.date())
    banner = cp.effective(us, country="US", age=None, gpc=True,
                          decisions={"sale_share": decision("sale_share", True, "banner")})
    assert not banner["sale_share"].allowed
    chosen = cp.effective(us, country="US", age=None, gpc=True,
                          decisions={"sale_share": decision("sale_share", True, "settings")})
    assert chosen["sale_share"].allowed and chosen["sale_share"].basis == "granted"


def test_a_refusal_stands_and_a_grant_opens_an_opt_in_purpose():
    de = regimes_for("DE", NOW.date())
    found = cp.effective(de, country="DE", age=30, gpc=False, decisions={
        "analytics": decision("analytics", True), "marketing": decision("marketing", False)})
    assert found["analytics"].allowed and found["analytics"].basis == "granted"
    assert not found["marketing"].allowed and found["marketing"].basis == "refused"
    assert found["analytics"].rule_ids == ("consent.gdpr",)


@pytest.mark.parametrize(("market", "age", "locked"), [
    ("DE", 15, True), ("DE", 16, False), ("FR", 15, False), ("FR", 14, True),
    ("IT", 14, False), ("CN", 13, True), ("CN", 14, False), ("KR", 13, True),
    ("GB", 13, False), ("GB", 12, True),
])
def test_below_the_age_of_digital_consent_optional_purposes_stay_off(market, age, locked):
    found = cp.effective(regimes_for(market, NOW.date()), country=market, age=age, gpc=False,
                         decisions={"analytics": decision("analytics", True)})
    assert (found["analytics"].basis == "age_gate") is locked
    assert found["analytics"].allowed is (not locked)
    if locked:
        assert not found["analytics"].can_change and found["analytics"].locked_age > age


def test_a_guardians_grant_opens_an_age_locked_purpose():
    found = cp.effective(regimes_for("DE", NOW.date()), country="DE", age=12, gpc=False,
                         decisions={"analytics": decision("analytics", True, "guardian")})
    assert found["analytics"].allowed and found["analytics"].basis == "guardian"


def test_selling_a_californian_minors_data_needs_their_opt_in():
    us = regimes_for("US", NOW.date())
    teen = cp.effective(us, country="US", age=15, decisions={}, gpc=False)
    assert not teen["sale_share"].allowed and teen["sale_share"].mode == "opt_in"
    assert teen["analytics"].allowed  # only sale/share changes for 13–15
    adult = cp.effective(us, country="US", age=16, decisions={}, gpc=False)
    assert adult["sale_share"].allowed


def test_pipl_asks_separately_for_transfer_abroad():
    found = cp.effective(regimes_for("CN", NOW.date()), country="CN", age=30, decisions={},
                         gpc=False)
    assert found["transfer"].mode == "separate" and not found["transfer"].allowed
    eu = cp.effective(regimes_for("DE", NOW.date()), country="DE", age=30, decisions={},
                      gpc=False)
    assert eu["transfer"].basis == "not_required" and not eu["transfer"].can_change


def test_with_two_regimes_the_stricter_default_wins():
    loose = cp.RegimeConsent("A", {p: "opt_out" for p in cp.OPTIONAL}, "advisory", 13)
    strict = cp.RegimeConsent("B", {**{p: "opt_out" for p in cp.OPTIONAL},
                                    "marketing": "opt_in"}, "advisory", 16)
    found = cp.effective([loose, strict], country="XX", age=None, decisions={}, gpc=False)
    assert found["analytics"].allowed
    assert not found["marketing"].allowed and found["marketing"].rule_ids == ("consent.b",)


def test_no_known_regime_means_opt_in_for_everything():
    found = cp.effective([], country="XX", age=None, decisions={}, gpc=False)
    assert not any(found[p].allowed for p in cp.OPTIONAL)


@pytest.mark.parametrize(("text", "problem"), [
    ('[[regime]]\nid="X"\ngpc="advisory"\ndigital_consent_age=16\nsource=["https://a"]\n'
     'effective_from=2020-01-01\nconfidence="high"\n', "purposes.analytics"),
    ('[[regime]]\nid="X"\npurposes={analytics="maybe",personalization="opt_in",'
     'marketing="opt_in",sale_share="opt_in",transfer="opt_in"}\ngpc="advisory"\n'
     'digital_consent_age=16\nsource=["https://a"]\neffective_from=2020-01-01\n'
     'confidence="high"\n', "purposes.analytics"),
    ('[[regime]]\nid="X"\npurposes={analytics="opt_in",personalization="opt_in",'
     'marketing="opt_in",sale_share="opt_in",transfer="opt_in"}\ngpc="advisory"\n'
     'digital_consent_age=16\nsource=[]\neffective_from=2020-01-01\nconfidence="high"\n',
     "source"),
])
def test_a_broken_rules_file_is_refused_with_the_reason(text, problem):
    with pytest.raises(cp.ConsentRulesError, match=problem):
        cp.parse(text)
