"""The chat pipeline's stages: length, rate and slow mode, PII redaction, screening by
words and by meaning (a host line past its room's budget screened later)."""

from __future__ import annotations

import time

import pytest

from chuhai.comms.screening.pii import redact
from chuhai.live.pipeline import ChatLine, LineContext, Rejected, chat_bucket, default_pipeline
from chuhai.live.state import RoomState


def line(text: str) -> ChatLine:
    return ChatLine(kind="chat", text=text, author_id="c1", author_name="A", lang="en")


def ctx(**kw) -> LineContext:
    return LineContext(room=RoomState("r", **kw), markets=["US", "DE", "JP"],
                       bucket=chat_bucket(), now=100.0)


async def test_whitespace_is_collapsed_and_limits_apply():
    p = default_pipeline()
    assert (await p.run(line("  hello \n  world "), ctx())).text == "hello world"
    for text, code in (("   ", "empty"), ("x" * 501, "too_long")):
        with pytest.raises(Rejected) as err:
            await p.run(line(text), ctx())
        assert err.value.code == code


async def test_the_token_bucket_then_slow_mode():
    p, c = default_pipeline(), ctx()
    for _ in range(3):
        await p.run(line("hi"), c)
    with pytest.raises(Rejected) as err:
        await p.run(line("hi"), c)
    assert err.value.code == "rate_limited" and err.value.retry_after > 0
    slow = ctx(slow_mode_s=30)
    await p.run(line("first"), slow)
    slow.now += 10
    with pytest.raises(Rejected) as err:
        await p.run(line("second"), slow)
    assert err.value.code == "slow_mode"
    slow.now += 25
    await p.run(line("third"), slow)


@pytest.mark.parametrize(("text", "kinds"), [
    ("mail a.b+c@example.co.uk please", ("email",)),
    ("call +49 30 901820", ("phone",)),
    ("(415) 555-2671", ("phone",)),
    ("電話 090-1234-5678", ("phone",)),
    ("order 12345, only 3 left at 89.00", ()),
    ("SKU SW-ANC1-BLK", ()),
])
def test_redaction_finds_emails_and_phone_numbers_only(text, kinds):
    result = redact(text, ["US", "DE", "JP"])
    assert result.kinds == kinds
    if kinds:
        assert "hidden]" in result.text


async def test_redaction_is_a_stage():
    out = await default_pipeline().run(line("me: jo@x.example"), ctx())
    assert out.text == "me: [email hidden]" and out.redactions == ("email",)


async def test_an_unexpected_languages_automaton_is_compiled_off_the_event_loop():
    import threading

    from chuhai.comms.screening.engine import Screener
    from chuhai.comms.service import default_screener

    screener = Screener(default_screener().packs)  # fresh: nothing compiled yet
    compiled_on: list[int] = []
    real_compile = screener._compile

    def spy(rules):  # type: ignore[no-untyped-def]
        compiled_on.append(threading.get_ident())
        return real_compile(rules)

    screener._compile = spy  # type: ignore[method-assign]
    p = default_pipeline(screener)
    c = ctx()
    vi = ChatLine(kind="chat", text="Áo khoác này đẹp quá, còn size M không ạ?",
                  author_id="c1", author_name="A", lang="vi")
    out = await p.run(vi, c)
    assert out.lang == "vi"
    assert compiled_on and threading.get_ident() not in compiled_on
    assert all(screener.has_scope(m, "vi", "viewer") for m in ("US", "DE", "JP"))
    before = len(compiled_on)
    await p.run(vi, ctx())  # the second line finds them compiled
    assert len(compiled_on) == before


def _semantic_pipeline(viewer_ms: float):  # type: ignore[no-untyped-def]
    from tests.comms.test_semantic import make

    screener, embed = make()
    return default_pipeline(screener, meaning=True, viewer_ms=viewer_ms), screener, embed


