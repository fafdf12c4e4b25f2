"""The live-room socket end to end against a real server: hello, chat, likes, resume,
host and moderator actions, and every kind of bad input."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import pytest
import websockets

from chuhai.live.ws import parse_since
from tests.live.harness import Client, customer_cookie, tagged


@pytest.fixture
def env(live_env):
    return live_env


async def test_hello_brings_room_state_counters_and_identity(env):
    server, seed = env
    guest = await Client.connect(server.base, seed.room_id, lang="de", market="DE")
    h = guest.hello
    assert h["v"] == 1 and h["room"]["title"] == "Starttag" and h["reset"] is True
    assert h["you"]["kind"] == "guest" and h["you"]["can_chat"] is False
    assert isinstance(h["seq"], int) and "pinned" in h["state"]
    await guest.close()


async def test_chat_reaches_every_viewer_once_with_increasing_seq(env):
    server, seed = env
    cookie = await customer_cookie(server.base, tagged("de@v.example", seed.org_id))
    author = await Client.connect(server.base, seed.room_id, cookie=cookie, lang="de")
    watchers = [await Client.connect(server.base, seed.room_id) for _ in range(3)]
    for i in range(3):
        await author.send(type="chat", text=f"hallo {i}")
    for w in [author, *watchers]:
        await w.pump(lambda c: len(c.of("chat")) >= 3)
        texts = [e["data"]["text"] for e in w.of("chat")]
        assert texts[-3:] == ["hallo 0", "hallo 1", "hallo 2"]
        assert w.seqs == sorted(set(w.seqs))
    assert author.of("chat")[-1]["data"]["author"] == "Lena"
    for c in [author, *watchers]:
        await c.close()


async def test_a_nonce_comes_back_with_the_line_and_must_be_a_token(env):
    server, seed = env
    cookie = await customer_cookie(server.base, tagged("jp@v.example", seed.org_id))
    author = await Client.connect(server.base, seed.room_id, cookie=cookie, lang="de")
    await author.send(type="chat", text="mit nonce", nonce="c-17")
    await author.pump(lambda c: any(e["data"].get("nonce") == "c-17" for e in c.of("chat")))
    await author.send(type="chat", text="böse", nonce="<b>buy at scam.example</b>")
    await author.pump(lambda c: len(c.errors) >= 1)
    assert author.errors[-1]["code"] == "invalid_message"
    await author.close()


async def test_guests_can_like_but_not_chat(env):
    server, seed = env
    guest = await Client.connect(server.base, seed.room_id)
    await guest.send(type="chat", text="hi")
    await guest.pump(lambda c: c.errors)
    assert guest.errors[-1]["code"] == "sign_in_required"
    for _ in range(30):
        await guest.send(type="like", n=5)
    await guest.pump(lambda c: any(a.get("counters", {}).get("likes", 0) >= 150
                                   for a in c.aggs))
    await guest.close()


async def test_likes_are_folded_into_one_aggregate_per_tick(env):
    server, seed = env
    guest = await Client.connect(server.base, seed.room_id)
    for _ in range(35):
        await guest.send(type="like", n=50)  # 1,750 likes in a burst
    await guest.pump(lambda c: any(a.get("counters", {}).get("likes", 0) >= 1750
                                   for a in c.aggs), timeout=5)
    like_frames = [a for a in guest.aggs if "likes" in a.get("counters", {})]
    assert len(like_frames) <= 10  # a handful of ticks, not 35 frames
    await guest.close()


async def test_resume_after_reconnect_has_no_gap_and_no_duplicate(env):
    server, seed = env
    cookie = await customer_cookie(server.base, tagged("us@v.example", seed.org_id))
    author = await Client.connect(server.base, seed.room_id, cookie=cookie)
    viewer = await Client.connect(server.base, seed.room_id)
    await author.send(type="chat", text="before")
    await viewer.pump(lambda c: any(e["data"].get("text") == "before" for e in c.of("chat")))
    last = viewer.seqs[-1]
    await viewer.close()
    for i in range(3):
        await author.send(type="chat", text=f"while away {i}")
        await asyncio.sleep(1.6)  # the per-connection chat bucket refills
    await author.pump(lambda c: sum("while away" in e["data"]["text"]
                                    for e in c.of("chat")) >= 3)
    back = await Client.connect(server.base, seed.room_id, since=last)
    assert back.hello["resumed"] is True
    await author.send(type="chat", text="after")
    await back.pump(lambda c: any(e["data"].get("text") == "after" for e in c.of("chat")))
    seqs = back.seqs
    assert seqs == list(range(last + 1, last + 1 + len(seqs))), seqs  # no gap, no dup
    assert [e["data"]["text"] for e in back.of("chat")][:3] == [
        "while away 0", "while away 1", "while away 2"]
    for c in (author, back):
        await c.close()


async def test_resume_from_the_future_is_refused_with_its_close_code(env):
    server, seed = env
    client = await Client.connect(server.base, seed.room_id, since=10**9)
    assert client.errors[0]["code"] == "resume_from_future"
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(client.ws.recv(), 3)
    assert closed.value.rcvd.code == 4409


# What int() would take and a sequence number is not: underscores, signs, spaces, decimals,
# exponents, hex, full-width and other Unicode digits, a trailing newline, 19+ digits.
NOT_SINCE = ["1_0", "+1", " 1", "1 ", "-1", "-0", "1.0", "1e3", "0x1", "\uff10", "\u0661",
             "1\n", "9" * 19, "\u00b9"]


@pytest.mark.parametrize("raw", NOT_SINCE)
def test_since_is_plain_ascii_digits_only(raw):
    with pytest.raises(ValueError):
        parse_since(raw)


def test_since_accepts_what_a_client_sends():
    assert parse_since(None) is None and parse_since("") is None
    assert [parse_since(s) for s in ("0", "42", "007", "9" * 18)] == [0, 42, 7, 10**18 - 1]


@pytest.mark.parametrize("raw", ["1_0", "+1", " 1", "-1", "1.0", "\uff10"])
async def test_a_since_that_is_not_plain_digits_is_refused_with_bad_since(env, raw):
    server, seed = env
    client = await Client.connect(server.base, seed.room_id, since=quote(raw))
    assert client.errors[0]["code"] == "bad_since" and not client.hello
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(client.ws.recv(), 3)
    assert closed.value.rcvd.code == 4400


async def test_nul_and_control_characters_in_chat_are_refused(env):
    server, seed = env
    cookie = await customer_cookie(server.base, tagged("de@v.example", seed.org_id))
    author = await Client.connect(server.base, seed.room_id, cookie=cookie, lang="de")
    await author.send(type="chat", text="a\x00b")
    await author.send(type="chat", text="bell\x07")
    await author.send(type="question", text="frage\x00")
    await author.pump(lambda c: len(c.errors) >= 3)
    assert [e["code"] for e in author.errors] == ["invalid_characters"] * 3
    await author.send(type="chat", text="sauber")
    await author.pump(lambda c: any(e["data"].get("text") == "sauber" for e in c.of("chat")))
    assert not any("\x00" in e["data"].get("text", "") or "\x07" in e["data"].get("text", "")
                   for e in author.events)
    await author.close()


async def test_bad_frames_get_stable_error_codes_and_the_room_goes_on(env):
    server, seed = env
    cookie = await customer_cookie(server.base, tagged("jp@v.example", seed.org_id))
    viewer = await Client.connect(server.base, seed.room_id, cookie=cookie, lang="ja")
    for raw in ("not json", "[]", json.dumps({"type": "teleport"}),
                json.dumps({"type": "chat"}), json.dumps({"type": "like", "n": 10_000}),
                json.dumps({"type": "chat", "text": "x" * 600}),
                "{" + "\"a\":1," * 2000 + "\"type\":\"ping\"}"):
        await viewer.ws.send(raw)
    await viewer.pump(lambda c: len(c.errors) >= 7)
    codes = [e["code"] for e in viewer.errors]
    assert codes == ["invalid_json", "invalid_message", "unknown_type", "invalid_message",
                     "invalid_message", "too_long", "frame_too_large"]
    await viewer.send(type="chat", text="still here")
    await viewer.pump(lambda c: any(e["data"].get("text") == "still here"
                                    for e in c.of("chat")))
    await viewer.close()


async def test_script_in_chat_is_carried_as_text(env):
    server, seed = env
    cookie = await customer_cookie(server.base, tagged("de@v.example", seed.org_id))
    viewer = await Client.connect(server.base, seed.room_id, cookie=cookie)
    payload = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    await asyncio.sleep(1.6)
    await viewer.send(type="chat", text=payload)
    await viewer.pump(lambda c: any(e["data"].get("text") == payload for e in c.of("chat")))
    await viewer.close()


async def test_pii_is_redacted_before_broadcast(env):
    server, seed = env
    cookie = await customer_cookie(server.base, tagged("us@v.example", seed.org_id))
    viewer = await Client.connect(server.base, seed.room_id, cookie=cookie)
    await asyncio.sleep(1.6)
    await viewer.send(type="chat", text="text me at +1 415 555 2671 or jo@mail.example")
    await viewer.pump(lambda c: any("text me" in e["data"].get("text", "")
                                    for e in c.of("chat")))
    line = [e for e in viewer.of("chat") if "text me" in e["data"]["text"]][-1]["data"]
    assert "555" not in line["text"] and "jo@mail" not in line["text"]
    assert set(line["redacted"]) == {"email", "phone"}
    await viewer.close()


async def test_viewers_cannot_do_host_or_moderator_things(env):
    server, seed = env
    cookie = await customer_cookie(server.base, tagged("de@v.example", seed.org_id))
    viewer = await Client.connect(server.base, seed.room_id, cookie=cookie)
    await viewer.send(type="pin", product_id=seed.products[0])
    await viewer.send(type="mod.slow", seconds=30)
    await viewer.pump(lambda c: len(c.errors) >= 2)
    assert [e["code"] for e in viewer.errors] == ["forbidden", "forbidden"]
    await viewer.close()


async def test_host_pins_up_to_three_and_viewers_see_cards_in_their_market(env):
    server, seed = env
    host = await Client.connect(server.base, seed.room_id, token=seed.host_token)
    assert host.hello["you"]["role"] == "host"
    viewer = await Client.connect(server.base, seed.room_id, lang="de", market="DE")
    for pid in seed.products[:3]:
        await host.send(type="pin", product_id=pid)
    await host.send(type="pin", product_id=seed.products[3])
    await host.pump(lambda c: c.errors and len(c.of("pin")) >= 3)
    assert host.errors[-1]["code"] == "too_many_pins"
    await viewer.pump(lambda c: len(c.of("pin")) >= 3)
    card = viewer.of("pin")[0]["data"]
    assert card["listings"]["DE"]["price_display"] == "54,99\xa0€"
    assert card["listings"]["DE"]["title"].startswith("Lautsprecher")
    for pid in seed.products[:3]:
        await host.send(type="unpin", product_id=pid)
    await viewer.pump(lambda c: len(c.of("unpin")) >= 3)
    for c in (host, viewer):
        await c.close()


async def test_questions_answers_and_polls(env):
    server, seed = env
    host = await Client.connect(server.base, seed.room_id, token=seed.host_token)
    cookie = await customer_cookie(server.base, tagged("jp@v.example", seed.org_id))
    viewer = await Client.connect(server.base, seed.room_id, cookie=cookie, lang="ja")
    await asyncio.sleep(1.6)
    await viewer.send(type="question", text="Does it ship to Osaka?")
    await host.pump(lambda c: c.of("question"))
    q = host.of("question")[-1]
    await host.send(type="answer", question=q["seq"], text="Yes, in 5 days")
    await viewer.pump(lambda c: c.of("answer"))
    assert viewer.of("answer")[-1]["data"]["question_text"] == "Does it ship to Osaka?"
    await host.send(type="poll.open", question="Colour?", options=["black", "white"])
    await viewer.pump(lambda c: c.of("poll.open"))
    poll = viewer.of("poll.open")[-1]["data"]["id"]
    await viewer.send(type="vote", poll=poll, option=1)
    await viewer.send(type="vote", poll=poll, option=0)
    await host.pump(lambda c: any(a.get("counters", {}).get(f"poll:{poll}:1") == 1
                                  for a in c.aggs))
    await viewer.pump(lambda c: c.errors)
    assert viewer.errors[-1]["code"] == "already_voted"
    await host.send(type="poll.close", poll=poll)
    await viewer.pump(lambda c: c.of("poll.close"))
    for c in (host, viewer):
        await c.close()


async def test_moderators_delete_mute_slow_and_ban(env):
    server, seed = env
    mod = await Client.connect(server.base, seed.room_id, token=seed.mod_token)
    assert mod.hello["you"]["role"] == "moderator"
    cookie = await customer_cookie(server.base, tagged("us@v.example", seed.org_id))
    troll = await Client.connect(server.base, seed.room_id, cookie=cookie)
    await asyncio.sleep(1.6)
    await troll.send(type="chat", text="spam spam")
    await mod.pump(lambda c: any(e["data"].get("text") == "spam spam" for e in c.of("chat")))
    line = [e for e in mod.of("chat") if e["data"]["text"] == "spam spam"][-1]
    await mod.send(type="mod.delete", seq=line["seq"])
    await troll.pump(lambda c: c.of("chat.deleted"))
    await mod.send(type="mod.mute", subject=line["data"]["author_id"], minutes=1)
    await troll.pump(lambda c: any(e["data"].get("action") == "mute"
                                   for e in c.of("moderation")))
    await troll.send(type="chat", text="am I muted?")
    await troll.pump(lambda c: c.errors)
    assert troll.errors[-1]["code"] == "muted"
    await mod.send(type="mod.ban", subject=line["data"]["author_id"])
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await troll.pump(lambda c: False, timeout=5)
    assert closed.value.rcvd.code == 4403
    again = await Client.connect(server.base, seed.room_id, cookie=cookie)
    assert again.errors[0]["code"] == "banned"
    await mod.close()


async def test_unknown_and_ended_rooms_close_with_their_codes(env):
    server, seed = env
    missing = await Client.connect(server.base, "room_nope")
    assert missing.errors[0]["code"] == "room_not_found"
    ended = await Client.connect(server.base, seed.ended_room_id)
    assert ended.errors[0]["code"] == "room_ended"
    bad = await Client.connect(server.base, seed.room_id, token="chh_forged")
    assert bad.errors[0]["code"] == "bad_token"
