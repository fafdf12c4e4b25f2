"""ECB reference rates: both formats, the rate of the day, pegs, hostile files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chuhai.crossborder.fx import FxError, parse_ecb_csv, parse_pegs, parse_rates

XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
 <gesmes:subject>Reference rates</gesmes:subject>
 <Cube>
  <Cube time="2026-11-20"><Cube currency="USD" rate="1.1000"/>
   <Cube currency="JPY" rate="170.00"/></Cube>
  <Cube time="2026-11-23"><Cube currency="USD" rate="1.2000"/>
   <Cube currency="JPY" rate="180.00"/></Cube>
 </Cube>
</gesmes:Envelope>"""


def test_xml_rates_use_the_latest_publication_on_or_before_the_day() -> None:
    t = parse_rates(XML)
    assert t.per_eur("USD", date(2026, 11, 22)).per_eur == Decimal("1.1000")  # weekend
    assert t.per_eur("USD", date(2026, 11, 24)).on == date(2026, 11, 23)
    assert t.convert(Decimal("120"), "USD", "EUR", date(2026, 11, 23)) == Decimal("100")
    assert t.convert(Decimal("12"), "USD", "JPY", date(2026, 11, 23)) == Decimal("1800")
    with pytest.raises(FxError):
        t.per_eur("USD", date(2026, 11, 19))
    with pytest.raises(FxError):
        t.per_eur("KRW", date(2026, 11, 23))


def test_csv_daily_and_history_formats() -> None:
    hist = parse_ecb_csv("Date,USD,JPY,\n2026-11-23,1.2,180,\n2026-11-20,1.1,N/A,\n")
    with pytest.raises(FxError):  # N/A on the 20th: no JPY rate on or before the 21st
        hist.per_eur("JPY", date(2026, 11, 21))
    assert hist.per_eur("USD", date(2026, 11, 21)).per_eur == Decimal("1.1")
    daily = parse_ecb_csv("Date, USD, JPY, \n23 November 2026, 1.2000, 180.00, \n")
    assert daily.per_eur("USD", date(2026, 11, 23)).per_eur == Decimal("1.2000")


def test_pegs_follow_their_anchor() -> None:
    t = parse_rates(XML)
    t.pegs.update(parse_pegs('[[peg]]\ncurrency = "SAR"\nanchor = "USD"\nunits_per_anchor = '
                             '"3.75"\neffective_from = 1986-06-01\nsource = ["https://x.org"]\n'))
    assert t.convert(Decimal("3.75"), "SAR", "USD", date(2026, 11, 23)) == Decimal("1")


@pytest.mark.parametrize("data", [
    b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>",
    b"<not-closed",
    b"<x/>",
    b"Date,USD\n2026-11-23,-1\n",
    b"Date,USD\n2026-11-23,abc\n",
    b"Date,QQQ\n2026-11-23,1\n",
    b"Rate,USD\n",
    b"\xff\xfe\x00",
])
def test_hostile_or_broken_files_are_refused_with_a_code(data: bytes) -> None:
    with pytest.raises(FxError) as err:
        parse_rates(data)
    assert err.value.code == "fx_file_invalid"


def test_a_dated_central_bank_reference_converts_through_its_anchor_and_shows_its_age(
        ) -> None:
    from chuhai.crossborder.fx import parse_references
    t = parse_rates(XML)
    refs = parse_references('[[reference]]\ncurrency = "VND"\nanchor = "USD"\n'
                            'units_per_anchor = "25000"\ndate = 2025-10-06\n'
                            'source = ["https://www.sbv.gov.vn/"]\n')
    t.add_reference(refs[0])
    used = t.per_eur("VND", date(2026, 11, 24))
    # the anchor's rate of the day (USD 1.2 on 2026-11-23), dated as old as the reference
    assert (used.on, used.per_eur) == (date(2025, 10, 6), Decimal("30000.0000"))
    with pytest.raises(FxError, match="the first is 2025-10-06"):
        t.per_eur("VND", date(2025, 1, 1))
    with pytest.raises(FxError, match="needs a date and a source"):
        parse_references('[[reference]]\ncurrency = "VND"\nanchor = "USD"\n'
                         'units_per_anchor = "1"\ndate = "soon"\nsource = ["x"]\n')
