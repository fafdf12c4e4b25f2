"""Consent through the API: a guest or a customer sees what their law makes of each
purpose, records choices in the append-only ledger (each change also in the audit log),
cannot refuse what is necessary or grant what their age locks, and a Global Privacy Control
signal is recorded once as a refusal of sale/share."""

from __future__ import annotations

from sqlalchemy import select

from chuhai.privacy import audit
from chuhai.privacy.models import ConsentRecord
from tests.factories import make_buyer


async def _rows(stores, region: str, subject: str) -> list[ConsentRecord]:
    async with stores.session(region) as s:
        return list((await s.scalars(select(ConsentRecord).where(
            ConsentRecord.subject_id == subject).order_by(ConsentRecord.id))).all())


async def test_a_new_german_guest_gets_an_id_the_opt_in_defaults_and_german_words(
        app_client):
    res = await app_client.get("/api/privacy/consent", params={"market": "DE"})
    assert res.status_code == 200, res.text
    body = res.json()
    assert "chuhai_guest" in res.headers.get("set-cookie", "")
    assert body["subject"].startswith("gst_") and body["regimes"] == ["GDPR"]
    assert body["decided"] is False
    assert body["purposes"]["necessary"]["allowed"] is True
    assert body["purposes"]["analytics"] == {
        "purpose": "analytics", "allowed": False, "basis": "default_opt_in",
        "mode": "opt_in", "rules": ["consent.gdpr"], "can_change": True}
    assert body["lang"] == "de" and body["text"]["accept_all"] != "Accept all"
    assert body["ask_age"] == 16


async def test_choices_are_appended_to_the_ledger_and_audited(app_client, stores):
    first = await app_client.get("/api/privacy/consent", params={"market": "DE"})
    me = first.json()["subject"]
    res = await app_client.post("/api/privacy/consent", json={
        "market": "DE", "source": "banner", "age": 30,
        "choices": {"analytics": True, "marketing": False}})
    assert res.status_code == 200, res.text
    assert res.json()["purposes"]["analytics"]["basis"] == "granted"
    assert res.json()["decided"] is True
    again = await app_client.post("/api/privacy/consent", json={
        "market": "DE", "source": "settings", "choices": {"analytics": False}})
    assert again.json()["purposes"]["analytics"]["allowed"] is False
    rows = await _rows(stores, "eu", me)
    assert [(r.purpose, r.granted, r.source) for r in rows] == [
        ("analytics", True, "banner"), ("marketing", False, "banner"),
        ("analytics", False, "settings")]
    assert rows[0].declared_age == 30 and rows[0].rule_ids == ["consent.gdpr"]
    # the same choice again adds nothing
    await app_client.post("/api/privacy/consent", json={
        "market": "DE", "source": "settings", "choices": {"analytics": False}})
    assert len(await _rows(stores, "eu", me)) == 3
    async with stores.session() as s:
        entries, head = await audit.read_chain(s)
    mine = [e for e in entries if e.subject == me]
    assert [e.action for e in mine] == ["consent.change", "consent.change"]
    assert mine[1].details["choices"] == {"analytics": False}
    assert audit.verify(entries, head).ok
    history = await app_client.get("/api/privacy/consent/history", params={"market": "DE"})
    assert [h["granted"] for h in history.json()] == [True, False, False]


async def test_necessary_cannot_be_refused_and_unknown_purposes_are_named(app_client):
    res = await app_client.post("/api/privacy/consent", json={
        "market": "DE", "choices": {"necessary": False}})
    assert res.status_code == 422 and res.json()["code"] == "purpose_required"
    res = await app_client.post("/api/privacy/consent", json={
        "market": "DE", "choices": {"tracking": True}})
    assert res.status_code == 422 and res.json()["code"] == "unknown_purpose"


