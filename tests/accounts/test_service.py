"""Accounts: sign-in, tokens, sessions, customers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chuhai.accounts.models import StaffProfile
from chuhai.accounts.service import Accounts
from chuhai.core.actor import Actor, ActorKind, Role
from chuhai.core.db import UnitOfWork
from chuhai.core.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from chuhai.core.secrets_store import signing_key
from tests.factories import PASSWORD, make_tenant


@pytest.fixture
def acc(stores, settings):
    return Accounts(UnitOfWork(stores), signing_key(settings))


async def test_staff_sign_in_with_the_right_password_only(acc, stores, settings):
    tenant = await make_tenant(stores, settings)
    actor = await acc.authenticate_staff(tenant.email.upper(), PASSWORD)
    assert actor.org_id == tenant.org_id and actor.role is Role.OWNER
    for email, password in ((tenant.email, "wrong-password!"), ("nobody@x.example", PASSWORD)):
        with pytest.raises(Unauthenticated) as err:
            await acc.authenticate_staff(email, password)
        assert err.value.code == "bad_credentials"


async def test_passwords_are_argon2_hashed(acc, stores, settings):
    tenant = await make_tenant(stores, settings)
    profile = await acc.uow.region("cn").get(StaffProfile, tenant.actor.subject_id)
    assert profile.password_hash.startswith("$argon2id$") and PASSWORD not in profile.password_hash


async def test_staff_of_a_chinese_org_live_in_the_cn_store(acc, stores, settings):
    tenant = await make_tenant(stores, settings, country="CN")
    assert tenant.actor.region == "cn"
    assert await acc.uow.region("cn").get(StaffProfile, tenant.actor.subject_id) is not None
    assert await acc.uow.region("eu").get(StaffProfile, tenant.actor.subject_id) is None


async def test_only_owners_manage_staff(acc, stores, settings):
    tenant = await make_tenant(stores, settings, role=Role.OPERATOR)
    with pytest.raises(Forbidden):
        await acc.create_staff(tenant.actor, "x@y.example", "X", PASSWORD, Role.HOST)


async def test_email_is_unique_across_staff_and_customers(acc, stores, settings):
    tenant = await make_tenant(stores, settings)
    with pytest.raises(Conflict):
        await acc.create_customer(tenant.email, "Dup", "US")


async def test_tokens_are_hashed_revocable_and_track_use(acc, stores, settings):
    tenant = await make_tenant(stores, settings)
    tok, raw = await acc.create_token(tenant.actor, "ci")
    assert raw.startswith("chh_") and tok.token_hash != raw and raw not in tok.token_hash
    assert (await acc.actor_for_token(raw)).subject_id == tenant.actor.subject_id
    await acc.uow.global_.refresh(tok)  # the use is recorded in a transaction of its own
    assert tok.last_used_at is not None
    await acc.revoke_token(tenant.actor, tok.id)
    with pytest.raises(Unauthenticated):
        await acc.actor_for_token(raw)


async def test_sessions_expire(acc, stores, settings):
    tenant = await make_tenant(stores, settings)
    raw, csrf = await acc.open_session(tenant.actor, timedelta(hours=1))
    actor, got_csrf = await acc.session_actor(raw)
    assert actor.subject_id == tenant.actor.subject_id and got_csrf == csrf
    expired, _ = await acc.open_session(tenant.actor, timedelta(seconds=-1))
    assert await acc.session_actor(expired) is None
    await acc.close_session(raw)
    assert await acc.session_actor(raw) is None
    assert await acc.session_actor("x" * 500) is None


async def test_customers_need_a_known_country_and_language(acc):
    with pytest.raises(InvalidInput) as err:
        await acc.create_customer("a@b.example", "A", "AQ")
    assert err.value.code == "unknown_country"
    with pytest.raises(InvalidInput) as err:
        await acc.create_customer("a@b.example", "A", "US", "xx-notalang")
    assert err.value.code == "unknown_language"


async def test_a_customer_reads_only_themself(acc):
    me = await acc.create_customer("me@b.example", "Me", "JP")
    other = await acc.create_customer("other@b.example", "Other", "JP")
    actor = Actor(ActorKind.CUSTOMER, me.id, region="apac")
    assert (await acc.get_customer(actor, me.id)).email == "me@b.example"
    with pytest.raises(Exception) as err:
        await acc.get_customer(actor, other.id)
    assert getattr(err.value, "code", "") == "not_found"


async def test_no_seller_staff_can_read_a_customer(acc, stores, settings):
    customer = await acc.create_customer("private@b.example", "Private", "DE")
    for role in (Role.OWNER, Role.PRIVACY_OFFICER):
        tenant = await make_tenant(stores, settings, role=role)
        with pytest.raises(Exception) as err:
            await acc.get_customer(tenant.actor, customer.id)
        assert getattr(err.value, "code", "") == "not_found"


async def test_a_racing_duplicate_sign_up_is_a_conflict_not_a_crash(acc):
    from chuhai.accounts.models import Customer

    acc.uow.region("us").add(Customer(id="cus_race", region="us", email="race@b.example",
                                      display_name="R", home_country="US",
                                      preferred_language="en"))
    await acc.uow.region("us").flush()
    with pytest.raises(Conflict) as err:
        await acc.create_customer("race@b.example", "Racer", "US")
    assert err.value.code == "email_taken"


async def test_org_slugs_and_names_are_validated(acc):
    for slug, name in (("Bad Slug", "x"), ("ok-slug", ""), ("x", "y"), ("ok2", "a" * 201)):
        with pytest.raises(InvalidInput):
            await acc.create_org(slug, name, "CN")


async def test_customers_sign_in_with_their_password(acc):
    await acc.create_customer("buyer@b.example", "Buyer", "JP", password="buyer-password")
    actor = await acc.authenticate_customer("Buyer@b.example", "buyer-password")
    assert actor.kind is ActorKind.CUSTOMER and actor.region == "apac"
    with pytest.raises(Unauthenticated):
        await acc.authenticate_customer("buyer@b.example", "wrong-password")
