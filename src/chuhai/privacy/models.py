"""Privacy records: the audit log (global store: it names people only by pseudonymous ids,
never by value) and the consent ledger (regional: in the person's home region)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.clock import UTCDateTime, utcnow
from chuhai.core.db import NOT_PERSONAL, PSEUDONYMOUS_ID, GlobalBase, RegionalBase, pd


class AuditEntry(GlobalBase):
    """One audited act. ``hash`` covers every field and the previous entry's hash, so an
    edited, removed or reordered entry breaks the chain (privacy.audit.verify)."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    org_id: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(40), default="", info=PSEUDONYMOUS_ID)
    region: Mapped[str] = mapped_column(String(16), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(GlobalBase):
    """The chain's head (one row): appenders lock it, so entries are numbered without gaps
    even with several nodes writing; a truncated tail no longer matches it."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class ConsentRecord(RegionalBase):
    """One consent decision, appended, never changed: the ledger proves what a person
    agreed to, under which policy version, when and through which surface (GDPR art. 7(1):
    the controller must be able to demonstrate consent). Kept in the person's home region."""

    __tablename__ = "consent_ledger"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True, info=NOT_PERSONAL)
    subject_id: Mapped[str] = mapped_column(String(40), index=True, info=PSEUDONYMOUS_ID)
    market: Mapped[str] = mapped_column(String(2), info=pd("user.contact.address.country"))
    purpose: Mapped[str] = mapped_column(String(20), info=NOT_PERSONAL)
    granted: Mapped[bool] = mapped_column(Boolean, info=pd("user.privacy_preferences"))
    policy_version: Mapped[str] = mapped_column(String(20), info=NOT_PERSONAL)
    source: Mapped[str] = mapped_column(String(12), info=NOT_PERSONAL)
    declared_age: Mapped[int | None] = mapped_column(Integer,
                                                     info=pd("user.demographic.age_range"))
    rule_ids: Mapped[list[str]] = mapped_column(JSON, default=list, info=NOT_PERSONAL)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info=NOT_PERSONAL)


class DataRequest(GlobalBase):
    """A data-subject request in the queue. Global so the privacy officer sees one queue;
    it holds only the pseudonymous id, dates and statuses — what a rectification asks to
    change is personal and waits in the person's region (``DataRequestDetail``)."""

    __tablename__ = "data_requests"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(40), index=True, info=PSEUDONYMOUS_ID)
    region: Mapped[str] = mapped_column(String(16))
    market: Mapped[str] = mapped_column(String(2))
    regime: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))  # access | erasure | rectification | opt_out
    status: Mapped[str] = mapped_column(String(24), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # self_service | staff
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verification: Mapped[str | None] = mapped_column(String(60))
    acknowledge_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    extension_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rule_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)


class DataRequestDetail(RegionalBase):
    """The personal part of a request (a rectification's corrected values), in the
    person's home region; removed once the request is done."""

    __tablename__ = "data_request_details"
    request_id: Mapped[str] = mapped_column(String(40), primary_key=True, info=NOT_PERSONAL)
    subject_id: Mapped[str] = mapped_column(String(40), index=True, info=PSEUDONYMOUS_ID)
    changes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict,
                                                    info=pd("user.demographic.profile"))


class TransferPerson(GlobalBase):
    """A person whose data a staff member in another region read, once per year and flow:
    the transfer register counts people per year from these rows (PIPL's thresholds are
    counted in people per calendar year)."""

    __tablename__ = "transfer_people"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_region: Mapped[str] = mapped_column(String(16), primary_key=True)
    to_region: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(40), primary_key=True, info=PSEUDONYMOUS_ID)
    market: Mapped[str] = mapped_column(String(2))
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ForwardedMessage(RegionalBase):
    """What a buyer wrote to a seller (in chat, by e-mail) that the seller forwarded to the
    platform as a data-subject request: the platform's officer reads it to verify and
    answer. It is the buyer's own words, so it stays in their region and goes once the
    request is closed."""

    __tablename__ = "forwarded_messages"
    request_id: Mapped[str] = mapped_column(String(40), primary_key=True, info=NOT_PERSONAL)
    subject_id: Mapped[str] = mapped_column(String(40), index=True, info=PSEUDONYMOUS_ID)
    received_via: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    text: Mapped[str] = mapped_column(String(2000), info=pd("user.content.private"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info=NOT_PERSONAL)
