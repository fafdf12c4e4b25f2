"""Market profiles loaded from ``rules/markets/*.toml``.

A market profile is the country-level context every other package asks for: which currency a
price is shown in, which language a viewer reads by default, which time zones a stream is
scheduled against, which privacy regimes apply, and which regional store keeps the personal
data of a customer living there. The facts are data with sources, not code, so that a reviewer
can check each one against the address it cites.
"""

from __future__ import annotations

import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated

import pycountry
from babel import Locale, UnknownLocaleError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, model_validator

PRIVACY_REGIMES: frozenset[str] = frozenset(
    {
        "GDPR",  # EU Regulation 2016/679
        "UK_GDPR",  # UK GDPR + Data Protection Act 2018 (as amended by the DUAA 2025)
        "CCPA",  # California Consumer Privacy Act as amended by CPRA
        "PIPEDA",  # Canada
        "LFPDPPP",  # Mexico
        "LGPD",  # Brazil
        "APPI",  # Japan
        "PIPA",  # South Korea
        "PRIVACY_ACT_AU",  # Australia Privacy Act 1988
        "PDPA_SG",
        "PDPA_MY",
        "PDPA_TH",
        "PDP_ID",  # Indonesia Law 27/2022
        "DPA_PH",  # Philippines Data Privacy Act 2012
        "PDPD_VN",  # Vietnam Decree 13/2023 / PDP Law 2025
        "PDPL_SA",
        "PDPL_AE",
        "PIPL",  # China
        "DPDP",  # India
    }
)


def _country(code: str) -> str:
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _currency(code: str) -> str:
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


def _language(tag: str) -> str:
    try:
        Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"{tag!r} is not a language babel knows") from exc
    return tag


def _locale(tag: str) -> str:
    try:
        loc = Locale.parse(tag)
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"{tag!r} is not a babel locale") from exc
    if loc.territory is None:
        raise ValueError(f"locale {tag!r} must name a territory, e.g. de_DE")
    return tag


def _time_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not an IANA time zone") from exc
    return name


CountryCode = Annotated[str, AfterValidator(_country)]
CurrencyCode = Annotated[str, AfterValidator(_currency)]
LanguageTag = Annotated[str, AfterValidator(_language)]
LocaleTag = Annotated[str, AfterValidator(_locale)]
TimeZone = Annotated[str, AfterValidator(_time_zone)]


class Sourced(BaseModel):
    """Every fact carries where it comes from and when it holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: list[HttpUrl] = Field(min_length=1)
    effective_from: date
    effective_to: date | None = None

    @model_validator(mode="after")
    def _window(self) -> Sourced:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class PrivacyRegime(Sourced):
    id: str
    law: str = Field(min_length=3)

    @model_validator(mode="after")
    def _known(self) -> PrivacyRegime:
        if self.id not in PRIVACY_REGIMES:
            raise ValueError(f"unknown privacy regime {self.id!r}")
        return self


class Currency(Sourced):
    code: CurrencyCode


class MarketProfile(BaseModel):
    """One market (a country) as chuhai sells into it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: CountryCode
    name: str
    currency: Currency
    languages: list[LanguageTag] = Field(min_length=1)
    default_locale: LocaleTag
    time_zones: list[TimeZone] = Field(min_length=1)
    region_store: str = Field(pattern=r"^[a-z][a-z0-9_]{1,15}$")
    privacy_regimes: list[PrivacyRegime] = Field(min_length=1)
    sources: list[HttpUrl] = Field(min_length=1)
    last_reviewed: date

    @model_validator(mode="after")
    def _consistent(self) -> MarketProfile:
        loc = Locale.parse(self.default_locale)
        if loc.territory != self.code:
            raise ValueError(f"default_locale {self.default_locale} is not a locale of {self.code}")
        if loc.language != self.languages[0].split("-")[0]:
            raise ValueError("default_locale must be in the first (default) language")
        return self

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def regimes_on(self, day: date) -> list[PrivacyRegime]:
        """The privacy regimes in force on ``day``."""
        return [
            r
            for r in self.privacy_regimes
            if r.effective_from <= day and (r.effective_to is None or day <= r.effective_to)
        ]


@dataclass(frozen=True)
class RuleProblem:
    file: str
    message: str


class MarketRulesError(ValueError):
    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.file}: {p.message}" for p in problems))


def markets_dir() -> Path:
    return Path(str(resources.files("chuhai") / "rules" / "markets"))


def load_profiles(
    directory: Path | None = None, regions: frozenset[str] | None = None
) -> dict[str, MarketProfile]:
    """Read and validate every profile; collect all problems before failing."""
    directory = directory or markets_dir()
    profiles: dict[str, MarketProfile] = {}
    problems: list[RuleProblem] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            with path.open("rb") as fh:
                profile = MarketProfile.model_validate(tomllib.load(fh))
        except (tomllib.TOMLDecodeError, ValueError) as exc:
            problems.append(RuleProblem(path.name, str(exc)))
            continue
        if path.stem.upper() != profile.code:
            problems.append(RuleProblem(path.name, f"file name must be {profile.code}.toml"))
        profiles[profile.code] = profile
    if regions is not None:
        problems += region_problems(profiles, regions)
    if problems:
        raise MarketRulesError(problems)
    return profiles


def region_problems(profiles: Mapping[str, MarketProfile], regions: frozenset[str]
                    ) -> list[RuleProblem]:
    """Profiles whose residents' region has no configured store."""
    return [RuleProblem(f"{p.code}.toml", f"region_store {p.region_store!r} is not configured")
            for p in profiles.values() if p.region_store not in regions]


def check_regions(regions: frozenset[str]) -> None:
    """Fail at start if a market's region store is not configured (sign-ups would fail)."""
    problems = region_problems(default_profiles(), regions)
    if problems:
        raise MarketRulesError(problems)


@cache
def default_profiles() -> Mapping[str, MarketProfile]:
    return load_profiles()


def get_profile(code: str) -> MarketProfile | None:
    return default_profiles().get(code.upper())