def _said(text: str, side: str) -> ChatLine:
    return ChatLine(kind="chat", text=text, author_id="c1", author_name="A", lang="en",
                    side=side)


async def test_a_host_line_is_screened_by_meaning_in_a_worker_thread():
    import threading

    p, screener, embed = _semantic_pipeline(viewer_ms=0)
    screener.semantic.build()
    threads: list[int] = []
    real = embed.__call__

    class Spy:
        def __call__(self, texts):  # type: ignore[no-untyped-def]
            threads.append(threading.get_ident())
            return real(texts)

    screener.semantic.embed = Spy()
    c = LineContext(room=RoomState("r"), markets=["US"], bucket=chat_bucket(), now=100.0)
    claim = "the ringing in my ears stopped after a week with these new earbuds"
    out = await p.run(_said(claim, "host"), c)
    assert out.flags == ("device_claim",)  # broadcast with a warning to the host
    assert [d["by"] for d in out.findings] == ["meaning"]
    assert threads and threading.get_ident() not in threads


async def test_viewer_lines_are_screened_by_meaning_only_within_the_room_budget():
    p, screener, embed = _semantic_pipeline(viewer_ms=20)
    screener.semantic.build()
    stage = p.stages[-1]
    charged: list[float] = []
    real_charge = stage.budget.charge

    def as_if_8ms(room_id, now, ms):  # type: ignore[no-untyped-def]
        charged.append(ms)
        real_charge(room_id, now, 8.0 if ms > 0 else 0.0)  # the fake embeds in µs

    stage.budget.charge = as_if_8ms
    c = LineContext(room=RoomState("r"), markets=["US"], bucket=chat_bucket(), now=100.0)
    before = len(embed.calls)
    for i in range(10):  # a burst at one instant: the bucket (2 s x 20 ms) covers five
        c.bucket = chat_bucket()
        await p.run(_said(f"what colours does model {'x' * i} come in", "viewer"), c)
    assert len(embed.calls) - before == 5
    other = LineContext(room=RoomState("r2"), markets=["US"], bucket=chat_bucket(),
                        now=100.0)
    calls = len(embed.calls)
    await p.run(_said("is there a blue one for the kids", "viewer"), other)
    assert len(embed.calls) == calls + 1  # another room has its own budget
    c.now = 101.0  # a second later the room has 20 ms again
    c.bucket = chat_bucket()
    await p.run(_said("and in green", "viewer"), c)
    assert len(embed.calls) == calls + 2


async def test_no_viewer_budget_means_viewer_lines_by_patterns_only():
    p, screener, embed = _semantic_pipeline(viewer_ms=0)
    screener.semantic.build()
    c = LineContext(room=RoomState("r"), markets=["US"], bucket=chat_bucket(), now=100.0)
    before = len(embed.calls)
    out = await p.run(_said("you are too stupid to understand a discount", "viewer"), c)
    assert len(embed.calls) == before and out.flags == ()


CLAIM = "the ringing in my ears stopped after a week with these new earbuds"


