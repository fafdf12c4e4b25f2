"""Data-subject requests through the API, from the customer's filing to the officer's answer:

- a signed-in customer files access / erasure / rectification / opt-out; re-entering the
  password verifies them at once (a wrong one files nothing), without it the request waits
  for the privacy officer to verify; guests cannot file;
- the deadline comes from the market's regime (DE → GDPR, one month; US → CCPA);
- completing does the work: an access export only its owner can download, an erasure that
  leaves the queue naming the pseudonym, a corrected profile, a sale/share refusal in the
  consent ledger; each step is in the audit log and the chain verifies;
- the officer can extend once, reject with a reason, and cannot complete what is not open;
  staff without ``privacy:manage`` get 403."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from chuhai.accounts.models import Customer
from chuhai.accounts.service import Accounts
from chuhai.core.actor import Role
from chuhai.core.db import UnitOfWork
from chuhai.core.errors import Unauthenticated
from chuhai.core.secrets_store import signing_key
from chuhai.privacy import audit, deadlines
from chuhai.privacy.erasure import pseudonym
from chuhai.privacy.models import ConsentRecord, DataRequest, DataRequestDetail
from chuhai.privacy.requests import classify, export_dir
from tests.factories import PASSWORD, Buyer, Tenant, make_buyer, make_platform_staff, make_tenant

OFFICE = "/api/privacy/office/requests"


@pytest.fixture
async def officer(stores, settings) -> Tenant:
    return await make_platform_staff(stores, settings)


@pytest.fixture
async def de_buyer(stores, settings) -> Buyer:
    return await make_buyer(stores, settings, "DE")


async def filed(client: httpx.AsyncClient, buyer: Buyer, kind: str, *,
                password: str | None = PASSWORD, status: int | None = 201, **extra: Any
                ) -> dict[str, Any]:
    """File a request as ``buyer``; the answer's JSON, once its status is checked (any
    status when ``status`` is None)."""
    body = {"kind": kind, **extra, **({"password": password} if password else {})}
    resp = await client.post("/api/privacy/requests", json=body, headers=buyer.headers)
    assert status is None or resp.status_code == status, resp.text
    return dict(resp.json())


async def act(client: httpx.AsyncClient, who: Tenant, request_id: str, step: str,
              body: dict[str, Any] | None = None) -> httpx.Response:
    return await client.post(f"{OFFICE}/{request_id}/{step}", json=body, headers=who.headers)


async def done(client: httpx.AsyncClient, who: Tenant, request_id: str) -> dict[str, Any]:
    resp = await act(client, who, request_id, "complete")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "completed"
    return dict(resp.json())


async def mine(client: httpx.AsyncClient, buyer: Buyer) -> list[dict[str, Any]]:
    resp = await client.get("/api/privacy/requests", headers=buyer.headers)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


# --- filing ----------------------------------------------------------------------------------

async def test_with_the_right_password_an_access_request_is_open_under_gdpr_for_a_month(
        app_client, de_buyer):
    req = await filed(app_client, de_buyer, "access")
    assert (req["status"], req["regime"], req["market"]) == ("open", "GDPR", "DE")
    assert req["rules"] == ["dsr.gdpr"] and req["channel"] == "self_service"
    received, due_at = (dt.datetime.fromisoformat(req[k]) for k in ("received_at", "due_at"))
    y, m = divmod(received.year * 12 + received.month, 12)  # the next month, m 0-based
    last = calendar.monthrange(y, m + 1)[1]
    assert due_at == received.replace(year=y, month=m + 1, day=min(received.day, last))
    assert req["state"] == "on_track" and req["extension_until"] is not None
    assert [r["id"] for r in await mine(app_client, de_buyer)] == [req["id"]]


async def test_a_wrong_password_files_nothing(app_client, de_buyer):
    refused = await filed(app_client, de_buyer, "access", password="not-mine", status=401)
    assert refused["code"] == "bad_password"
    assert await mine(app_client, de_buyer) == []


async def test_the_password_of_a_request_is_throttled_like_sign_in(app_client, de_buyer):
    """A stolen session must not be a way round sign-in's per-account limits: re-entering
    the password to verify a request counts against the same account."""
    codes = [(await filed(app_client, de_buyer, "access", password=f"guess-{i}",
                          status=None))["code"] for i in range(7)]
    assert codes[:5] == ["bad_password"] * 5 and "rate_limited" in codes[5:]
    assert await mine(app_client, de_buyer) == []


async def test_a_guest_without_an_account_cannot_file(app_client):
    resp = await app_client.post("/api/privacy/requests", json={"kind": "access"})
    assert resp.status_code == 401 and resp.json()["code"] == "account_required"


async def test_without_a_password_the_request_waits_until_the_officer_verifies_it(
        app_client, de_buyer, officer, stores):
    req = await filed(app_client, de_buyer, "access", password=None)
    assert req["status"] == "awaiting_verification" and req["verified_at"] is None
    early = await act(app_client, officer, req["id"], "complete")
    assert early.status_code == 409 and early.json()["code"] == "request_state"
    ok = await act(app_client, officer, req["id"], "verify", {"method": "passport copy"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "open" and ok.json()["verified_at"] is not None
    async with stores.session() as s:
        row = await s.get(DataRequest, req["id"])
        assert row is not None and row.verification == "passport copy"
    again = await act(app_client, officer, req["id"], "verify", {"method": "again"})
    assert again.status_code == 409 and again.json()["code"] == "request_state"


# --- completing ------------------------------------------------------------------------------

async def test_a_completed_access_request_yields_a_zip_only_its_owner_can_download(
        app_client, de_buyer, officer, stores, settings):
    req = await filed(app_client, de_buyer, "access")
    url = f"/api/privacy/requests/{req['id']}/export"
    early = await app_client.get(url, headers=de_buyer.headers)
    assert early.status_code == 409 and early.json()["code"] == "export_not_ready"
    result = await done(app_client, officer, req["id"])
    outcome = result["outcome"]
    assert outcome["export"] == f"{req['id']}.zip" and len(outcome["sha256"]) == 64
    got = await app_client.get(url, headers=de_buyer.headers)
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert hashlib.sha256(got.content).hexdigest() == outcome["sha256"]
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(got.content)).read("manifest.json"))
    assert manifest["subject"] == de_buyer.actor.subject_id
    other = await make_buyer(stores, settings, "DE")
    theirs = await app_client.get(url, headers=other.headers)
    assert theirs.status_code == 404 and theirs.json()["code"] == "request_not_found"


async def test_every_step_is_in_the_audit_log_and_the_chain_verifies(
        app_client, de_buyer, officer, stores):
    req = await filed(app_client, de_buyer, "access", password=None)
    await act(app_client, officer, req["id"], "verify", {"method": "signed letter"})
    await done(app_client, officer, req["id"])
    async with stores.session() as s:
        entries, head = await audit.read_chain(s)
    steps = [e for e in entries if (e.details or {}).get("request") == req["id"]]
    assert [e.action for e in steps] == ["dsr.open", "dsr.verify", "dsr.complete"]
    assert steps[0].actor == de_buyer.actor.subject_id
    assert {e.actor for e in steps[1:]} == {officer.actor.subject_id}
    assert steps[-1].details["on_time"] is True
    assert audit.verify(entries, head).ok


@pytest.fixture
async def committed(real, settings):
    """Committing stores, app, DE buyer and officer: erasure checkpoints SQLite's log
    through its own connections, which would wait on the rolled-back test transaction."""
    stores, client = real
    return (stores, client, await make_buyer(stores, settings, "DE"),
            await make_platform_staff(stores, settings))


async def test_an_erasure_leaves_the_request_naming_only_the_pseudonym(committed, settings):
    stores, app_client, de_buyer, officer = committed
    me = de_buyer.actor.subject_id
    async with stores.session("eu") as s:
        email = (await s.get(Customer, me)).email
    req = await filed(app_client, de_buyer, "erasure")
    result = await done(app_client, officer, req["id"])
    stand_in = pseudonym(me, signing_key(settings))
    assert result["subject"] == stand_in and result["outcome"]["pseudonym"] == stand_in
    queue = (await app_client.get(OFFICE, params={"done": True},
                                  headers=officer.headers)).json()
    assert [r["subject"] for r in queue if r["id"] == req["id"]] == [stand_in]
    gone = await app_client.get("/api/privacy/requests", headers=de_buyer.headers)
    assert gone.status_code == 401 and gone.json()["code"] == "account_required"
    uow = UnitOfWork(stores)
    try:
        with pytest.raises(Unauthenticated):
            await Accounts(uow, signing_key(settings)).authenticate_customer(email, PASSWORD)
    finally:
        await uow.close()


async def test_a_rectification_corrects_the_profile_and_drops_the_held_changes(
        app_client, de_buyer, officer, stores):
    me = de_buyer.actor.subject_id
    req = await filed(app_client, de_buyer, "rectification",
                      changes={"display_name": "  New   Name "})
    async with stores.session("eu") as s:
        held = await s.get(DataRequestDetail, req["id"])
        assert held is not None and held.changes == {"display_name": "New Name"}
    result = await done(app_client, officer, req["id"])
    assert result["outcome"] == {"corrected": ["display_name"]}
    async with stores.session("eu") as s:
        assert (await s.get(Customer, me)).display_name == "New Name"
        assert await s.get(DataRequestDetail, req["id"]) is None


@pytest.mark.parametrize("changes", [{"email": "new@example.com"}, {}])
async def test_a_rectification_of_a_field_that_cannot_be_corrected_here_is_refused(
        app_client, de_buyer, changes):
    refused = await filed(app_client, de_buyer, "rectification", changes=changes, status=422)
    assert refused["code"] == "bad_changes"
    assert await mine(app_client, de_buyer) == []


async def test_an_opt_out_records_a_sale_share_refusal_in_the_consent_ledger(
        app_client, officer, stores, settings):
    us_buyer = await make_buyer(stores, settings, "US")
    me = us_buyer.actor.subject_id
    req = await filed(app_client, us_buyer, "opt_out")
    assert req["regime"] == "CCPA"
    received = dt.datetime.fromisoformat(req["received_at"])
    assert dt.datetime.fromisoformat(req["due_at"]) == deadlines.add(
        received, deadlines.Span(15, "business_days"), country="US", regime="CCPA")
    result = await done(app_client, officer, req["id"])
    assert result["outcome"] == {"sale_share": "refused"}
    async with stores.session("us") as s:
        rows = (await s.scalars(select(ConsentRecord).where(
            ConsentRecord.subject_id == me, ConsentRecord.purpose == "sale_share"))).all()
    assert [(r.granted, r.source) for r in rows] == [(False, "request")]


# --- extend, reject, permissions -------------------------------------------------------------

async def test_an_extension_moves_the_deadline_once_where_the_regime_has_one(
        app_client, de_buyer, officer, stores, settings):
    req = await filed(app_client, de_buyer, "access")
    longer = await act(app_client, officer, req["id"], "extend", {"reason": "many stores"})
    assert longer.status_code == 200, longer.text
    assert longer.json()["due_at"] == req["extension_until"] and longer.json()["extended"]
    twice = await act(app_client, officer, req["id"], "extend", {"reason": "still busy"})
    assert twice.status_code == 409 and twice.json()["code"] == "no_extension"
    lgpd = await filed(app_client, await make_buyer(stores, settings, "BR"), "access")
    assert lgpd["regime"] == "LGPD" and lgpd["extension_until"] is None
    none = await act(app_client, officer, lgpd["id"], "extend", {"reason": "complex"})
    assert none.status_code == 409 and none.json()["code"] == "no_extension"


async def test_a_rejection_needs_a_reason_and_closes_the_request(app_client, de_buyer,
                                                                 officer):
    req = await filed(app_client, de_buyer, "access")
    for body in ({"reason": "   "}, {}):
        bare = await act(app_client, officer, req["id"], "reject", body)
        assert bare.status_code == 422, bare.text
    resp = await act(app_client, officer, req["id"], "reject", {"reason": "manifestly unfounded"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "rejected"
    assert resp.json()["outcome"] == {"rejected": "manifestly unfounded"}
    late = await act(app_client, officer, req["id"], "complete")
    assert late.status_code == 409 and late.json()["code"] == "request_state"


async def test_staff_without_privacy_manage_get_403_on_the_office_routes(
        app_client, de_buyer, stores, settings):
    host = await make_tenant(stores, settings, role=Role.HOST)
    req = await filed(app_client, de_buyer, "access")
    calls = [app_client.get(OFFICE, headers=host.headers),
             act(app_client, host, req["id"], "complete"),
             act(app_client, host, req["id"], "extend", {"reason": "x"}),
             app_client.get("/api/privacy/office/transfers", headers=host.headers),
             app_client.get("/api/privacy/office/audit", headers=host.headers)]
    for call in calls:
        resp = await call
        assert resp.status_code == 403, resp.text


# --- the queue's states (pure) ---------------------------------------------------------------

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def _req(due_in: dt.timedelta, status: str = "open") -> DataRequest:
    return DataRequest(id="dsr_x", subject_id="cus_x", region="eu", market="DE",
                       regime="GDPR", kind="access", status=status, channel="staff",
                       received_at=NOW - dt.timedelta(days=20), due_at=NOW + due_in,
                       extended=False, outcome={}, rule_ids=[], created_by="stf_x")


@pytest.mark.parametrize(("due_in", "status", "state"), [
    (dt.timedelta(minutes=-1), "open", "overdue"),
    (dt.timedelta(days=-5), "awaiting_verification", "overdue"),
    (dt.timedelta(days=3), "open", "due_soon"),
    (dt.timedelta(hours=1), "open", "due_soon"),
    (dt.timedelta(days=3, minutes=1), "open", "on_track"),
    (dt.timedelta(days=-5), "completed", "done"),
    (dt.timedelta(days=-5), "rejected", "done"),
])
def test_classify_marks_overdue_past_the_deadline_and_due_soon_within_three_days(
        due_in, status, state):
    item = classify(_req(due_in, status), NOW)
    assert item.state == state
    expected = None if state == "done" else round(due_in.total_seconds() / 86400, 1)
    assert item.days_left == expected
    assert item.as_dict()["due_at"] == (NOW + due_in).isoformat()


# --- known gaps ------------------------------------------------------------------------------

async def test_an_extension_taken_before_verification_survives_the_verification(
        app_client, officer, stores, settings):
    gb_buyer = await make_buyer(stores, settings, "GB")
    req = await filed(app_client, gb_buyer, "access", password=None)
    assert req["regime"] == "UK_GDPR"
    await act(app_client, officer, req["id"], "extend", {"reason": "complex"})
    verified = await act(app_client, officer, req["id"], "verify", {"method": "ID seen"})
    assert verified.json()["extended"]
    async with stores.session() as s:
        row = await s.get(DataRequest, req["id"])
    # extended, so the deadline is the extended one (three months from verification)
    assert row is not None and row.due_at == row.extension_until


async def test_an_erasure_removes_the_persons_access_export_from_disk(committed, settings):
    stores, app_client, de_buyer, officer = committed
    async with stores.session("eu") as s:
        email = (await s.get(Customer, de_buyer.actor.subject_id)).email
    access = await filed(app_client, de_buyer, "access")
    zip_path = export_dir(settings) / (await done(app_client, officer, access["id"])
                                       )["outcome"]["export"]
    assert email.encode() in _unzipped(zip_path)  # the export does hold the e-mail
    await done(app_client, officer, (await filed(app_client, de_buyer, "erasure"))["id"])
    assert not zip_path.exists() or email.encode() not in _unzipped(zip_path)


def _unzipped(path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return b"".join(zf.read(n) for n in zf.namelist())
