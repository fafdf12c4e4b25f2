"""Fresh exchange rates: the ECB's daily reference rates, fetched when the network allows.

A quote converts with the latest rate published on or before its day; without this job that
is the snapshot shipped in ``rules/fx`` (weeks old), and quotes say so ("approximate", a
warning, or a refusal under ``CHUHAI_FX_MAX_AGE_DAYS``). The job asks the ECB every few
hours and installs a publication only when it is newer than every rate already known, so
several nodes running it write the same file at worst, and an offline server keeps quoting
with what it has.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

from chuhai.crossborder.fx import MAX_FILE_BYTES, FxError, parse_rates
from chuhai.crossborder.imports import ImportFailed, install_fx
from chuhai.crossborder.loader import rulebook

log = logging.getLogger("chuhai.fx")
TIMEOUT_S = 20.0


class RefreshFailed(Exception):
    """The rates could not be fetched or read; what is installed is unchanged."""


@dataclass(frozen=True)
class Refreshed:
    published: date  # the newest day in what was fetched
    known_before: date | None  # the newest day known before
    installed: Path | None  # None: nothing newer than what was known

    def describe(self) -> str:
        if self.installed is None:
            return (f"the ECB's rates of {self.published} are not newer than the "
                    f"{self.known_before} already known; nothing installed")
        return f"installed the ECB's rates of {self.published} into {self.installed}"


async def _download(client: httpx.AsyncClient, url: str) -> bytes:
    try:
        async with client.stream("GET", url, timeout=TIMEOUT_S,
                                 follow_redirects=True) as resp:
            if resp.status_code != 200:
                raise RefreshFailed(f"{url} answered HTTP {resp.status_code}")
            body = bytearray()
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > MAX_FILE_BYTES:
                    raise RefreshFailed(f"{url} sent more than {MAX_FILE_BYTES} bytes")
            return bytes(body)
    except httpx.HTTPError as exc:
        raise RefreshFailed(f"cannot fetch {url}: {exc.__class__.__name__}: {exc}") from None


async def refresh(client: httpx.AsyncClient, url: str, data_dir: Path) -> Refreshed:
    """Fetch ``url`` (ECB XML or CSV) and install it if it holds a newer day."""
    data = await _download(client, url)
    try:
        published = parse_rates(data).latest()
    except FxError as exc:
        raise RefreshFailed(f"{url} did not send ECB rates: {exc}") from None
    if published is None:
        raise RefreshFailed(f"{url} sent no rates")
    known = rulebook(data_dir).fx.latest()
    if known is not None and published <= known:
        return Refreshed(published, known, None)
    try:
        _, _, path = install_fx(data_dir, data, url)
    except ImportFailed as exc:
        raise RefreshFailed(str(exc)) from None
    return Refreshed(published, known, path)


async def refresh_logged(client: httpx.AsyncClient, url: str, data_dir: Path) -> None:
    """The background job's pass: one line in the log, never an exception (offline is a
    normal state for a demo or an air-gapped node, not an error worth a traceback)."""
    try:
        done = await refresh(client, url, data_dir)
    except RefreshFailed as exc:
        log.warning("exchange rates not refreshed: %s", exc)
        return
    log.info("%s", done.describe())