async def test_a_fifteen_year_old_in_germany_cannot_grant_analytics_alone(app_client):
    res = await app_client.post("/api/privacy/consent", json={
        "market": "DE", "age": 15, "choices": {"analytics": True}})
    assert res.status_code == 422 and res.json()["code"] == "age_gate"
    ok = await app_client.post("/api/privacy/consent", json={
        "market": "DE", "age": 15, "choices": {"analytics": False}})
    assert ok.status_code == 200
    state = ok.json()["purposes"]["analytics"]
    assert state["basis"] == "age_gate" and state["locked_below_age"] == 16


async def test_the_gpc_signal_is_recorded_once_as_a_refusal_of_sale_and_share(
        app_client, stores):
    gpc = {"Sec-GPC": "1"}
    first = await app_client.get("/api/privacy/consent", params={"market": "US"}, headers=gpc)
    body = first.json()
    assert body["gpc"] is True
    assert body["purposes"]["sale_share"]["allowed"] is False
    assert body["purposes"]["analytics"]["allowed"] is True  # opt-out regime
    await app_client.get("/api/privacy/consent", params={"market": "US"}, headers=gpc)
    rows = await _rows(stores, "us", body["subject"])
    assert [(r.purpose, r.granted, r.source) for r in rows] == [("sale_share", False, "gpc")]
    # an explicit choice in the settings after the signal stands
    chosen = await app_client.post("/api/privacy/consent", headers=gpc, json={
        "market": "US", "source": "settings", "choices": {"sale_share": True}})
    assert chosen.json()["purposes"]["sale_share"]["allowed"] is True
    after = await app_client.get("/api/privacy/consent", params={"market": "US"}, headers=gpc)
    assert after.json()["purposes"]["sale_share"]["allowed"] is True


async def test_a_customer_uses_their_home_country_and_must_send_the_csrf_token(
        app_client, stores, settings):
    buyer = await make_buyer(stores, settings, "JP")
    res = await app_client.get("/api/privacy/consent", params={"market": "DE"},
                               headers=buyer.headers)
    assert res.json()["market"] == "JP" and res.json()["regimes"] == ["APPI"]
    assert res.json()["subject"] == buyer.actor.subject_id
    no_token = {"Cookie": buyer.headers["Cookie"]}
    res = await app_client.post("/api/privacy/consent", headers=no_token,
                                json={"choices": {"marketing": True}})
    assert res.status_code == 403 and res.json()["code"] == "csrf_failed"
    res = await app_client.post("/api/privacy/consent", headers=buyer.headers,
                                json={"choices": {"marketing": True}})
    assert res.status_code == 200
    rows = await _rows(stores, buyer.actor.region, buyer.actor.subject_id)
    assert [(r.purpose, r.market) for r in rows] == [("marketing", "JP")]


async def test_bad_input_gets_a_clear_error(app_client):
    for params in ({}, {"market": "ZZ"}, {"market": "Deutschland"}):
        res = await app_client.get("/api/privacy/consent", params=params)
        assert res.status_code == 422 and res.json()["code"] == "market_required", params
    res = await app_client.post("/api/privacy/consent", json={
        "market": "DE", "choices": {"analytics": "yes please"}})
    assert res.status_code == 422
    res = await app_client.post("/api/privacy/consent", json={
        "market": "DE", "choices": {f"p{i}": True for i in range(50)}})
    assert res.status_code == 422
    res = await app_client.post("/api/privacy/consent", json={
        "market": "DE", "age": 400, "choices": {}})
    assert res.status_code == 422


async def test_the_settings_page_speaks_the_viewers_language(app_client):
    res = await app_client.get("/privacy", params={"market": "DE", "lang": "de"},
                               headers={"Sec-GPC": "1"})
    assert res.status_code == 200
    assert 'lang="de"' in res.text and "Datenschutz" in res.text
    assert "consent.gdpr" in res.text
    ja = await app_client.get("/privacy", params={"market": "JP", "lang": "ja"})
    assert 'lang="ja"' in ja.text and "プライバシー" in ja.text
    ar = await app_client.get("/privacy", params={"market": "SA", "lang": "ar"})
    assert 'dir="rtl"' in ar.text
