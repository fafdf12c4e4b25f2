"""A ship-to address in the destination's own format (chuhai.checkout.addresses).

The rules: the form shows the fields a country's addresses have, in that country's order,
with its states or prefectures as choices; an address is normalized the way the
destination's post writes it — the buyer's own spelling of street and city kept, the region
made the post's own name, the phone number made E.164 — or refused as ``invalid_address``
with one problem per field, named ``ship_to.<field>``; the address prints in the
destination's line order.
"""

from __future__ import annotations

from typing import Any

import pytest

from chuhai.checkout.addresses import Address, FieldRule, form, lines, normalize
from chuhai.core.errors import InvalidInput

US = {"name": "Ann Buyer", "street": "1 Main St", "city": "Portland", "region": "OR",
      "postal_code": "97201", "country": "US"}
DE = {"name": "Lena Käufer", "street": "Hauptstr. 1", "city": "Berlin",
      "postal_code": "10115", "country": "DE"}
JP = {"name": "Sato Hanako", "street": "1-1 Chiyoda", "region": "東京都",
      "postal_code": "100-0001", "country": "JP"}
AE = {"name": "Omar Buyer", "street": "Sheikh Zayed Rd 1", "region": "Dubai", "country": "AE"}


def names(rules: list[FieldRule]) -> list[str]:
    return [r.name for r in rules]


def field(rules: list[FieldRule], name: str) -> FieldRule:
    return next(r for r in rules if r.name == name)


