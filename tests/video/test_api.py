"""The seller's video API: a resumable upload (tus), a video made of it, tags, publishing
market by market — and every bad input answered with a stable code, nothing half-made
shown to a buyer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from chuhai.core.db import Stores
from chuhai.video import processing
from tests.factories import Tenant, create_product, make_shop, make_tenant

OCTETS = {"content-type": "application/offset+octet-stream"}


async def upload(client: httpx.AsyncClient, tenant: Tenant, data: bytes, name: str,
                 chunk: int = 64 * 1024) -> str:
    """A tus upload in chunks; the upload's id."""
    meta = "filename " + __import__("base64").b64encode(name.encode()).decode()
    r = await client.post("/api/videos/uploads", headers={
        **tenant.headers, "Upload-Length": str(len(data)), "Upload-Metadata": meta,
        "Tus-Resumable": "1.0.0"})
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    for at in range(0, len(data), chunk):
        r = await client.patch(location, content=data[at:at + chunk], headers={
            **tenant.headers, **OCTETS, "Upload-Offset": str(at)})
        assert r.status_code == 204, r.text
        assert r.headers["upload-offset"] == str(min(at + chunk, len(data)))
    return location.rsplit("/", 1)[1]


async def make_video(client: httpx.AsyncClient, tenant: Tenant, clip: Path,
                     markets: list[str]) -> dict[str, Any]:
    up = await upload(client, tenant, clip.read_bytes(), clip.name)
    r = await client.post("/api/videos", headers=tenant.headers, json={
        "upload_id": up, "language": "en", "markets": markets,
        "texts": {"en": {"title": "Earbuds in 3 s"},
                  "de": {"title": "Ohrhörer in 3 s", "description": "Kurz gezeigt"}}})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_an_upload_resumes_where_the_server_says_it_stopped(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any) -> None:
    tenant = await make_tenant(stores, settings)
    r = await app_client.post("/api/videos/uploads", headers={
        **tenant.headers, "Upload-Length": "10"})
    loc = r.headers["location"]
    assert (await app_client.patch(loc, content=b"01234", headers={
        **tenant.headers, **OCTETS, "Upload-Offset": "0"})).status_code == 204
    head = await app_client.head(loc, headers=tenant.headers)
    assert head.headers["upload-offset"] == "5" and head.headers["upload-length"] == "10"
    # the same chunk again, a chunk from the wrong place: refused, the file untouched
    for offset in ("0", "7"):
        again = await app_client.patch(loc, content=b"01234", headers={
            **tenant.headers, **OCTETS, "Upload-Offset": offset})
        assert again.status_code == 409 and again.json()["code"] == "upload_offset_mismatch"
    assert (await app_client.patch(loc, content=b"56789", headers={
        **tenant.headers, **OCTETS, "Upload-Offset": "5"})).status_code == 204
    up_id = loc.rsplit("/", 1)[1]
    assert (settings.data_dir / "uploads" / f"{up_id}.part").read_bytes() == b"0123456789"
    over = await app_client.patch(loc, content=b"x", headers={
        **tenant.headers, **OCTETS, "Upload-Offset": "10"})
    assert over.status_code == 422 and over.json()["code"] == "upload_too_long"


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({"Upload-Length": "-1"}, 422, "upload_length_invalid"),
    ({"Upload-Length": "many"}, 422, "upload_length_invalid"),
    ({"Upload-Length": str(3 * 1024 ** 3)}, 413, "video_too_large"),
    ({"Upload-Length": "10", "Upload-Metadata": "filename ***"}, 422, "upload_metadata_invalid"),
])
async def test_bad_upload_requests_get_stable_codes(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any,
        headers: dict[str, str], status: int, code: str) -> None:
    tenant = await make_tenant(stores, settings)
    r = await app_client.post("/api/videos/uploads", headers={**tenant.headers, **headers})
    assert (r.status_code, r.json()["code"]) == (status, code)


