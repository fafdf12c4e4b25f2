"""Request and response bodies of the privacy API."""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from pydantic import BaseModel, ConfigDict, Field, with_config
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from chuhai.core.text import SafeModel


class ConsentIn(SafeModel):
    market: str | None = Field(None, pattern=r"^[A-Za-z]{2}$",
                               description="The market browsed (guests); customers use "
                               "their home country.")
    choices: dict[str, bool] = Field(max_length=10,
                                     description="purpose → granted (true) or refused")
    source: Literal["banner", "settings", "api"] = "api"
    age: int | None = Field(None, ge=1, le=129, description="The age the person declares, "
                            "where an age gate applies.")


class RequestIn(SafeModel):
    kind: Literal["access", "erasure", "rectification", "opt_out"]
    password: str | None = Field(None, max_length=200,
                                 description="Re-entering the password verifies identity.")
    changes: dict[str, str] | None = Field(
        None, max_length=4, description="For rectification: field → corrected value "
        "(display_name, preferred_language).")


# Response bodies. Field order follows the handlers', so answers keep their key order.
# A key that is sometimes absent is a ``NotRequired`` key of a TypedDict: an answer never
# gains a ``null`` it did not have.

class PurposeOut(TypedDict):
    purpose: str
    allowed: bool
    basis: str  # necessary | age_gate | granted | refused | gpc | default_opt_in | …
    mode: str
    rules: list[str]
    can_change: bool
    locked_below_age: NotRequired[int]  # only where an age gate locks the purpose


class ConsentOut(BaseModel):
    """Your consent per purpose, with why: the basis and the rule ids."""

    subject: str
    market: str
    regimes: list[str]
    decided: bool = Field(description="Whether you made any choice yet (else: the banner)")
    declared_age: int | None
    policy_version: str
    purposes: dict[str, PurposeOut] = Field(description="Purpose → its state")


class ConsentBannerOut(ConsentOut):
    """``GET /api/privacy/consent``: the state, and what the banner shows."""

    gpc: bool = Field(description="Whether this request sent Sec-GPC: 1")
    ask_age: int | None = Field(description="The age the banner asks about, until declared")
    lang: str
    text: dict[str, str] = Field(description="The banner's words in ``lang``, by key")


class ConsentRecordOut(BaseModel):
    purpose: str
    granted: bool
    source: str
    policy_version: str
    at: str = Field(description="ISO 8601")
    rules: list[str]


@with_config(ConfigDict(extra="allow"))  # a stored record of what was done: kept whole
class RequestOutcome(TypedDict, total=False):
    """What was done; the keys depend on the kind (empty while the request is open)."""

    export: str  # access: the ZIP's name, its digest, size and rows
    sha256: str
    bytes: int
    rows: int
    pseudonym: str  # erasure: the stand-in id and "store/table" → {"deleted"|"scrubbed": n}
    changes: dict[str, dict[str, int]]
    corrected: list[str]  # rectification: the fields corrected
    sale_share: str  # opt_out
    rejected: str  # rejected: the reason the person is told


class DataRequestOut(BaseModel):
    """A data-subject request with its deadline."""

    id: str
    subject: str
    kind: str = Field(description="access | erasure | rectification | opt_out")
    status: str
    market: str
    regime: str
    channel: str = Field(description="self_service | staff | seller (forwarded by a seller)")
    received_at: str = Field(description="ISO 8601, as are the other times")
    verified_at: str | None
    due_at: str
    extended: bool
    extension_until: str | None = Field(description="How far it may still be extended")
    completed_at: str | None
    state: str = Field(description="overdue | due_soon | on_track | done")
    days_left: float | None
    outcome: RequestOutcome
    rules: list[str]


class ForwardedMessageOut(BaseModel):
    """What a buyer wrote to the seller who forwarded their request."""

    request: str
    received_via: str = Field(description="chat | email | phone | letter | other")
    text: str
    forwarded_at: str
    forwarded_by_org: str | None


class ConsentStatOut(BaseModel):
    """People whose latest decision for a purpose in a market grants or refuses it."""

    market: str
    purpose: str
    granted: int
    refused: int
    gpc: int = Field(description="How many of these decisions came from a Global "
                                 "Privacy Control signal")
    rate: float | None = Field(description="Opt-in rate among those who decided")


class MechanismOut(BaseModel):
    rule: str
    regime: str
    mechanism: str
    detail: str
    sources: list[str]
    confidence: str


class TransferFlowOut(BaseModel):
    """People whose data went from one region's market to another region in a year."""

    year: int
    from_region: str
    to_region: str
    market: str
    regimes: list[str]
    people: int
    alerts: list[str]
    mechanisms: list[MechanismOut]


class TransferRuleOut(BaseModel):
    rule: str
    regime: str
    to_region: str = Field(description="A region, or * for any")
    mechanism: str
    detail: str
    sources: list[str]
    confidence: str
    effective_from: str = Field(description="ISO date")


class TransfersOut(BaseModel):
    """``GET /api/privacy/office/transfers``: the register, and every rule in it."""

    flows: list[TransferFlowOut]
    mechanisms: list[TransferRuleOut]


class VerificationOut(BaseModel):
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: str | None
    at_seq: int | None


class AuditEntryOut(BaseModel):
    seq: int
    at: str = Field(description="ISO 8601")
    actor: str
    action: str
    subject: str
    region: str
    # Each audited action records its own details (a request id, counts, fields …):
    # genuinely open, and hashed into the chain exactly as stored.
    details: dict[str, Any]
    hash: str


class AuditLogOut(BaseModel):
    """``GET /api/privacy/office/audit``: the chain's verification and its latest entries."""

    verification: VerificationOut
    entries: list[AuditEntryOut] = Field(description="Newest first")
