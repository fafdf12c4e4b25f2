"""The data map is sound: every regional column declares a fideslang category, no global
column holds personal data, and the check catches both mistakes."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table

from chuhai.core import datamap
from chuhai.core.db import GlobalBase, RegionalBase
from chuhai.core.migrate import target_metadata

target_metadata("global")  # import every models module


def test_the_shipped_models_have_a_sound_data_map():
    assert datamap.problems(GlobalBase.metadata, RegionalBase.metadata) == []


def test_every_regional_column_is_declared():
    for table in RegionalBase.metadata.sorted_tables:
        for col in table.columns:
            assert "pd" in col.info, f"{table.name}.{col.name} declares no category"


def test_no_global_column_holds_personal_data():
    tax = datamap.taxonomy()
    for table in GlobalBase.metadata.sorted_tables:
        for col in table.columns:
            category = col.info.get("pd")
            if category:
                assert not tax.is_personal(category) or category == datamap.PSEUDONYMOUS
            if col.name in {"email", "phone", "name", "display_name", "address"}:
                # A personal-sounding column must say explicitly that it is not personal
                # (an org's trading name is not a person's name).
                assert category == "system.operations", (
                    f"global {table.name}.{col.name} looks personal; declare it")


def test_an_undeclared_regional_column_is_reported():
    regional = MetaData()
    Table("t", regional, Column("id", String, info={"pd": "system.operations"}),
          Column("nickname", String))
    assert datamap.problems(MetaData(), regional) == [
        "regional t.nickname: no personal-data category declared"]


def test_personal_data_in_a_global_table_is_reported():
    global_md = MetaData()
    Table("g", global_md, Column("email", String, info={"pd": "user.contact.email"}))
    assert datamap.problems(global_md, MetaData()) == [
        "global g.email: personal data (user.contact.email) in a global table"]


def test_a_made_up_category_is_reported():
    regional = MetaData()
    Table("t", regional, Column("x", String, info={"pd": "user.favourite.colour"}))
    assert "not a fideslang data category" in datamap.problems(MetaData(), regional)[0]


def test_taxonomy_is_fideslang_with_licence():
    tax = datamap.taxonomy()
    assert tax.licence == "CC-BY-4.0" and len(tax.keys) >= 80
    assert {"user.contact.email", "user.name", "system.operations"} <= tax.keys


def test_personal_columns_lists_what_erasure_must_visit():
    cols = datamap.personal_columns(RegionalBase.metadata)
    assert set(cols["customers"]) >= {"email", "display_name", "home_country"}
    assert "id" not in cols["customers"]
