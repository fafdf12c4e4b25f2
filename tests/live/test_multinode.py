"""Two real app processes share one room through Redis: a line posted on node A reaches
viewers on node B, viewer counts are summed across nodes, and a viewer who drops from A
resumes on B with no gap and no duplicate."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.conftest import redis_url_or_skip
from tests.live.harness import Client, ProcessServer, customer_cookie, seed, settings_for, tagged


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory):
    redis_url = redis_url_or_skip()
    data_dir = tmp_path_factory.mktemp("multinode")
    settings = settings_for(data_dir)
    data = seed(settings)
    env = {"CHUHAI_DATA_DIR": str(data_dir), "CHUHAI_SECRET_KEY": "live-test-key",
           "CHUHAI_REDIS_URL": redis_url, "CHUHAI_LIVE_TICK_MS": "50"}
    with ProcessServer(env) as a, ProcessServer(env) as b:
        yield a, b, data


async def test_a_line_posted_on_one_node_reaches_viewers_on_the_other(two_nodes):
    a, b, data = two_nodes
    cookie = await customer_cookie(a.base, tagged("de@v.example", data.org_id))
    author = await Client.connect(a.base, data.room_id, cookie=cookie)
    on_b = [await Client.connect(b.base, data.room_id) for _ in range(3)]
    await author.send(type="chat", text="über die Knoten")
    for viewer in on_b:
        await viewer.pump(lambda c: any(e["data"].get("text") == "über die Knoten"
                                        for e in c.of("chat")))
    for c in (author, *on_b):
        await c.close()


async def test_viewer_counts_are_summed_across_nodes(two_nodes):
    a, b, data = two_nodes
    on_a = [await Client.connect(a.base, data.room_id) for _ in range(2)]
    on_b = [await Client.connect(b.base, data.room_id) for _ in range(3)]
    # Generous: viewers of the previous test may still be counted on the other node until
    # their presence entry expires, and the whole suite loads this 2-core machine.
    await on_a[0].pump(lambda c: any(agg.get("viewers") == 5 for agg in c.aggs), timeout=20)
    await on_b[0].pump(lambda c: any(agg.get("viewers") == 5 for agg in c.aggs), timeout=20)
    for c in (*on_a, *on_b):
        await c.close()


async def test_likes_from_both_nodes_add_up_exactly(two_nodes):
    a, b, data = two_nodes
    x = await Client.connect(a.base, data.room_id)
    y = await Client.connect(b.base, data.room_id)
    start = x.hello["counters"].get("likes", 0)
    assert y.hello["counters"].get("likes", 0) == start
    for _ in range(10):
        await x.send(type="like", n=3)
        await y.send(type="like", n=2)
    want = start + 10 * 3 + 10 * 2

    def likes(c: Client) -> list[int]:
        return [agg["counters"]["likes"] for agg in c.aggs if "likes" in agg.get("counters", {})]

    for c in (x, y):
        await c.pump(lambda c: want in likes(c), timeout=8)
    # Let a few more ticks (50 ms each) go by: a like counted twice, or on both nodes,
    # would show up as a total above what was sent.
    for c in (x, y):
        with contextlib.suppress(TimeoutError):
            await c.pump(lambda c: False, timeout=0.6)
        seen = likes(c)
        assert max(seen) == want and seen[-1] == want, seen
        assert seen == sorted(seen), "the total never goes down"
        await c.close()


async def test_resume_on_the_other_node_has_no_gap_and_no_duplicate(two_nodes):
    a, b, data = two_nodes
    cookie = await customer_cookie(a.base, tagged("us@v.example", data.org_id))
    author = await Client.connect(a.base, data.room_id, cookie=cookie)
    viewer = await Client.connect(a.base, data.room_id)
    await author.send(type="chat", text="one")
    await viewer.pump(lambda c: any(e["data"].get("text") == "one" for e in c.of("chat")))
    last = viewer.seqs[-1]
    await viewer.close()
    for text in ("two", "three"):
        await asyncio.sleep(1.6)
        await author.send(type="chat", text=text)
    await author.pump(lambda c: any(e["data"].get("text") == "three" for e in c.of("chat")))
    back = await Client.connect(b.base, data.room_id, since=last)
    assert back.hello["resumed"] is True
    await asyncio.sleep(1.6)
    await author.send(type="chat", text="four")
    await back.pump(lambda c: any(e["data"].get("text") == "four" for e in c.of("chat")))
    assert back.seqs == list(range(last + 1, last + 1 + len(back.seqs)))
    assert [e["data"]["text"] for e in back.of("chat")] == ["two", "three", "four"]
    for c in (author, back):
        await c.close()


async def test_host_actions_on_one_node_change_state_on_the_other(two_nodes):
    a, b, data = two_nodes
    host = await Client.connect(a.base, data.room_id, token=data.host_token)
    viewer = await Client.connect(b.base, data.room_id, lang="de", market="DE")
    await host.send(type="pin", product_id=data.products[0])
    await viewer.pump(lambda c: c.of("pin"))
    late = await Client.connect(b.base, data.room_id)
    assert [p["product_id"] for p in late.hello["state"]["pinned"]][-1] == data.products[0]
    await host.send(type="unpin", product_id=data.products[0])
    await viewer.pump(lambda c: c.of("unpin"))
    for c in (host, viewer, late):
        await c.close()
