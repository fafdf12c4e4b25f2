"""The daily ECB job: installs a newer publication, leaves what it has when the feed is old,
unreachable, broken or hostile, and never raises into the server's loop."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from chuhai.background import Selling
from chuhai.cli import app as cli
from chuhai.crossborder import loader
from chuhai.crossborder.fx_refresh import RefreshFailed, refresh, refresh_logged

URL = "https://ecb.test/eurofxref-daily.xml"


def feed(day: str, usd: str = "1.1500") -> bytes:
    return (f"<?xml version='1.0' encoding='UTF-8'?><gesmes:Envelope "
            f"xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' "
            f"xmlns='http://www.ecb.int/vocabulary/2002-08-01/eurofxref'><Cube>"
            f"<Cube time='{day}'><Cube currency='USD' rate='{usd}'/>"
            f"<Cube currency='GBP' rate='0.8600'/></Cube></Cube></gesmes:Envelope>").encode()


def client(answer: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


@pytest.fixture(autouse=True)
def _fresh_rulebooks() -> Iterator[None]:
    loader.reset()
    yield
    loader.reset()


async def test_a_newer_publication_is_installed_and_quotes_use_it(tmp_path: Path) -> None:
    async with client(lambda _: httpx.Response(200, content=feed("2026-12-04"))) as c:
        done = await refresh(c, URL, tmp_path)
    assert done.published == date(2026, 12, 4) and done.known_before == date(2026, 10, 6)
    assert done.installed == tmp_path / "fx" / "imported-2026-12-04.xml"
    used = loader.rulebook(tmp_path).fx.per_eur("USD", date(2026, 12, 6))
    assert (used.on, str(used.per_eur)) == (date(2026, 12, 4), "1.1500")


async def test_a_publication_not_newer_than_what_is_known_installs_nothing(
        tmp_path: Path) -> None:
    async with client(lambda _: httpx.Response(200, content=feed("2026-10-06"))) as c:
        done = await refresh(c, URL, tmp_path)
    assert done.installed is None and "nothing installed" in done.describe()
    assert not (tmp_path / "fx").exists()


@pytest.mark.parametrize(("answer", "reason"), [
    (lambda _: httpx.Response(503, content=b"busy"), "HTTP 503"),
    (lambda _: httpx.Response(200, content=b"<html>captive portal</html>"), "did not send"),
    (lambda _: httpx.Response(200, content=b"<?xml version='1.0'?><!DOCTYPE x "
                                              b"[<!ENTITY a 'a'>]><x>&a;</x>"), "did not send"),
    (lambda _: httpx.Response(200, content=b"x" * (21 * 1024 * 1024)), "more than"),
])
async def test_a_bad_answer_is_refused_and_nothing_changes(
        tmp_path: Path, answer: Callable[[httpx.Request], httpx.Response],
        reason: str) -> None:
    async with client(answer) as c:
        with pytest.raises(RefreshFailed, match=reason):
            await refresh(c, URL, tmp_path)
    assert not (tmp_path / "fx").exists()


async def test_offline_is_one_warning_line_not_an_exception(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to host", request=request)

    async with client(down) as c:
        with caplog.at_level(logging.WARNING, logger="chuhai.fx"):
            await refresh_logged(c, URL, tmp_path)
    assert "exchange rates not refreshed" in caplog.text and "ConnectError" in caplog.text


async def test_the_background_job_refreshes_into_the_servers_data_dir(tmp_path: Path) -> None:
    class FakeStores:
        class settings:
            data_dir = tmp_path

    selling = Selling(FakeStores(), publish=None, provider=None, gate=None,  # type: ignore[arg-type]
                      fx_refresh_url=URL)
    selling._http = client(lambda _: httpx.Response(200, content=feed("2026-12-05")))
    try:
        await selling.refresh_fx()
    finally:
        await selling._http.aclose()
    assert (tmp_path / "fx" / "imported-2026-12-05.xml").exists()


def test_the_cli_needs_an_address_and_says_so(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setenv("CHUHAI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHUHAI_FX_REFRESH_URL", "")
    out = CliRunner().invoke(cli, ["fx", "fetch"])
    assert out.exit_code == 1 and "CHUHAI_FX_REFRESH_URL" in out.output
