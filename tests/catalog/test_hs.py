"""HS codes: 6–10 digits, formatting noise removed, the chapter must exist."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chuhai.catalog.hs import HsCodeError, chapters, normalize_hs


@pytest.mark.parametrize(("raw", "clean"), [("8518.30", "851830"), ("8518 30 00", "85183000"),
                                            ("6109.10.0012", "6109100012")])
def test_common_spellings_normalize(raw, clean):
    assert normalize_hs(raw) == clean


@pytest.mark.parametrize("bad", ["85183", "85183000001", "8518.3x", "", "770000", "990000",
                                 "000000"])
def test_bad_codes_are_refused(bad):
    with pytest.raises(HsCodeError):
        normalize_hs(bad)


def test_the_chapter_list_has_96_chapters_without_77():
    titles = chapters().titles
    assert len(titles) == 96 and "77" not in titles and "01" in titles and "97" in titles


@given(st.text(max_size=30))
def test_never_crashes_on_any_text(text):
    with contextlib.suppress(HsCodeError):
        assert normalize_hs(text).isdigit()
