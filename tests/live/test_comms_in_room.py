"""Screening and translation inside a live room, end to end over the socket: a blocked line
is never broadcast and its author is told why; PII is masked; a host sees the findings on
their own line; each line is translated once per language and follows the original as a
``chat.translation`` event that only that language's viewers receive; a viewer who joins
later gets the translation in the hello snapshot, marked, with the original."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.live.harness import Client, customer_cookie, tagged


@pytest.fixture
def env(live_env):
    return live_env


async def test_a_blocked_line_is_not_broadcast_and_its_author_learns_why(env):
    server, seed = env
    cookie = await customer_cookie(server.base, tagged("de@v.example", seed.org_id))
    author = await Client.connect(server.base, seed.room_id, cookie=cookie, lang="de")
    watcher = await Client.connect(server.base, seed.room_id, lang="de", market="DE")
    await author.send(type="chat", text="Sieg Heil an alle", nonce="n-1")
    await author.pump(lambda c: c.errors)
    err = author.errors[-1]
    assert err["code"] == "blocked"
    assert "(rule " in err["message"]  # the message names the rule and the rewrite
    assert any(d["rule"] == "DE.political.nazi_slogans" and d["market"] == "DE"
               for d in err["details"])
    await author.send(type="chat", text="Welche Farben gibt es?", nonce="n-2")
    await watcher.pump(lambda c: any(e["data"].get("nonce") == "n-2" for e in c.of("chat")))
    assert all("Sieg" not in e["data"]["text"] for e in watcher.of("chat"))
    await author.close()
    await watcher.close()


async def test_pii_is_masked_before_anyone_sees_it(env):
    server, seed = env
    cookie = await customer_cookie(server.base, tagged("us@v.example", seed.org_id))
    author = await Client.connect(server.base, seed.room_id, cookie=cookie, lang="en")
    await author.send(type="chat", text="text me at (415) 555-2671 or jo@example.com",
                      nonce="pii")
    await author.pump(lambda c: any(e["data"].get("nonce") == "pii" for e in c.of("chat")))
    ev = next(e for e in author.of("chat") if e["data"].get("nonce") == "pii")
    assert ev["data"]["text"] == "text me at [phone hidden] or [email hidden]"
    assert set(ev["data"]["redacted"]) == {"phone", "email"}
    await author.close()


async def test_a_host_sees_screening_findings_on_their_own_line(env):
    server, seed = env
    host = await Client.connect(server.base, seed.room_id, token=seed.host_token, lang="en")
    await host.send(type="chat", text="Honestly the number one brand in America, only 3 left!",
                    nonce="h-1")
    await host.pump(lambda c: c.notices)
    notice = host.notices[-1]
    assert notice["nonce"] == "h-1"
    cats = {f["category"] for f in notice["findings"]}
    assert "urgency" in cats
    assert all(f["suggestion"] and f["market"] for f in notice["findings"])
    ev = next(e for e in host.of("chat") if e["data"].get("nonce") == "h-1")
    assert "urgency" in ev["data"]["flags"]
    await host.close()


async def test_translations_follow_the_original_once_per_language(env):
    server, seed = env
    cookie = await customer_cookie(server.base, tagged("jp@v.example", seed.org_id))
    author = await Client.connect(server.base, seed.room_id, cookie=cookie, lang="en")
    ja = await Client.connect(server.base, seed.room_id, lang="ja", market="JP")
    de = await Client.connect(server.base, seed.room_id, lang="de", market="DE")
    en = await Client.connect(server.base, seed.room_id, lang="en", market="US")
    await author.send(type="chat", text="Thanks for watching!", nonce="tr-1")
    await author.pump(lambda c: any(e["data"].get("nonce") == "tr-1" for e in c.of("chat")))
    seq = next(e for e in author.of("chat") if e["data"].get("nonce") == "tr-1")["seq"]
    for viewer, lang in ((ja, "ja"), (de, "de")):
        await viewer.pump(lambda c, s=seq: any(e["data"]["seq"] == s
                                               for e in c.of("chat.translation")))
        tr = [e for e in viewer.of("chat.translation") if e["data"]["seq"] == seq]
        assert len(tr) == 1 and tr[0]["data"]["lang"] == lang
        assert tr[0]["data"]["machine"] is False  # the phrasebook, reviewed by people
        assert tr[0]["data"]["provider"] == "memory:phrasebook"
        original = next(e for e in viewer.of("chat") if e["seq"] == seq)
        assert original["data"]["text"] == "Thanks for watching!"  # the original came first
        assert original["seq"] < tr[0]["seq"]
    assert ja.of("chat.translation")[-1]["data"]["text"] != de.of(
        "chat.translation")[-1]["data"]["text"]
    await asyncio.sleep(0.3)
    # an English viewer never receives translations into other languages
    assert all(e["data"]["lang"] == "en" for e in en.of("chat.translation"))
    # a Japanese viewer who arrives now sees the line translated, with the original at hand
    late = await Client.connect(server.base, seed.room_id, lang="ja", market="JP")
    msg = next(m for m in late.hello["messages"] if m["seq"] == seq)
    assert msg["data"]["text"] == ja.of("chat.translation")[-1]["data"]["text"]
    assert msg["data"]["original"] == "Thanks for watching!" and msg["data"]["machine"] is False
    for c in (author, ja, de, en, late):
        await c.close()


async def test_resume_after_translations_has_no_gap(env):
    server, seed = env
    cookie = await customer_cookie(server.base, tagged("de@v.example", seed.org_id))
    author = await Client.connect(server.base, seed.room_id, cookie=cookie, lang="en")
    since = author.hello["seq"]
    await author.send(type="chat", text="See you next time!", nonce="rs-1")
    await author.pump(lambda c: any(e["data"].get("nonce") == "rs-1" for e in c.of("chat")))
    await asyncio.sleep(0.5)  # the translations are published meanwhile
    back = await Client.connect(server.base, seed.room_id, cookie=cookie, lang="de",
                                since=since)
    kinds = [e["type"] for e in back.events]
    assert "chat" in kinds and "chat.translation" in kinds
    assert all(e["data"]["lang"] == "de" for e in back.of("chat.translation"))
    await author.close()
    await back.close()


async def test_a_sponsored_rooms_hosts_are_reminded_to_repeat_the_disclosure(env):
    server, seed = env
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.patch(f"/api/rooms/{seed.room_id}",
                             headers={"Authorization": f"Bearer {seed.host_token}"},
                             json={"disclosure": "Paid partnership with SonicWave"})
        assert r.status_code == 200 and r.json()["disclosure"].startswith("Paid")
    try:
        viewer = await Client.connect(server.base, seed.room_id, lang="en")
        assert viewer.hello["room"]["disclosure"] == "Paid partnership with SonicWave"
        host = await Client.connect(server.base, seed.room_id, token=seed.host_token)
        await host.send(type="chat", text="Hi everyone, let's start!", nonce="d-1")
        await host.pump(lambda c: any(n["nonce"] == "d-1" for n in c.notices))
        first = next(n for n in host.notices if n["nonce"] == "d-1")
        assert [f["rule"] for f in first["findings"]] == ["LIVE.endorsement.repeat_disclosure"]
        await host.send(type="chat", text="#ad this stream is a paid partnership", nonce="d-2")
        await host.send(type="chat", text="These come in black and white", nonce="d-3")
        await host.pump(lambda c: any(e["data"].get("nonce") == "d-3" for e in c.of("chat")))
        await asyncio.sleep(0.2)
        assert not any(n["nonce"] in ("d-2", "d-3") for n in host.notices)
        await host.close()
        await viewer.close()
    finally:
        async with httpx.AsyncClient(base_url=server.base) as http:
            await http.patch(f"/api/rooms/{seed.room_id}",
                             headers={"Authorization": f"Bearer {seed.host_token}"},
                             json={"disclosure": None})


async def test_a_host_line_past_the_rooms_budget_is_screened_by_meaning_soon_after(env):
    """The line goes out on its patterns at once; the finding by meaning follows it to the
    host as a late ``screening`` frame on the same line."""
    import time

    from chuhai.live.pipeline import MeaningBudget, default_pipeline
    from tests.comms.test_semantic import make

    server, seed = env
    node = server.app.state.live
    screener, _ = make()  # a US pack whose device rule has example sentences
    screener.semantic.build()
    pipeline = default_pipeline(screener, meaning=True, viewer_ms=0, host_ms=10)
    stage = pipeline.screening
    assert stage is not None
    stage.host_budget = MeaningBudget(10.0)
    stage.host_budget.charge(seed.room_id, time.monotonic(), 45.0)  # spent for 0.5 s
    real, node.pipeline = node.pipeline, pipeline
    try:
        host = await Client.connect(server.base, seed.room_id, token=seed.host_token)
        await host.send(type="chat", nonce="m-1", text="the ringing in my ears stopped "
                        "after a week with these new earbuds")
        await host.pump(lambda c: any(e["data"].get("nonce") == "m-1" for e in c.of("chat")))
        ev = next(e for e in host.of("chat") if e["data"].get("nonce") == "m-1")
        assert "flags" not in ev["data"]  # sent on its patterns' verdict
        await host.pump(lambda c: any(n["nonce"] == "m-1" for n in c.notices), timeout=5)
        late = next(n for n in host.notices if n["nonce"] == "m-1")
        assert late["later"] is True and late["seq"] == ev["seq"]
        assert [(f["rule"], f["by"], f["market"]) for f in late["findings"]] == [
            ("US.device.medical", "meaning", "US")]
        # the room hears it too: moderators' consoles and the record carry the flag
        await host.pump(lambda c: c.of("chat.flagged"))
        flagged = host.of("chat.flagged")[-1]["data"]
        assert flagged == {"seq": ev["seq"], "flags": ["device_claim"], "by": "meaning"}
        later = await Client.connect(server.base, seed.room_id, lang="en")
        msg = next(m for m in later.hello["messages"] if m["seq"] == ev["seq"])
        assert msg["data"]["flags"] == ["device_claim"]
        await later.close()
        await host.close()
    finally:
        node.pipeline = real