def refused(data: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        normalize(data)
    assert caught.value.code == "invalid_address"
    return caught.value


def problem_fields(err: InvalidInput) -> set[str]:
    return {p.field for p in err.problems}


# --- form ------------------------------------------------------------------------------

def test_japan_form_puts_the_postal_code_first_then_the_prefecture_then_the_street() -> None:
    assert names(form("JP")) == ["postal_code", "region", "street"]


def test_japan_form_has_no_city_field_the_ward_belongs_to_the_street_line() -> None:
    assert "city" not in names(form("JP"))


def test_japan_region_is_a_required_prefecture_choice_that_includes_tokyo() -> None:
    region = field(form("JP"), "region")
    values = [value for value, _label in region.choices]
    assert region.required
    assert "東京都" in values
    assert len(values) == 47  # one per prefecture


def test_each_region_choice_appears_once_under_its_local_name() -> None:
    # the data lists each prefecture under its local and its Latin name: the form keeps one
    region = field(form("JP"), "region")
    values = [value for value, _label in region.choices]
    assert len(values) == len(set(values))
    assert ("東京都", "Tokyo") in region.choices
    assert "Tokyo" not in values


def test_germany_form_asks_street_postal_code_and_city_all_required() -> None:
    rules = form("DE")
    assert names(rules) == ["street", "postal_code", "city"]
    assert all(r.required for r in rules)


def test_germany_form_has_no_region_and_no_choices() -> None:
    rules = form("DE")
    assert "region" not in names(rules)
    assert all(r.choices == () for r in rules)


def test_emirates_form_has_no_postal_code_and_a_required_emirate() -> None:
    rules = form("AE")
    assert "postal_code" not in names(rules)
    emirate = field(rules, "region")
    assert emirate.required
    assert len(emirate.choices) == 7  # the seven emirates
    assert "Dubai" in {label for _value, label in emirate.choices}


def test_us_form_region_choices_are_state_codes() -> None:
    rules = form("US")
    assert names(rules) == ["street", "city", "region", "postal_code"]
    assert ("OR", "Oregon") in field(rules, "region").choices


def test_country_code_is_case_insensitive_in_the_form() -> None:
    assert form("jp") == form("JP")


def test_unknown_country_falls_back_to_street_city_postal_code_all_required() -> None:
    assert form("XX") == [FieldRule("street", True), FieldRule("city", True),
                          FieldRule("postal_code", True)]


# --- normalize -------------------------------------------------------------------------

def test_a_valid_address_becomes_an_address_with_the_country_upper_cased() -> None:
    assert normalize({**DE, "country": "de"}) == Address(
        name="Lena Käufer", street="Hauptstr. 1", city="Berlin", region="",
        postal_code="10115", country="DE", phone="")


def test_buyer_spelling_of_street_and_city_is_kept_only_blanks_trimmed() -> None:
    # the library upper-cases some countries' cities for sorting machines; we do not
    a = normalize({**DE, "street": "  Hauptstr. 1 ", "city": " berlin "})
    assert (a.street, a.city) == ("Hauptstr. 1", "berlin")


def test_us_state_given_in_lower_case_becomes_the_posts_code() -> None:
    assert normalize({**US, "region": "or"}).region == "OR"


def test_us_state_given_by_name_becomes_the_posts_code() -> None:
    assert normalize({**US, "region": "Oregon"}).region == "OR"


def test_japan_prefecture_given_in_latin_becomes_its_local_name() -> None:
    assert normalize({**JP, "region": "Tokyo"}).region == "東京都"


def test_japan_city_is_folded_into_the_head_of_the_street_line() -> None:
    a = normalize({**JP, "city": "Chiyoda-ku"})
    assert a.street == "Chiyoda-ku 1-1 Chiyoda"
    assert a.city == ""


def test_emirates_address_needs_no_postal_code_and_names_the_emirate_locally() -> None:
    a = normalize(AE)
    assert a.postal_code == ""
    assert a.region == next(v for v, label in field(form("AE"), "region").choices
                            if label == "Dubai")


def test_phone_is_written_in_e164_using_the_destination_as_default_region() -> None:
    assert normalize({**US, "phone": "(503) 555-0100"}).phone == "+15035550100"
    assert normalize({**DE, "phone": "030 12345678"}).phone == "+493012345678"
    assert normalize({**JP, "phone": "03-1234-5678"}).phone == "+81312345678"


def test_a_phone_in_international_format_keeps_its_own_country() -> None:
    assert normalize({**US, "phone": "+49 30 12345678"}).phone == "+493012345678"


def test_no_phone_given_means_an_empty_phone() -> None:
    assert normalize(US).phone == ""


def test_a_postal_code_of_the_wrong_shape_is_refused_on_that_field() -> None:
    err = refused({**DE, "postal_code": "1011"})
    assert problem_fields(err) == {"ship_to.postal_code"}


def test_japan_postal_code_must_be_digits() -> None:
    err = refused({**JP, "postal_code": "ABC"})
    assert problem_fields(err) == {"ship_to.postal_code"}


def test_every_missing_required_field_is_named_in_our_own_field_names() -> None:
    err = refused({**DE, "street": "", "city": ""})
    assert problem_fields(err) == {"ship_to.street", "ship_to.city"}
    assert all(p.reason == "is required in this country" for p in err.problems)


def test_a_missing_prefecture_is_refused_as_region() -> None:
    err = refused({**JP, "region": ""})
    assert problem_fields(err) == {"ship_to.region"}


def test_a_state_the_country_does_not_have_is_refused_as_region() -> None:
    err = refused({**US, "region": "XX"})
    assert problem_fields(err) == {"ship_to.region"}


def test_a_phone_that_cannot_be_dialled_is_refused_as_phone() -> None:
    for bad in ("123", "not a phone"):
        err = refused({**US, "phone": bad})
        assert problem_fields(err) == {"ship_to.phone"}


def test_a_bad_phone_is_reported_together_with_the_address_problems() -> None:
    err = refused({**DE, "postal_code": "1011", "phone": "123"})
    assert problem_fields(err) == {"ship_to.postal_code", "ship_to.phone"}


def test_an_unknown_country_is_refused_as_invalid_address_on_country() -> None:
    err = refused({**DE, "country": "ZZ"})
    assert problem_fields(err) == {"ship_to.country"}


def test_no_country_at_all_is_refused_on_country() -> None:
    data = {k: v for k, v in DE.items() if k != "country"}
    err = refused(data)
    assert problem_fields(err) == {"ship_to.country"}


def test_invalid_address_is_a_422() -> None:
    assert refused({**DE, "postal_code": "1011"}).status == 422


# --- lines -----------------------------------------------------------------------------

def test_japan_lines_start_with_the_postal_mark_then_prefecture_street_and_name() -> None:
    out = lines(normalize(JP))
    assert out[:4] == ["〒100-0001", "東京都", "1-1 Chiyoda", "Sato Hanako"]


def test_germany_lines_start_with_the_name_then_street_then_postal_code_before_city() -> None:
    out = lines(normalize(DE))
    assert out[:2] == ["Lena Käufer", "Hauptstr. 1"]
    postal_city = out[2]
    assert postal_city.startswith("10115 ")
    assert postal_city.split(" ", 1)[1].casefold() == "berlin"


def test_lines_end_with_the_country() -> None:
    assert lines(normalize(DE))[-1] == "GERMANY"
    assert lines(normalize(JP))[-1] == "JAPAN"


def test_lines_leave_out_blank_lines() -> None:
    out = lines(normalize({**DE, "name": ""}))
    assert all(ln.strip() for ln in out)
    assert out[0] == "Hauptstr. 1"


def test_a_postal_code_and_phone_typed_in_full_width_or_arabic_digits_are_the_same() -> None:
    japan = normalize({**JP, "postal_code": "１００－０００１",
                       "phone": "０３－１２３４－５６７８"})
    assert (japan.postal_code, japan.phone) == ("100-0001", "+81312345678")
    riyadh = normalize({"name": "Noura", "street": "King Fahd Rd 1", "city": "Riyadh",
                        "postal_code": "١٢٢١١", "country": "SA", "phone": "٠٥٠١٢٣٤٥٦٧"})
    assert (riyadh.postal_code, riyadh.phone) == ("12211", "+966501234567")
