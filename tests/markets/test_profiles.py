"""Market profiles: all 23 load and validate against pycountry, babel and zoneinfo."""

from __future__ import annotations

from datetime import date

import pytest

from chuhai.core.config import DEFAULT_REGIONS
from chuhai.markets.profiles import MarketRulesError, load_profiles, markets_dir

REQUIRED = {"US", "GB", "DE", "FR", "ES", "IT", "NL", "PL", "JP", "KR", "AU", "CA", "MX", "BR",
            "SG", "MY", "TH", "ID", "PH", "VN", "SA", "AE"}


def test_every_required_market_has_a_valid_profile():
    profiles = load_profiles(regions=frozenset(DEFAULT_REGIONS))
    assert set(profiles) >= REQUIRED


@pytest.mark.parametrize(("code", "currency", "language", "region"), [
    ("US", "USD", "en", "us"), ("DE", "EUR", "de", "eu"), ("JP", "JPY", "ja", "apac"),
    ("BR", "BRL", "pt", "us"), ("AE", "AED", "ar", "me"), ("GB", "GBP", "en", "eu"),
])
def test_key_facts(code, currency, language, region):
    p = load_profiles()[code]
    assert (p.currency.code, p.default_language, p.region_store) == (currency, language,
                                                                      region)


def test_every_fact_is_sourced_and_dated():
    for p in load_profiles().values():
        assert p.sources and p.currency.source and p.last_reviewed <= date(2026, 12, 31)
        for regime in p.privacy_regimes:
            assert regime.source and regime.effective_from


def test_regimes_in_force_follow_dates():
    gb = load_profiles()["GB"]
    assert [r.id for r in gb.regimes_on(date(2019, 6, 1))] == ["GDPR"]
    assert [r.id for r in gb.regimes_on(date(2026, 6, 1))] == ["UK_GDPR"]


def _write(tmp_path, name, text):
    (tmp_path / name).write_text(text)


def test_bad_profiles_are_reported_with_file_and_reason(tmp_path):
    good = (markets_dir() / "DE.toml").read_text()
    _write(tmp_path, "DE.toml", good.replace('code = "EUR"', 'code = "EUX"'))
    _write(tmp_path, "FR.toml", good)  # the DE profile under the wrong file name
    _write(tmp_path, "XX.toml", "code = ")
    with pytest.raises(MarketRulesError) as err:
        load_profiles(tmp_path, regions=frozenset(DEFAULT_REGIONS))
    files = {p.file for p in err.value.problems}
    assert files == {"DE.toml", "FR.toml", "XX.toml"}
    assert any("ISO 4217" in p.message for p in err.value.problems)


def test_unconfigured_region_is_reported(tmp_path):
    _write(tmp_path, "DE.toml", (markets_dir() / "DE.toml").read_text())
    with pytest.raises(MarketRulesError, match="not configured"):
        load_profiles(tmp_path, regions=frozenset({"us"}))
