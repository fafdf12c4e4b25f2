"""Small core pieces: ids, guest ids, config, actor permissions."""

from __future__ import annotations

import pytest

from chuhai.core.actor import Actor, ActorKind, Perm, Role
from chuhai.core.config import Settings
from chuhai.core.db import store_specs
from chuhai.core.errors import Forbidden
from chuhai.core.guest import issue_guest_id, read_guest_id
from chuhai.core.ids import new_id


def test_ids_are_prefixed_unique_and_time_sortable():
    ids = [new_id("prd") for _ in range(1000)]
    assert len(set(ids)) == 1000 and all(i.startswith("prd_") and len(i) == 30 for i in ids)
    assert ids[0][:14] <= ids[-1][:14]


def test_guest_ids_are_signed():
    gid, signed = issue_guest_id(b"k1")
    assert read_guest_id(b"k1", signed) == gid
    assert read_guest_id(b"k2", signed) is None
    assert read_guest_id(b"k1", signed[:-2] + "xx") is None
    assert read_guest_id(b"k1", None) is None and read_guest_id(b"k1", "a" * 500) is None


# Who may do what, written out role by role (not read from ``ROLE_PERMS``): every staff
# member reads the catalog and the markets, keeps their own API tokens and may forward a
# buyer's privacy request to the platform; beyond that the owner may do everything a seller
# may, an operator runs the shop (catalog, live rooms, selling, reports, orders), a host
# presents and sees orders, a moderator keeps the chat clean, an analyst reads reports and
# orders, a privacy officer handles personal data. Only owners manage staff. The privacy
# office (``privacy:manage``) reaches every buyer, so no seller's staff hold it, whatever
# their role: only the platform's owner and privacy officers do.
EVERY_STAFF = {"catalog:read", "markets:read", "tokens:own", "privacy:forward"}
WHO_MAY = {
    "owner": {*EVERY_STAFF, "catalog:write", "staff:manage", "customers:read", "live:host",
              "live:moderate", "reports:read", "selling:manage", "orders:read"},
    "operator": {*EVERY_STAFF, "catalog:write", "live:host", "live:moderate", "reports:read",
                 "selling:manage", "orders:read"},
    "host": {*EVERY_STAFF, "live:host", "orders:read"},
    "moderator": {*EVERY_STAFF, "live:moderate"},
    "analyst": {*EVERY_STAFF, "reports:read", "orders:read"},
    "privacy_officer": {*EVERY_STAFF, "customers:read"},
}
PLATFORM_MAY = {**WHO_MAY,
                "owner": {*WHO_MAY["owner"], "privacy:manage"},
                "privacy_officer": {*WHO_MAY["privacy_officer"], "privacy:manage"}}


def test_the_roles_and_permissions_here_are_all_the_code_knows():
    assert set(WHO_MAY) == set(PLATFORM_MAY) == {r.value for r in Role}
    assert set.union(*PLATFORM_MAY.values()) == {p.value for p in Perm}


@pytest.mark.parametrize("role", sorted(WHO_MAY))
@pytest.mark.parametrize("perm", sorted(set.union(*PLATFORM_MAY.values())))
def test_each_role_has_exactly_its_permissions(role, perm):
    staff = Actor(ActorKind.STAFF, "stf_1", org_id="org_1", role=Role(role))
    assert staff.can(Perm(perm)) is (perm in WHO_MAY[role])
    if perm not in WHO_MAY[role]:
        with pytest.raises(Forbidden) as err:
            staff.require(Perm(perm))
        assert err.value.code == ("platform_only" if perm == "privacy:manage"
                                  else "permission_denied")


@pytest.mark.parametrize("role", sorted(PLATFORM_MAY))
@pytest.mark.parametrize("perm", sorted(set.union(*PLATFORM_MAY.values())))
def test_the_platforms_staff_have_their_roles_and_the_privacy_office(role, perm):
    staff = Actor(ActorKind.STAFF, "stf_2", org_id="org_platform", role=Role(role))
    assert staff.can(Perm(perm)) is (perm in PLATFORM_MAY[role])


def test_an_org_named_like_the_platform_is_not_the_platform():
    for org in ("platform", "org_platform_", "ORG_PLATFORM", None):
        owner = Actor(ActorKind.STAFF, "stf_3", org_id=org, role=Role.OWNER)
        assert not owner.on_platform and not owner.can(Perm.PRIVACY_MANAGE)
    assert not Actor(ActorKind.CUSTOMER, "cus_1", org_id="org_platform").can(
        Perm.PRIVACY_MANAGE)


def test_customers_and_guests_have_no_staff_permissions():
    customer = Actor(ActorKind.CUSTOMER, "cus_1", region="eu")
    assert not customer.can(Perm.CATALOG_READ)
    with pytest.raises(Forbidden):
        customer.org()


def test_default_stores_are_sqlite_files_per_region(tmp_path):
    specs = store_specs(Settings(data_dir=tmp_path))
    assert set(specs) == {"global", "eu", "us", "apac", "cn", "me"}
    assert specs["eu"].url.endswith("region_eu.db") and specs["eu"].schema is None


def test_postgres_url_gives_one_schema_per_store(tmp_path):
    specs = store_specs(Settings(data_dir=tmp_path, database_url="postgresql+asyncpg://h/db"))
    assert specs["global"].schema == "chuhai_global" and specs["cn"].schema == "chuhai_cn"


def test_region_urls_and_region_list_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CHUHAI_REGIONS", "eu,us")
    monkeypatch.setenv("CHUHAI_REGION_URLS", '{"eu": "sqlite+aiosqlite:////tmp/x.db"}')
    specs = store_specs(Settings(data_dir=tmp_path))
    assert set(specs) == {"global", "eu", "us"}
    assert specs["eu"].url == "sqlite+aiosqlite:////tmp/x.db"


def test_a_toml_config_file_is_read(tmp_path, monkeypatch):
    cfg = tmp_path / "chuhai.toml"
    cfg.write_text('[chuhai]\nport = 9000\nsession_ttl_hours = 2\n')
    monkeypatch.setenv("CHUHAI_CONFIG_FILE", str(cfg))
    s = Settings()
    assert s.port == 9000 and s.session_ttl_hours == 2
    monkeypatch.setenv("CHUHAI_PORT", "9100")
    assert Settings().port == 9100  # the environment wins over the file
