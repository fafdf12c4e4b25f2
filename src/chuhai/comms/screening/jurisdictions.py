"""Whose law an address is, so a finding cites the law where the line is read.

A language pack's rule serves every market that speaks the language: the English former-
price rule cites the EU's Price Indication Directive and the FTC's pricing guides, and a
line screened for the United States must name the second, a line for Germany the first.
The official law databases and regulators below say whose law an address holds; an
address not listed (a platform's community guidelines, a law firm's note) belongs to no
jurisdiction and stands in where none of the market's own law is cited.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlparse

HOSTS: dict[str, str] = {
    # European Union (the layer "EU": every member state applies it)
    "eur-lex.europa.eu": "EU", "curia.europa.eu": "EU",
    # member states
    "gesetze-im-internet.de": "DE", "legifrance.gouv.fr": "FR", "boe.es": "ES",
    "normattiva.it": "IT", "gazzettaufficiale.it": "IT", "wetten.overheid.nl": "NL",
    "zoek.officielebekendmakingen.nl": "NL", "isap.sejm.gov.pl": "PL", "uokik.gov.pl": "PL",
    # the rest of the markets
    "ecfr.gov": "US", "ftc.gov": "US", "uscode.house.gov": "US", "law.cornell.edu": "US",
    "fda.gov": "US", "govinfo.gov": "US",
    "legislation.gov.uk": "GB", "asa.org.uk": "GB", "gov.uk": "GB",
    "legislation.gov.au": "AU", "accc.gov.au": "AU", "tga.gov.au": "AU",
    "laws-lois.justice.gc.ca": "CA", "competition-bureau.canada.ca": "CA", "canada.ca": "CA",
    "legisquebec.gouv.qc.ca": "CA",
    "diputados.gob.mx": "MX", "dof.gob.mx": "MX", "gob.mx": "MX",
    "planalto.gov.br": "BR", "gov.br": "BR", "in.gov.br": "BR", "bvsms.saude.gov.br": "BR",
    "elaws.e-gov.go.jp": "JP", "laws.e-gov.go.jp": "JP", "caa.go.jp": "JP",
    "mhlw.go.jp": "JP", "moj.go.jp": "JP",
    "law.go.kr": "KR", "easylaw.go.kr": "KR",
    "flk.npc.gov.cn": "CN", "npc.gov.cn": "CN", "gov.cn": "CN", "cac.gov.cn": "CN",
    "nmpa.gov.cn": "CN",
    "sso.agc.gov.sg": "SG",
    "lom.agc.gov.my": "MY", "npra.gov.my": "MY", "pharmacy.gov.my": "MY",
    "lawphil.net": "PH", "fda.gov.ph": "PH", "dti.gov.ph": "PH",
    "thuvienphapluat.vn": "VN", "vbpl.vn": "VN",
    "krisdika.go.th": "TH", "ratchakitcha.soc.go.th": "TH", "fda.moph.go.th": "TH",
    "cosmetic.fda.moph.go.th": "TH",
    "peraturan.bpk.go.id": "ID", "jdih.pom.go.id": "ID", "pom.go.id": "ID",
    "uaelegislation.gov.ae": "AE", "u.ae": "AE",
    "laws.boe.gov.sa": "SA", "mc.gov.sa": "SA", "sfda.gov.sa": "SA",
    "dgsm.gso.org.sa": "GULF",
}


# databases holding many countries' laws: the path names the country
PATHS: dict[str, str] = {
    "sherloc.unodc.org/cld/en/legislation/sau/": "SA",
    "sherloc.unodc.org/cld/en/legislation/are/": "AE",
}


def jurisdiction(address: str) -> str | None:
    """The market or layer whose law ``address`` holds; None for anything else."""
    if not address.startswith(("http://", "https://")):
        return None
    url = urlparse(address)
    host = (url.hostname or "").removeprefix("www.")
    for prefix, place in PATHS.items():
        if (host + url.path).startswith(prefix):
            return place
    while host:
        if host in HOSTS:
            return HOSTS[host]
        _, _, host = host.partition(".")
    return None


def cited(sources: Sequence[str], places: Sequence[str]) -> tuple[str, ...]:
    """``sources`` in the order a finding for ``places`` (a market, then its layers) cites
    them: the place's own law first, then addresses of no jurisdiction (guidelines), then
    other jurisdictions' laws as models, each group in the pack's order."""
    def rank(address: str) -> int:
        where = jurisdiction(address)
        if where in places:
            return places.index(where)
        if not address.startswith(("http://", "https://")):
            return len(places) + 2  # a citation in words: never the one address shown
        return len(places) if where is None else len(places) + 1
    return tuple(sorted(sources, key=rank))
