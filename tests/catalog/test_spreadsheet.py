"""Reading a seller's CSV: rows grouped into products, every problem named by line and
column, and nothing returned when anything is wrong."""

from __future__ import annotations

from chuhai.catalog.spreadsheet import parse_catalog_csv

HEADER = ("product_code,title,hs_code,origin_country,weight_g,customs_value,"
          "customs_currency,certifications,sku_code,sku_attributes,US_title,US_price,"
          "JP_title,JP_price\n")
GOOD = HEADER + (
    "ANC1,ANC headphones,851830,CN,285,32.00,USD,CE;FCC,ANC1-BLK,color=black,"
    "ANC headphones,89.00,ヘッドホン,12800\n"
    "ANC1,,,,,,,,ANC1-WHT,color=white,,,,\n"
    "LAMP,Desk lamp,9405.21,CN,900,15.00,USD,,,,Desk lamp,49.00,,\n"
)


def test_rows_of_one_product_become_its_skus():
    products, problems = parse_catalog_csv(GOOD)
    assert problems == []
    anc, lamp = (p.product for p in products)
    assert [s.code for s in anc.skus] == ["ANC1-BLK", "ANC1-WHT"]
    assert anc.skus[1].attributes == {"color": "white"}
    assert {li.market: str(li.price) for li in anc.listings} == {"US": "89.00", "JP": "12800"}
    assert anc.certifications == ["CE", "FCC"]
    assert lamp.hs_code == "940521" and lamp.skus == [] and len(lamp.listings) == 1


def test_semicolon_separated_files_from_european_excel_are_read():
    text = GOOD.replace(",", ";").replace("CE;FCC", "CE FCC")
    text = text.replace("color=black", "color=black").replace("ANC1;ANC", "ANC1;ANC")
    products, problems = parse_catalog_csv(text)
    assert problems == [] and len(products) == 2


def test_every_problem_has_line_column_and_reason():
    bad = HEADER + (
        "A1,Earbuds,8518,CN,60,14.50,USD,,,,Earbuds,39.00,,\n"      # line 2: HS too short
        "A2,Cable,854442,XX,60,1.2,USD,,,,Cable,12,Cable,12.5\n"    # line 3: origin, JPY
        "A3,,854442,CN,-5,1,USD,,,,,,,\n"                           # line 4: title, weight
    )
    products, problems = parse_catalog_csv(bad)
    assert products == []
    found = {(p.line, p.field) for p in problems}
    assert (2, "hs_code") in found
    assert (3, "origin_country") in found
    assert (3, "JP_price") in found
    assert (4, "title") in found and (4, "weight_g") in found
    assert all(p.reason for p in problems)


def test_conflicting_product_fields_across_rows_are_reported():
    text = HEADER + ("B1,Speaker,851822,CN,540,21,USD,,B1-R,color=red,Speaker,59,,\n"
                     "B1,Speaker,851830,CN,540,21,USD,,B1-B,color=blue,,,,\n")
    _, problems = parse_catalog_csv(text)
    assert [(p.line, p.field) for p in problems] == [(3, "hs_code")]
    assert "differs from line 2" in problems[0].reason


def test_unknown_and_duplicate_columns_and_unknown_markets_are_header_errors():
    _, problems = parse_catalog_csv("product_code,title,colour,title,ZZ_price\nX,Y,red,Y,1\n")
    assert {(p.line, p.field) for p in problems} == {(1, "colour"), (1, "title"),
                                                     (1, "ZZ_price")}


def test_empty_and_headless_files_are_refused():
    assert parse_catalog_csv("")[1][0].reason == "the file is empty"
    assert parse_catalog_csv("title\nx\n")[1][0].field == "product_code"
    assert parse_catalog_csv(HEADER)[1][0].reason == "no product rows"


def test_bad_sku_attributes_and_visibility_are_explained():
    text = ("product_code,title,hs_code,origin_country,weight_g,customs_value,"
            "customs_currency,sku_code,sku_attributes,US_title,US_price,US_visible\n"
            "C1,Case,420292,CN,150,3.2,USD,C1-A,colour,Case,15,maybe\n")
    _, problems = parse_catalog_csv(text)
    assert {(p.line, p.field) for p in problems} == {(2, "sku_attributes"), (2, "US_visible")}


def test_hostile_text_is_kept_as_text_and_control_characters_dropped():
    text = HEADER + ('X1,"<script>alert(1)</script>\x07",851830,CN,1,1,USD,,,,'
                     '"=HYPERLINK(""http://evil"")",1.00,,\n')
    products, problems = parse_catalog_csv(text)
    assert problems == []
    assert products[0].product.title == "<script>alert(1)</script>"