async def test_chunks_need_the_tus_content_type_and_an_upload_of_ones_own_org(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any) -> None:
    mine, theirs = await make_tenant(stores, settings), await make_tenant(stores, settings)
    loc = (await app_client.post("/api/videos/uploads", headers={
        **mine.headers, "Upload-Length": "4"})).headers["location"]
    wrong = await app_client.patch(loc, content=b"abcd", headers={
        **mine.headers, "content-type": "video/mp4", "Upload-Offset": "0"})
    assert wrong.json()["code"] == "upload_content_type"
    other = await app_client.patch(loc, content=b"abcd", headers={
        **theirs.headers, **OCTETS, "Upload-Offset": "0"})
    assert other.status_code == 404 and other.json()["code"] == "upload_not_found"


@pytest.mark.parametrize(("clip", "code"), [("text", "not_a_video"),
                                            ("truncated", "video_corrupt"),
                                            ("audio_only", "video_no_picture"),
                                            ("blink", "video_too_short")])
async def test_a_file_that_is_not_a_usable_video_is_refused_before_any_work(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any,
        clips: dict[str, Path], clip: str, code: str) -> None:
    tenant = await make_tenant(stores, settings)
    up = await upload(app_client, tenant, clips[clip].read_bytes(), clips[clip].name)
    r = await app_client.post("/api/videos", headers=tenant.headers,
                              json={"upload_id": up, "markets": ["DE"]})
    assert (r.status_code, r.json()["code"]) == (422, code)
    assert (await app_client.get("/api/videos", headers=tenant.headers)).json()["items"] == []


async def test_an_unfinished_upload_cannot_become_a_video(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any) -> None:
    tenant = await make_tenant(stores, settings)
    loc = (await app_client.post("/api/videos/uploads", headers={
        **tenant.headers, "Upload-Length": "100"})).headers["location"]
    r = await app_client.post("/api/videos", headers=tenant.headers,
                              json={"upload_id": loc.rsplit("/", 1)[1]})
    assert r.json()["code"] == "upload_incomplete"


async def test_upload_process_tag_publish_and_a_buyer_in_germany_sees_the_card(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any,
        clips: dict[str, Path]) -> None:
    shop = await make_shop(stores, settings, app_client)
    tenant = shop.tenant
    video = await make_video(app_client, tenant, clips["vertical"], ["DE", "JP"])
    assert video["status"] == "processing" and video["duration_s"] == pytest.approx(3, 0.05)
    vid = video["id"]
    # not ready: no publishing, nothing for buyers
    early = await app_client.post(f"/api/videos/{vid}/publish", headers=tenant.headers,
                                  json={"markets": ["DE"]})
    assert (early.status_code, early.json()["code"]) == (409, "video_not_ready")
    assert await processing.process(stores, vid) == "ready"
    assert await processing.process(stores, vid) == "ready"  # a job run twice does nothing more
    shown = (await app_client.get(f"/api/videos/{vid}", headers=tenant.headers)).json()
    assert [r["height"] for r in shown["renditions"]] == [960, 640]
    assert shown["master_url"].endswith("/master.m3u8") and shown["poster_url"]
    tag = await app_client.post(f"/api/videos/{vid}/tags", headers=tenant.headers,
                                json={"product_id": shop.product_id, "start_s": 0.5,
                                      "end_s": 2.5})
    assert tag.status_code == 201, tag.text
    published = await app_client.post(f"/api/videos/{vid}/publish", headers=tenant.headers,
                                      json={"markets": ["DE"]})
    assert {m["market"]: m["state"] for m in published.json()["markets"]} == {
        "DE": "published", "JP": "ready"}
    slug = (await app_client.get(f"/api/products/{shop.product_id}",
                                 headers=tenant.headers)).status_code and await _slug(
        stores, tenant.org_id)
    feed = (await app_client.get(f"/api/shop/{slug}/videos?market=DE&lang=de")).json()
    [item] = feed["items"]
    assert item["title"] == "Ohrhörer in 3 s"
    [card] = item["tags"]
    assert (card["start_s"], card["end_s"]) == (0.5, 2.5)
    assert card["product"]["price"]["currency"] == "EUR"
    assert "€" in card["product"]["price"]["total_display"]
    assert card["product"]["price"]["label"].startswith("inkl.")
    jp = (await app_client.get(f"/api/shop/{slug}/videos?market=JP")).json()
    assert jp["items"] == []  # chosen but not published there
    page = await app_client.get(f"/shop/{slug}/videos?market=DE",
                                headers={"Accept-Language": "de-DE"})
    assert page.status_code == 200 and "Ohrhörer in 3 s" in page.text
    assert item["master_url"] in page.text
    store = await app_client.get(f"/shop/{slug}?market=DE")
    assert f"/shop/{slug}/videos?market=DE&amp;v={vid}" in store.text


