"""Endorsement disclosure during a stream: a sponsored host discloses, and repeats it.

The FTC's endorsement guides (16 CFR 255, revised 2023) ask for a disclosure that is clear
and conspicuous *in* the endorsement, and for live streams that it be repeated
periodically so viewers who join late see it; the EU (UCPD Annex I no. 11, DE UWG §5a(4),
FR loi 2023-451) asks for the commercial intent to be recognisable. A room with a
``disclosure`` (a paid partnership, gifted products) shows it to every viewer; a host line
with a disclosure marker (or the disclosure's own words) counts as said; a host line when
it has not been said for ``every_s`` seconds gets a reminder finding. Pure.
"""

from __future__ import annotations

from typing import Any

from chuhai.comms.screening.packs import norm

MARKERS = ("#ad", "#ads", "#sponsored", "#spon", "sponsored", "paid partnership",
           "advertisement", "werbung", "anzeige", "publicité", "collaboration commerciale",
           "#publi", "publicidade", "publicidad", "pubblicità", "#adv", "广告", "広告",
           "#pr", "プロモーション", "광고", "협찬", "#iklan", "iklan", "โฆษณา", "quảng cáo",
           "إعلان")
SOURCES = ("https://www.ecfr.gov/current/title-16/chapter-I/subchapter-B/part-255",
           "https://www.ftc.gov/business-guidance/resources/disclosures-101-social-media-influencers")
DEFAULT_EVERY_S = 10 * 60


def discloses(text: str, disclosure: str) -> bool:
    low = norm(text)
    return norm(disclosure) in low or any(m in low for m in MARKERS)


def reminder(disclosure: str, since_s: float | None, every_s: float) -> dict[str, Any] | None:
    """The finding for a host line when the disclosure is due (never said, or said more
    than ``every_s`` seconds ago); None otherwise."""
    if since_s is not None and since_s < every_s:
        return None
    when = "not yet in this stream" if since_s is None else f"{int(since_s // 60)} min ago"
    return {
        "market": "*", "rule": "LIVE.endorsement.repeat_disclosure",
        "category": "endorsement", "action": "require_disclosure", "span": [0, 0],
        "match": "", "source": SOURCES[0], "sources": list(SOURCES),
        "suggestion": f"Say it again for viewers who just joined: “{disclosure} (#ad)” "
                      f"— last said {when}.",
        "rationale": "A live stream's disclosure of a material connection is repeated "
                     "periodically so that viewers who join late see it (16 CFR 255).",
    }
