"""PII in public chat: e-mail addresses, phone numbers, payment card numbers and street
addresses are replaced before broadcast and before storage. Pure.

A viewer who posts their phone number or address in a public room exposes it to thousands
of strangers and to the seller's staff. Each detector has a cheap gate first (an "@", seven
digits, a house number) because almost no chat line carries any of them and screening must
stay far under a millisecond a line:
- phone numbers: libphonenumber (the ``phonenumbers`` port) in the regions the room sells
  to, so "+49 30 901820" and "(415) 555-2671" are caught while "order 12345" is not;
- phone numbers of other countries by their shape (a leading 0 or +, digit groups, 9–13
  digits);
- cards: 13–19 digits in groups that pass the Luhn check (ISO/IEC 7812);
- identity numbers with a fixed shape (Brazil's CPF, Korea's RRN, China's resident ID);
- street addresses: a house number next to a street word in the languages we serve
  ("12 Baker Street", "Hauptstraße 5", "15 rue de Rivoli", "Jl. Sudirman No. 5",
  "東京都港区六本木1-2-3", "서울시 강남구 테헤란로 123").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

from chuhai.comms.screening.anchors import anchors

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
MASKS = {"email": "[email hidden]", "phone": "[phone hidden]", "card": "[card hidden]",
         "address": "[address hidden]", "id": "[id hidden]"}
EMAIL_MASK, PHONE_MASK = MASKS["email"], MASKS["phone"]

_SEVEN_DIGITS = re.compile(r"(?:\d[\s\-./()]{0,3}){7}")
# A national-format number of a country the room does not sell to ("0901 234 567" in a US
# room): a leading 0 or +, groups of digits; 9-13 digits in all (checked after the match).
_PHONE_SHAPE = re.compile(r"(?<![0-9A-Za-z+])(?:\+\d{1,3}[ \-.]?\d{2,4}|0\d{1,4})"
                          r"(?:[ \-.]\d{2,4}){2,3}(?![0-9A-Za-z])")
# Identity numbers with a fixed shape: Brazil's CPF (000.000.000-00), Korea's resident
# registration number (000000-0000000), China's resident ID (17 digits + digit or X).
_NATIONAL_ID = re.compile(r"(?<!\d)(?:\d{3}\.\d{3}\.\d{3}-\d{2}|\d{6}-[1-8]\d{6}|"
                          r"[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                          r"\d{3}[\dXx])(?![\dA-Za-z])")
_CARD = re.compile(r"(?<!\d)(?:\d[ \-]?){12,18}\d(?!\d)")
_STREET_WORDS = (
    r"street|st\.|avenue|ave\.?|road|rd\.|boulevard|blvd\.?|lane|drive|dr\.|court|ct\.|"
    r"way|place|pl\.|terrace|close|crescent"
)
_ADDRESS = re.compile(
    # EN: "12 Baker Street", "221B Baker St."
    r"\b\d{1,5}[a-z]?\s+(?:[A-Z][\w'\-]*\s+){1,3}(?:" + _STREET_WORDS + r")(?!\w)"
    # DE/NL: "Hauptstraße 5", "Berliner Str. 12a", "Kerkstraat 3"
    r"|\b[\wÄÖÜäöüß\-]*(?:straße|strasse|str\.|weg|gasse|allee|platz|straat|laan|gracht)"
    r"\s+\d{1,4}[a-z]?\b"
    # FR/ES/IT/PT: "15 rue de Rivoli", "Calle Mayor 3", "Rua Augusta, 100", "Via Roma 1"
    r"|\b\d{1,5}(?:bis|ter)?,?\s+(?:rue|avenue|boulevard|bd|chemin|allée|impasse|place)\s"
    r"[^\d,.!?]{2,40}"
    r"|\b(?:calle|avenida|av\.|rua|via|viale|piazza|travessa|alameda)\s+[^\d,]{2,40},?\s*"
    r"(?:n[º°o.]\s*)?\d{1,5}\b"
    # ID: "Jl. Sudirman No. 5", "Jalan Merdeka 10"
    r"|\b(?:jl\.|jln\.|jalan)\s+[^\d,]{2,40}(?:no\.?\s*)?\d{1,5}\b"
    # JA/ZH/KO: a ward/district/road marker followed by block numbers
    r"|[\u4e00-\u9fff]{0,4}[都道府県市区町村][^\s、。]{0,12}\d{1,4}(?:[-−ー丁目番地号の]\d{1,4}){1,3}"
    r"|[省市区县路街道号][^\s，。]{0,12}\d{1,5}号"
    r"|[가-힣]{1,8}(?:대로|로|길)\s?\d{1,5}(?:번길|-\d{1,4})?(?!\d|[,.]\d|\s?[개명일원시분주년월%])"
    # TH: "99/12 ซอยสุขุมวิท 21", "ถนนพระราม 4"
    r"|\d{1,4}/\d{1,4}\s*(?:ซอย|ถนน|ถ\.|หมู่ที่|หมู่)\s?[^\s\d]{0,30}\s?\d{0,4}"
    r"|ซอย\s?[^\s\d]{1,30}\s?\d{1,4}"
    # AR: "شارع الأمير سلطان، فيلا 12"
    r"|(?:شارع|طريق|حي)\s[^\d\n]{2,40}?(?:فيلا|مبنى|عمارة|شقة|رقم|بيت)\s?\d{1,5}",
    re.IGNORECASE,
)


_DIGIT = re.compile(r"\d")
# Every address match contains one of these (a street word or a CJK place marker): the
# screening engine only runs the address pattern on lines where its scan saw one.
ADDRESS_ANCHORS = anchors(_ADDRESS.pattern)


@dataclass(frozen=True)
class PiiHit:
    kind: str  # email | phone | card | address | id
    start: int
    end: int


@dataclass(frozen=True)
class Redacted:
    text: str
    kinds: tuple[str, ...]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_NON_DIGIT = re.compile(r"\D")
# Where a phone number may be: an optional "+", then digits with the separators people
# type, 7 to 15 digits in all. Each candidate is parsed with libphonenumber for the room's
# regions (and as an international number) and kept only when it is a valid number there.
_PHONE_CANDIDATE = re.compile(r"(?<![0-9A-Za-z+])\+?\(?\d[\d \-./()]{5,22}\d(?![0-9A-Za-z])")


def _phone_candidates(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _PHONE_CANDIDATE.finditer(text):
        digits = sum(c.isdigit() for c in m.group(0))
        if 7 <= digits <= 15:
            out.append((m.start(), m.end()))
    return out


def _valid_phone(candidate: str, regions: tuple[str, ...]) -> bool:
    bare = candidate.isdigit() and not candidate.startswith("0")
    for region in (*dict.fromkeys(regions), None):  # None: only "+<country code>" numbers
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        if bare and region is not None:
            # An unbroken run of digits is an order or tracking number as often as a
            # phone number: where national numbers begin with the trunk prefix 0, a run
            # without it counts only as a mobile number (China's 138…).
            meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
            if (meta is not None and meta.national_prefix == "0"
                    and phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE):
                continue
        return True
    return False


def find(text: str, regions: Iterable[str] = ("US",), *, has_digit: bool | None = None,
         address: bool = True) -> list[PiiHit]:
    """Every PII span in ``text``, longest first where two overlap. The screening engine
    passes what its scan already knows (a digit; a street word seen) to skip detectors."""
    hits: list[PiiHit] = []
    if "@" in text:
        hits += [PiiHit("email", m.start(), m.end()) for m in EMAIL.finditer(text)]
    if has_digit is None:
        has_digit = _DIGIT.search(text) is not None
    if not has_digit:
        return hits
    if _SEVEN_DIGITS.search(text):
        for m in _CARD.finditer(text):
            digits = _NON_DIGIT.sub("", m.group(0))
            if 13 <= len(digits) <= 19 and luhn_ok(digits):
                hits.append(PiiHit("card", m.start(), m.end()))
        hits += [PiiHit("id", m.start(), m.end()) for m in _NATIONAL_ID.finditer(text)]
        cards = [(h.start, h.end) for h in hits if h.kind in ("card", "id")]
        for start, end in _phone_candidates(text):
            if any(s <= start < e for s, e in cards):
                continue
            if _valid_phone(text[start:end], tuple(regions)):
                hits.append(PiiHit("phone", start, end))
        for m in _PHONE_SHAPE.finditer(text):
            count = sum(c.isdigit() for c in m.group(0))
            if 9 <= count <= 13 and not any(s <= m.start() < e for s, e in cards):
                hits.append(PiiHit("phone", m.start(), m.end()))
    if address:
        hits += [PiiHit("address", m.start(), m.end()) for m in _ADDRESS.finditer(text)]
    return _merge(hits)


def _merge(hits: list[PiiHit]) -> list[PiiHit]:
    merged: list[PiiHit] = []
    for h in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if merged and h.start < merged[-1].end:
            last = merged[-1]
            if h.end > last.end:
                merged[-1] = PiiHit(last.kind, last.start, h.end)
            continue
        merged.append(h)
    return merged


def apply(text: str, hits: list[PiiHit]) -> str:
    out = text
    for h in reversed(hits):
        out = out[:h.start] + MASKS[h.kind] + out[h.end:]
    return out


def redact(text: str, regions: Iterable[str] = ("US",)) -> Redacted:
    hits = find(text, regions)
    if not hits:
        return Redacted(text, ())
    return Redacted(apply(text, hits), tuple(dict.fromkeys(h.kind for h in hits)))
