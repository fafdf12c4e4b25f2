"""The room state reducer."""

from __future__ import annotations

from chuhai.live.state import RoomState


def ev(n, type_, **data):
    return {"seq": n, "type": type_, "ts": 0, "data": data}


def test_pins_keep_the_latest_three_without_duplicates():
    s = RoomState("r")
    for i, pid in enumerate(["a", "b", "c", "a", "d"], start=1):
        s.apply(ev(i, "pin", product_id=pid))
    assert [p["product_id"] for p in s.pinned] == ["c", "a", "d"]
    s.apply(ev(6, "unpin", product_id="a"))
    assert [p["product_id"] for p in s.pinned] == ["c", "d"]


def test_old_or_repeated_events_are_ignored():
    s = RoomState("r")
    s.apply(ev(5, "pin", product_id="a"))
    s.apply(ev(5, "unpin", product_id="a"))
    s.apply(ev(3, "unpin", product_id="a"))
    assert [p["product_id"] for p in s.pinned] == ["a"]


def test_questions_answers_deletes_and_moderation():
    s = RoomState("r")
    s.apply(ev(1, "question", text="ship to JP?", author="Yui", author_id="c1", region="apac"))
    s.apply(ev(2, "chat", text="hi", author="Jo"))
    s.apply(ev(3, "answer", question=1, question_text="ship to JP?", text="yes"))
    assert s.questions[1]["answered"] and s.answer["text"] == "yes"
    s.apply(ev(4, "chat.deleted", seq=2))
    assert s.recent == []
    s.apply(ev(5, "moderation", action="mute", subject="c1", until=100.0))
    s.apply(ev(6, "moderation", action="ban", subject="c2"))
    s.apply(ev(7, "moderation", action="slow", seconds=10))
    s.apply(ev(8, "moderation", action="followers_only", on=True))
    assert s.is_muted("c1", 50.0) and not s.is_muted("c1", 150.0)
    assert "c2" in s.banned and s.slow_mode_s == 10 and s.followers_only
    assert s.snapshot()["questions"] == []


def test_polls_open_and_close():
    s = RoomState("r")
    s.apply(ev(1, "poll.open", id="p1", question="Colour?", options=["a", "b"]))
    assert s.poll["open"]
    s.apply(ev(2, "poll.close", poll="p1"))
    assert not s.poll["open"]


def test_a_line_flagged_later_carries_its_flags_once_each():
    s = RoomState("r")
    s.apply(ev(1, "chat", text="so quiet now", author="Host", flags=["urgency"]))
    s.apply(ev(2, "chat.flagged", seq=1, flags=["device_claim", "urgency"], by="meaning"))
    s.apply(ev(3, "chat.flagged", seq=99, flags=["hate"], by="meaning"))  # gone: ignored
    assert s.recent[0]["data"]["flags"] == ["urgency", "device_claim"]