async def _until(cond, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    for _ in range(int(seconds / 0.01)):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


async def test_a_host_line_past_the_budget_goes_out_on_its_patterns_and_is_screened_later():
    from chuhai.live.pipeline import MeaningBudget

    p, screener, embed = _semantic_pipeline(viewer_ms=0)
    stage = p.stages[-1]
    stage.host_budget = MeaningBudget(10.0)
    stage.host_budget.charge("r", time.monotonic(), 45.0)  # spent: 5 ms of debt, 0.5 s
    screener.semantic.build()
    c = LineContext(room=RoomState("r"), markets=["US"], bucket=chat_bucket(),
                    now=time.monotonic())
    before = len(embed.calls)
    out = await p.run(_said(CLAIM, "host"), c)
    assert len(embed.calls) == before and out.flags == () and out.meaning_due
    told: list[list[dict]] = []
    p.screen_later(out, c, told.append)
    assert stage.later.waiting("r") == 1
    await _until(lambda: told)
    assert [(f["rule"].split(".")[-2], f["by"]) for f in told[0]] == [("device", "meaning")]
    assert told[0][0]["market"] == "US" and told[0][0]["example"]
    assert stage.later.waiting("r") == 0
    await p.close()


async def test_lines_waiting_are_screened_oldest_first_as_the_budget_refills():
    from chuhai.live.pipeline import MeaningBudget

    p, screener, _ = _semantic_pipeline(viewer_ms=0)
    stage = p.stages[-1]
    stage.host_budget = MeaningBudget(10.0)
    screener.semantic.build()
    real = stage.with_meaning
    done: list[str] = []

    def costly(line, ctx):  # type: ignore[no-untyped-def]
        done.append(line.text)
        out = real(line, ctx)
        stage.host_budget.charge(ctx.room.room_id, ctx.now, 3.0)  # 0.3 s of refill each
        return out

    stage.with_meaning = costly
    stage.host_budget.charge("r", time.monotonic(), 45.0)  # spent: 0.5 s until it refills
    c = LineContext(room=RoomState("r"), markets=["US"], bucket=chat_bucket(),
                    now=time.monotonic())
    for i in range(3):
        c.bucket = chat_bucket()
        out = await p.run(_said(f"line number {i} about colours", "host"), c)
        assert out.meaning_due
        p.screen_later(out, c, lambda found: None)
    await _until(lambda: len(done) == 3)
    assert done == [f"line number {i} about colours" for i in range(3)]
    await p.close()


async def test_a_flood_keeps_only_the_newest_lines_waiting_and_counts_the_rest():
    from chuhai.live.meaning_later import MeaningLater
    from chuhai.live.pipeline import MeaningBudget

    p, screener, _ = _semantic_pipeline(viewer_ms=0)
    stage = p.stages[-1]
    stage.host_budget = MeaningBudget(0.001)  # refills far too slowly to drain meanwhile
    stage.host_budget.charge("r", time.monotonic(), 1000.0)
    stage.later = MeaningLater(stage, per_room=3)
    screener.semantic.build()
    c = LineContext(room=RoomState("r"), markets=["US"], bucket=chat_bucket(),
                    now=time.monotonic())
    for i in range(5):
        stage.later.add(_said(f"line {i}", "host"), c, lambda found: None)
    assert stage.later.waiting("r") == 3 and stage.later.dropped == 2
    assert [w.line.text for w in stage.later._queues["r"]] == ["line 2", "line 3", "line 4"]
    await p.close()
    assert stage.later.waiting("r") == 0


async def test_viewer_lines_and_host_lines_with_no_host_budget_are_not_screened_later():
    from chuhai.live.pipeline import MeaningBudget

    p, screener, _ = _semantic_pipeline(viewer_ms=0)
    screener.semantic.build()
    c = LineContext(room=RoomState("r"), markets=["US"], bucket=chat_bucket(), now=100.0)
    out = await p.run(_said(CLAIM, "viewer"), c)
    assert not out.meaning_due
    p.stages[-1].host_budget = MeaningBudget(0)  # 0: host lines by patterns only
    c.bucket = chat_bucket()
    out = await p.run(_said(CLAIM, "host"), c)
    assert not out.meaning_due and out.flags == ()


async def test_a_host_line_the_patterns_flag_is_not_screened_later():
    from chuhai.comms.screening.engine import Screener
    from chuhai.comms.screening.packs import parse_pack
    from chuhai.comms.screening.semantic import SemanticLayer
    from chuhai.live.pipeline import MeaningBudget
    from tests.comms.test_semantic import PACK, Counting

    pack = parse_pack(PACK.replace('action = "block"', 'action = "warn"'), "US.toml", [])
    assert pack is not None
    screener = Screener([pack], semantic=SemanticLayer([pack], Counting()))
    p = default_pipeline(screener, meaning=True, viewer_ms=0)
    p.stages[-1].host_budget = MeaningBudget(10.0)
    p.stages[-1].host_budget.charge("r", 100.0, 1000.0)
    screener.semantic.build()
    c = LineContext(room=RoomState("r"), markets=["US"], bucket=chat_bucket(), now=100.0)
    out = await p.run(_said("These headphones cures tinnitus", "host"), c)
    assert out.flags == ("device_claim",) and not out.meaning_due


async def test_a_model_failure_later_leaves_the_line_as_sent_and_the_queue_going():
    from chuhai.live.pipeline import MeaningBudget

    p, screener, _ = _semantic_pipeline(viewer_ms=0)
    stage = p.stages[-1]
    stage.host_budget = MeaningBudget(1000.0)
    screener.semantic.build()
    real = stage.with_meaning
    calls: list[str] = []

    def flaky(line, ctx):  # type: ignore[no-untyped-def]
        calls.append(line.text)
        if len(calls) == 1:
            raise RuntimeError("model crashed")
        return real(line, ctx)

    stage.with_meaning = flaky
    c = LineContext(room=RoomState("r"), markets=["US"], bucket=chat_bucket(), now=100.0)
    told: list[list[dict]] = []
    stage.later.add(_said("what a lovely day", "host"), c, told.append)
    stage.later.add(_said(CLAIM, "host"), c, told.append)
    await _until(lambda: told)
    assert len(calls) == 2 and told[0][0]["by"] == "meaning"
    await p.close()


def test_the_budget_charges_what_a_line_cost_and_refills():
    from chuhai.live.pipeline import MeaningBudget

    b = MeaningBudget(10.0)
    assert b.allow("r", 0.0)
    b.charge("r", 0.0, 55.0)  # one slow line: 40 ms held (one long line), 15 ms of debt
    assert not b.allow("r", 1.0)  # +10 ms: still 5 ms in debt
    assert b.allow("r", 2.0)
    assert not MeaningBudget(0.0).allow("r", 0.0)


async def test_until_the_examples_are_loaded_lines_go_by_patterns_and_loading_starts():
    import asyncio
    import threading

    from tests.comms.test_semantic import bag, make

    gate = threading.Event()

    def slow(texts):  # type: ignore[no-untyped-def]
        gate.wait(5)
        return bag(texts)

    screener, _ = make(embed=slow)  # type: ignore[arg-type]
    p = default_pipeline(screener, meaning=True, viewer_ms=60, host_ms=60)
    assert not screener.semantic.ready  # loading started with the pipeline, not done
    c = LineContext(room=RoomState("r"), markets=["US"], bucket=chat_bucket(), now=100.0)
    claim = "the ringing in my ears stopped after a week with these new earbuds"
    out = await p.run(_said(claim, "host"), c)  # not held while the examples load
    assert out.flags == ()
    gate.set()
    for _ in range(200):
        if screener.semantic.ready:
            break
        await asyncio.sleep(0.01)
    assert screener.semantic.ready
    c.bucket = chat_bucket()
    assert (await p.run(_said(claim, "host"), c)).flags == ("device_claim",)


async def test_lines_still_waiting_when_the_room_ends_are_not_screened():
    from chuhai.live.pipeline import MeaningBudget

    p, screener, _ = _semantic_pipeline(viewer_ms=0)
    stage = p.stages[-1]
    stage.host_budget = MeaningBudget(10.0)
    stage.host_budget.charge("r", time.monotonic(), 43.0)  # 0.3 s until it refills
    screener.semantic.build()
    room = RoomState("r", status="live")
    c = LineContext(room=room, markets=["US"], bucket=chat_bucket(), now=time.monotonic())
    told: list[list[dict]] = []
    stage.later.add(_said(CLAIM, "host"), c, told.append)
    room.status = "ended"  # the room ends while the line waits
    import asyncio

    await asyncio.sleep(0.6)
    assert told == [] and stage.later.waiting("r") == 0
    await p.close()
