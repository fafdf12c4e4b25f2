"""PII redaction for public chat: e-mail addresses and phone numbers. Pure.

A viewer who posts their phone number in a public room exposes it to thousands of strangers
and to the seller's staff; we replace it before broadcast and before storage. Phone numbers
are found with libphonenumber (the ``phonenumbers`` port) in the regions the room sells to,
so "+49 30 901820" and "(415) 555-2671" are caught while "order 12345" is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
EMAIL_MASK = "[email hidden]"
PHONE_MASK = "[phone hidden]"


@dataclass(frozen=True)
class Redacted:
    text: str
    kinds: tuple[str, ...]


def redact(text: str, regions: Iterable[str] = ("US",)) -> Redacted:
    kinds: list[str] = []
    out, n = EMAIL.subn(EMAIL_MASK, text)
    if n:
        kinds.append("email")
    spans: list[tuple[int, int]] = []
    for region in dict.fromkeys([*regions, None]):  # None: only "+<country code>" numbers
        for match in phonenumbers.PhoneNumberMatcher(out, region,
                                                     leniency=phonenumbers.Leniency.VALID):
            spans.append((match.start, match.end))
    if spans:
        kinds.append("phone")
        merged: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        for start, end in reversed(merged):
            out = out[:start] + PHONE_MASK + out[end:]
    return Redacted(out, tuple(kinds))
