"""Where video files live: the local media folder, or any S3-compatible object store.

Two areas: ``sources/…`` (what sellers uploaded — never public) and ``videos/<id>/<rev>/…``
(the ladder buyers play — public, and immutable: a new processing run writes a new
revision, so every URL can be cached for a year). A ladder is written completely before the
video row points at it; a worker that dies half-way leaves an orphan folder, never a half
video.
"""

from __future__ import annotations

import functools
import mimetypes
import os
import shutil
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from chuhai.core.config import Settings

CACHE_FOREVER = "public, max-age=31536000, immutable"
TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".jpg": "image/jpeg",
         ".vtt": "text/vtt; charset=utf-8", ".mp4": "video/mp4"}


class StorageError(RuntimeError):
    """The store could not be reached or refused the operation."""


class Storage(Protocol):
    def put_file(self, src: Path, key: str) -> None: ...
    def put_tree(self, folder: Path, prefix: str) -> None: ...
    def get_file(self, key: str, dst: Path) -> None: ...
    def delete_prefix(self, prefix: str) -> None: ...
    def url(self, key: str) -> str: ...
    def exists(self, key: str) -> bool: ...


def content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


class LocalStorage:
    """``<data dir>/media`` (served at /media) for public keys, ``<data dir>/private`` for
    sources."""

    def __init__(self, data_dir: Path) -> None:
        self.public = data_dir / "media"
        self.private = data_dir / "private"

    def _path(self, key: str) -> Path:
        if ".." in Path(key).parts or key.startswith("/"):
            raise StorageError(f"bad key {key!r}")
        return (self.private if key.startswith("sources/") else self.public) / key

    def put_file(self, src: Path, key: str) -> None:
        dst = self._path(key)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.{os.getpid()}.part")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)

    def put_tree(self, folder: Path, prefix: str) -> None:
        dst = self._path(prefix)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.{os.getpid()}.part")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(folder, tmp)
        if dst.exists():
            shutil.rmtree(dst)
        os.replace(tmp, dst)  # the whole ladder appears at once

    def get_file(self, key: str, dst: Path) -> None:
        try:
            shutil.copyfile(self._path(key), dst)
        except FileNotFoundError:
            raise StorageError(f"{key} is not in the store") from None

    def delete_prefix(self, prefix: str) -> None:
        path = self._path(prefix)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists():
            path.unlink()

    def url(self, key: str) -> str:
        return f"/media/{key}"

    def exists(self, key: str) -> bool:
        return self._path(key).exists()


class S3Storage:
    """An S3-compatible store (AWS S3, MinIO, SeaweedFS, R2 …) through boto3."""

    def __init__(self, bucket: str, prefix: str, *, endpoint: str | None,
                 key_id: str | None, secret: str | None, region: str | None,
                 public_url: str | None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = boto3.client(
            "s3", endpoint_url=endpoint or None, aws_access_key_id=key_id,
            aws_secret_access_key=secret, region_name=region or "us-east-1",
            config=Config(retries={"max_attempts": 4, "mode": "standard"},
                          s3={"addressing_style": "path"}, connect_timeout=5,
                          read_timeout=60))
        base = public_url or (f"{endpoint.rstrip('/')}/{bucket}" if endpoint
                              else f"https://{bucket}.s3.amazonaws.com")
        self.public_url = base.rstrip("/")

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, what: str, fn: object, **kw: object) -> object:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(**kw)  # type: ignore[operator]
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"{what}: {exc}") from None

    def put_file(self, src: Path, key: str) -> None:
        extra = {"ContentType": content_type(key)}
        if not key.startswith("sources/"):
            extra["CacheControl"] = CACHE_FOREVER
        self._call(f"upload {key}", self.client.upload_file, Filename=str(src),
                   Bucket=self.bucket, Key=self._key(key), ExtraArgs=extra)

    def put_tree(self, folder: Path, prefix: str) -> None:
        # playlists last: a player that finds the master finds every segment it names
        files = sorted((p for p in folder.rglob("*") if p.is_file()),
                       key=lambda p: (p.suffix == ".m3u8", p.name == "master.m3u8", str(p)))
        for path in files:
            self.put_file(path, f"{prefix}/{path.relative_to(folder).as_posix()}")

    def get_file(self, key: str, dst: Path) -> None:
        self._call(f"download {key}", self.client.download_file, Bucket=self.bucket,
                   Key=self._key(key), Filename=str(dst))

    def delete_prefix(self, prefix: str) -> None:
        # a folder, not a text prefix: "videos/vid_1/" never reaches "videos/vid_10/…"
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(prefix).rstrip("/") + "/")
        for page in pages:
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                self._call("delete", self.client.delete_objects, Bucket=self.bucket,
                           Delete={"Objects": keys})

    def url(self, key: str) -> str:
        return f"{self.public_url}/{self._key(key)}"

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError:
            return False
        return True


def storage_for(settings: Settings) -> Storage:
    """``CHUHAI_STORAGE_URL``: empty for the local media folder, ``s3://bucket[/prefix]``.

    One store per configuration, kept: pages and the API ask for it on every request, and
    an S3 client costs tens of milliseconds to build."""
    return _storage(settings.storage_url or "", str(settings.data_dir),
                    settings.storage_endpoint, settings.storage_key_id,
                    settings.storage_secret, settings.storage_region,
                    settings.storage_public_url)


@functools.lru_cache(maxsize=16)
def _storage(url: str, data_dir: str, endpoint: str | None, key_id: str | None,
             secret: str | None, region: str | None, public_url: str | None) -> Storage:
    if not url:
        return LocalStorage(Path(data_dir))
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise StorageError(f"CHUHAI_STORAGE_URL {url!r}: expected s3://bucket[/prefix]")
    return S3Storage(parts.netloc, parts.path, endpoint=endpoint, key_id=key_id,
                     secret=secret, region=region, public_url=public_url)
