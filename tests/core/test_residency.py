"""Residency: a customer's personal data is written only to their home region's store."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from chuhai.accounts.models import Customer, Org, Subject
from chuhai.accounts.service import Accounts, region_for_country
from chuhai.core.db import GLOBAL, UnitOfWork, check_residency
from chuhai.core.errors import InvalidInput, ResidencyViolation
from chuhai.core.secrets_store import signing_key


@pytest.mark.parametrize(("country", "region"), [
    ("DE", "eu"), ("FR", "eu"), ("GB", "eu"), ("US", "us"), ("BR", "us"), ("JP", "apac"),
    ("ID", "apac"), ("SA", "me"), ("CN", "cn"),
])
def test_home_country_decides_the_region(country, region):
    assert region_for_country(country) == region


def test_a_country_without_a_profile_is_refused():
    with pytest.raises(InvalidInput) as err:
        region_for_country("AQ")
    assert err.value.code == "unknown_country"


async def test_customers_land_only_in_their_regions_store(stores, settings):
    uow = UnitOfWork(stores)
    acc = Accounts(uow, signing_key(settings))
    de = await acc.create_customer("lena@example.de", "Lena", "DE")
    us = await acc.create_customer("jo@example.com", "Jo", "US", "en")
    for region in stores.regions:
        emails = set((await uow.region(region).scalars(select(Customer.email))).all())
        assert ("lena@example.de" in emails) == (region == "eu")
        assert ("jo@example.com" in emails) == (region == "us")
    subject = await uow.global_.get(Subject, de.id)
    assert subject is not None and subject.region == "eu"
    assert subject.login_key != "lena@example.de"  # a keyed hash, not the address
    assert (await acc.subject_session(us.id)) is uow.region("us")
    assert de.preferred_language == "de"  # the market's default language


def test_the_guard_refuses_personal_rows_in_the_wrong_store():
    eu_customer = Customer(id="cus_1", region="eu", email="a@b.c", display_name="A",
                           home_country="DE", preferred_language="de")
    check_residency("eu", eu_customer)
    with pytest.raises(ResidencyViolation):
        check_residency("us", eu_customer)
    with pytest.raises(ResidencyViolation):
        check_residency(GLOBAL, eu_customer)
    with pytest.raises(ResidencyViolation):
        check_residency("eu", Org(id="org_1", slug="x", name="x", home_country="CN",
                                  home_region="cn"))


async def test_the_guard_fires_on_flush(stores):
    session = stores.session("us")
    session.add(Customer(id="cus_2", region="eu", email="x@y.z", display_name="X",
                         home_country="DE", preferred_language="de"))
    with pytest.raises(ResidencyViolation):
        await session.flush()
    await session.close()
