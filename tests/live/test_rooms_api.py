"""Rooms over REST: schedule, go live, end, and the replay that remains."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.live.harness import Client, ThreadServer, customer_cookie, seed, settings_for, tagged


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    settings = settings_for(tmp_path_factory.mktemp("rooms"), live_tick_ms=50)
    data = seed(settings)
    with ThreadServer(settings) as server:
        yield server, data


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_schedule_go_live_pin_chat_end_and_replay(env):
    server, data = env
    async with httpx.AsyncClient(base_url=server.base) as api:
        created = await api.post("/api/rooms", headers=_h(data.host_token), json={
            "titles": {"en": "Evening drop", "ja": "夜のライブ"}, "markets": ["us", "JP"],
            "scheduled_at": "2030-01-01T12:00:00Z", "playback_url": "/media/x/index.m3u8",
            "run_of_show": [{"product_id": data.products[0], "planned_minutes": 10}]})
        assert created.status_code == 201, created.text
        room = created.json()
        assert room["markets"] == ["US", "JP"] and room["status"] == "scheduled"
        assert room["run_of_show"][0]["planned_minutes"] == 10
        assert (await api.post(f"/api/rooms/{room['id']}/open",
                               headers=_h(data.host_token))).json()["status"] == "live"
        again = await api.post(f"/api/rooms/{room['id']}/open", headers=_h(data.host_token))
        assert again.status_code == 409 and again.json()["code"] == "invalid_transition"

        host = await Client.connect(server.base, room["id"], token=data.host_token)
        cookie = await customer_cookie(server.base, tagged("jp@v.example", data.org_id))
        viewer = await Client.connect(server.base, room["id"], cookie=cookie, lang="ja")
        await host.send(type="pin", product_id=data.products[0])
        await viewer.send(type="chat", text="こんにちは")
        await host.pump(lambda c: c.of("pin") and c.of("chat"))
        assert (await api.get(f"/api/rooms/{room['id']}/replay")).status_code == 404

        ended = await api.post(f"/api/rooms/{room['id']}/end", headers=_h(data.host_token))
        assert ended.json()["status"] == "ended"
        assert ended.json()["recording_url"] == "/media/x/index.m3u8"
        await viewer.pump(lambda c: any(e["data"].get("status") == "ended"
                                        for e in c.of("room.status")))
        await asyncio.sleep(0.2)
        replay = (await api.get(f"/api/rooms/{room['id']}/replay")).json()
        assert [c["product_id"] for c in replay["chapters"]] == [data.products[0]]
        assert [m["text"] for m in replay["chat"]] == ["こんにちは"]
        assert replay["chapters"][0]["t"] >= 0
        page = await api.get(f"/replay/{room['id']}")
        assert page.status_code == 200 and "replay" in page.text.lower()
        live_page = await api.get(f"/live/{room['id']}")
        assert live_page.status_code == 303  # an ended room's viewer page goes to the replay


@pytest.mark.parametrize(("body", "code"), [
    ({"titles": {}, "markets": ["US"], "scheduled_at": "2030-01-01T12:00:00Z"}, 422),
    ({"titles": {"en": "x"}, "markets": ["ZZ"], "scheduled_at": "2030-01-01T12:00:00Z"}, 422),
    ({"titles": {"en": "x"}, "markets": ["US"], "scheduled_at": "2030-01-01T12:00:00"}, 422),
    ({"titles": {"en": "x"}, "markets": ["US"], "scheduled_at": "2030-01-01T12:00:00Z",
      "playback_url": "javascript:alert(1)"}, 422),
    ({"titles": {"en": "x"}, "markets": ["US"], "scheduled_at": "2030-01-01T12:00:00Z",
      "run_of_show": [{"product_id": "prd_nope", "planned_minutes": 5}]}, 422),
    ({"titles": {"en": "x"}, "markets": ["US"], "scheduled_at": "2030-01-01T12:00:00Z",
      "host_ids": ["stf_nope"]}, 422),
])
async def test_bad_rooms_are_refused(env, body, code):
    server, data = env
    async with httpx.AsyncClient(base_url=server.base) as api:
        resp = await api.post("/api/rooms", headers=_h(data.host_token), json=body)
        assert resp.status_code == code, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")


async def test_viewers_cannot_manage_rooms_and_rooms_are_per_org(env):
    server, data = env
    async with httpx.AsyncClient(base_url=server.base) as api:
        resp = await api.post(f"/api/rooms/{data.room_id}/end")
        assert resp.status_code == 401
        mod = await api.post(f"/api/rooms/{data.room_id}/end", headers=_h(data.mod_token))
        assert mod.status_code == 403 and mod.json()["code"] == "permission_denied"