async def _slug(stores: Stores, org_id: str) -> str:
    from tests.shop.test_cart_api import slug_of
    return await slug_of(stores, org_id)


async def test_tags_stay_inside_the_video_and_inside_the_org(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any,
        clips: dict[str, Path]) -> None:
    shop = await make_shop(stores, settings, app_client)
    other = await make_tenant(stores, settings)
    foreign = await create_product(app_client, other, code="THEIRS-1")
    vid = (await make_video(app_client, shop.tenant, clips["small"], ["DE"]))["id"]
    for body, status, code in (
        ({"product_id": shop.product_id, "start_s": 1, "end_s": 30}, 422, "tag_out_of_range"),
        ({"product_id": shop.product_id, "start_s": 1.5, "end_s": 1}, 422, "tag_out_of_range"),
        ({"product_id": foreign["id"], "start_s": 0, "end_s": 1}, 404, "product_not_found"),
        ({"product_id": "prd_nope", "start_s": 0, "end_s": 1}, 404, "product_not_found"),
        ({"product_id": shop.product_id, "start_s": "soon", "end_s": 1}, 422, "invalid_input"),
    ):
        r = await app_client.post(f"/api/videos/{vid}/tags", headers=shop.tenant.headers,
                                  json=body)
        assert (r.status_code, r.json()["code"]) == (status, code), body
    theirs = await app_client.get(f"/api/videos/{vid}", headers=other.headers)
    assert (theirs.status_code, theirs.json()["code"]) == (404, "video_not_found")


async def test_captions_are_checked_and_listed(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any,
        clips: dict[str, Path]) -> None:
    tenant = await make_tenant(stores, settings)
    vid = (await make_video(app_client, tenant, clips["small"], ["DE"]))["id"]
    ok = await app_client.post(f"/api/videos/{vid}/captions", headers=tenant.headers, json={
        "lang": "de", "vtt": "WEBVTT\n\n00:00.000 --> 00:01.500\nHallo\n"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["captions"][0] | {"url": ""} == {"lang": "de", "source": "upload",
                                                      "cues": 1, "url": "",
                                                      "from_lang": None, "stale": False}
    bad = await app_client.post(f"/api/videos/{vid}/captions", headers=tenant.headers,
                                json={"lang": "de", "vtt": "hello"})
    assert bad.json()["code"] == "captions_invalid"


async def test_local_media_answers_ranges_and_is_cached_for_a_year(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any,
        clips: dict[str, Path]) -> None:
    tenant = await make_tenant(stores, settings)
    vid = (await make_video(app_client, tenant, clips["small"], ["DE"]))["id"]
    assert await processing.process(stores, vid) == "ready"
    shown = (await app_client.get(f"/api/videos/{vid}", headers=tenant.headers)).json()
    master = await app_client.get(shown["master_url"])
    assert master.status_code == 200
    assert master.headers["cache-control"] == "public, max-age=31536000, immutable"
    part = await app_client.get(shown["poster_url"], headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and len(part.content) == 10
    assert part.content[:3] == b"\xff\xd8\xff"
    # the seller's original is never served
    source = next((settings.data_dir / "private" / "sources" / vid).iterdir())
    assert (await app_client.get(f"/media/sources/{vid}/{source.name}")).status_code == 404
