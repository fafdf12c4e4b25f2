"""Request and response bodies of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from chuhai.core.actor import Role
from chuhai.core.text import SafeModel


class StaffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr = Field(max_length=254)
    display_name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=10, max_length=256)
    role: Role


class StaffOut(BaseModel):
    id: str
    email: str
    display_name: str
    role: Role
    active: bool


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)


class TokenOut(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="Shown once; only its hash is kept.")


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr = Field(max_length=254)
    display_name: str = Field(min_length=1, max_length=120)
    home_country: str = Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")
    preferred_language: str | None = Field(None, min_length=2, max_length=16)
    password: str | None = Field(None, min_length=10, max_length=256)


class CustomerOut(BaseModel):
    id: str
    region: str
    display_name: str
    home_country: str
    preferred_language: str


class GuestOut(BaseModel):
    guest_id: str


class Me(BaseModel):
    subject_id: str
    kind: str
    org_id: str | None
    role: Role | None
    region: str | None


class OrgOut(BaseModel):
    id: str
    slug: str
    name: str
    home_country: str
    registrations: list[str]


class OrgPatch(SafeModel):
    """Tax registrations the seller holds: checkout collects the taxes they oblige."""

    registrations: list[Literal["EU_IOSS", "UK_VAT", "AU_GST", "SG_OVR", "MY_LVG", "BR_RC"]] = (
        Field(max_length=10))
