"""Account tables. Personal fields live in regional tables; the global ones hold
pseudonymous subject ids, roles and hashes only (see core/datamap.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.clock import UTCDateTime, utcnow
from chuhai.core.db import NOT_PERSONAL, PSEUDONYMOUS_ID, GlobalBase, RegionalBase, pd


class Org(GlobalBase):
    """A seller tenant (a brand or an agency)."""

    __tablename__ = "orgs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200), info=NOT_PERSONAL)  # a trading name
    home_country: Mapped[str] = mapped_column(String(2))
    home_region: Mapped[str] = mapped_column(String(16))
    # Tax registrations the seller holds (EU_IOSS, UK_VAT …): which taxes checkout collects.
    registrations: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # The currency the seller's reports are in (None: the home market's) and how long a
    # click or a view counts toward an order's touchpoints (analytics/attribution.py).
    reporting_currency: Mapped[str | None] = mapped_column(String(3))
    attribution_click_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    attribution_view_days: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Subject(GlobalBase):
    """The global directory of people: a pseudonymous id, where their data lives, their role.

    ``login_key`` is a keyed hash of the e-mail address so that a login can be routed to the
    right regional store without the global store ever holding the address.
    """

    __tablename__ = "subjects"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, info=PSEUDONYMOUS_ID)
    kind: Mapped[str] = mapped_column(String(12))  # staff | customer
    region: Mapped[str] = mapped_column(String(16))
    login_key: Mapped[str | None] = mapped_column(
        String(64), unique=True, info=PSEUDONYMOUS_ID
    )
    org_id: Mapped[str | None] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(GlobalBase):
    """A bearer token for the API; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), info=PSEUDONYMOUS_ID
    )
    name: Mapped[str] = mapped_column(String(100), info=NOT_PERSONAL)  # a label, e.g. "CI"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(GlobalBase):
    """A console sign-in: the cookie carries the random id, the table its hash."""

    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), index=True, info=PSEUDONYMOUS_ID
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffProfile(RegionalBase):
    """A seller's staff member, kept in the org's home region."""

    __tablename__ = "staff_profiles"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, info=PSEUDONYMOUS_ID)
    region: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    org_id: Mapped[str] = mapped_column(String(40), index=True, info=NOT_PERSONAL)
    email: Mapped[str] = mapped_column(String(254), info=pd("user.contact.email"))
    display_name: Mapped[str] = mapped_column(String(120), info=pd("user.name"))
    password_hash: Mapped[str] = mapped_column(
        String(255), info=pd("user.authorization.credentials")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info=NOT_PERSONAL)
    __table_args__ = (UniqueConstraint("email"),)


class Customer(RegionalBase):
    """A buyer or viewer abroad, kept in the store of their home country's region."""

    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, info=PSEUDONYMOUS_ID)
    region: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    email: Mapped[str] = mapped_column(String(254), info=pd("user.contact.email"))
    display_name: Mapped[str] = mapped_column(String(120), info=pd("user.name"))
    home_country: Mapped[str] = mapped_column(String(2), info=pd("user.contact.address.country"))
    preferred_language: Mapped[str] = mapped_column(
        String(16), info=pd("user.demographic.language")
    )
    password_hash: Mapped[str | None] = mapped_column(
        String(255), info=pd("user.authorization.credentials")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info=NOT_PERSONAL)
    __table_args__ = (UniqueConstraint("email"),)
