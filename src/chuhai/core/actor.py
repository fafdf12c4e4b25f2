"""Who is acting, and what their role lets them do. Pure: no I/O.

Every service call takes an ``Actor``; tenancy (which org's rows) and permission (which
verbs) are both decided from it, in one place, before a query is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chuhai.core.errors import Forbidden


class Role(StrEnum):
    OWNER = "owner"
    OPERATOR = "operator"
    HOST = "host"
    MODERATOR = "moderator"
    ANALYST = "analyst"
    PRIVACY_OFFICER = "privacy_officer"


class Perm(StrEnum):
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    MARKETS_READ = "markets:read"
    STAFF_MANAGE = "staff:manage"
    TOKENS_OWN = "tokens:own"
    CUSTOMERS_READ = "customers:read"
    LIVE_HOST = "live:host"
    LIVE_MODERATE = "live:moderate"
    REPORTS_READ = "reports:read"
    PRIVACY_MANAGE = "privacy:manage"
    SELLING = "selling:manage"  # warehouses, stock, drops, auctions, order changes, webhooks
    ORDERS_READ = "orders:read"
    PRIVACY_FORWARD = "privacy:forward"  # hand a buyer's request on to the platform


# The platform (the marketplace itself) is an org of its own with this fixed id, so the
# check costs no look-up; its slug is a setting (CHUHAI_PLATFORM_ORG). Seller org ids are
# ``org_`` + 26 characters (core.ids.new_id), so no seller can ever hold this one.
PLATFORM_ORG_ID = "org_platform"

# Buyers are the platform's customers, not a seller's: whatever reaches across every buyer
# (the privacy office: requests, erasure, export, consent statistics, the transfer register,
# the audit log) is for the platform's own staff only, whatever role a seller's staff hold.
PLATFORM_PERMS: frozenset[Perm] = frozenset({Perm.PRIVACY_MANAGE})


# Anyone on a seller's staff may receive a buyer's privacy request (in chat, by e-mail) and
# must be able to pass it on; forwarding reveals nothing about the buyer.
_EVERY_STAFF = {Perm.CATALOG_READ, Perm.MARKETS_READ, Perm.TOKENS_OWN, Perm.PRIVACY_FORWARD}

ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.OWNER: frozenset(Perm),
    Role.OPERATOR: frozenset(
        _EVERY_STAFF | {Perm.CATALOG_WRITE, Perm.LIVE_HOST, Perm.LIVE_MODERATE, Perm.REPORTS_READ,
                        Perm.SELLING, Perm.ORDERS_READ}
    ),
    Role.HOST: frozenset(_EVERY_STAFF | {Perm.LIVE_HOST, Perm.ORDERS_READ}),
    Role.MODERATOR: frozenset(_EVERY_STAFF | {Perm.LIVE_MODERATE}),
    Role.ANALYST: frozenset(_EVERY_STAFF | {Perm.REPORTS_READ, Perm.ORDERS_READ}),
    Role.PRIVACY_OFFICER: frozenset(_EVERY_STAFF | {Perm.PRIVACY_MANAGE, Perm.CUSTOMERS_READ}),
}


class ActorKind(StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"
    GUEST = "guest"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    subject_id: str
    org_id: str | None = None
    role: Role | None = None
    region: str | None = None

    @classmethod
    def system(cls, org_id: str | None = None) -> Actor:
        """For the CLI and seeding: full rights, optionally scoped to one org."""
        return cls(ActorKind.SYSTEM, "system", org_id=org_id, role=Role.OWNER)

    @property
    def on_platform(self) -> bool:
        """Staff of the platform org (or the CLI), who act for the platform, not a seller."""
        return self.kind is ActorKind.SYSTEM or (self.kind is ActorKind.STAFF
                                                 and self.org_id == PLATFORM_ORG_ID)

    def can(self, perm: Perm) -> bool:
        if self.kind is ActorKind.SYSTEM:
            return True
        if self.kind is not ActorKind.STAFF or self.role is None:
            return False
        if perm in PLATFORM_PERMS and not self.on_platform:
            return False
        return perm in ROLE_PERMS[self.role]

    def require(self, perm: Perm) -> None:
        if not self.can(perm):
            if perm in PLATFORM_PERMS and self.kind is ActorKind.STAFF and not self.on_platform:
                raise Forbidden(f"{perm} is for the platform's own staff, not a seller's",
                                code="platform_only")
            raise Forbidden(f"role {self.role or self.kind} may not {perm}",
                            code="permission_denied")

    def org(self) -> str:
        """The org this actor acts for; refuses actors without one."""
        if self.org_id is None:
            raise Forbidden("this action needs a seller organisation", code="no_org")
        return self.org_id
