"""A real chuhai server (uvicorn in a subprocess, SQLite in a temp dir) and Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import IN_CI
from tests.live.harness import free_port

CHROMIUM = os.environ.get("CHUHAI_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DOCS_SCREENSHOTS = ARTIFACTS.parent / "docs" / "screenshots"
# The demo seller's owner, so screenshots show a believable catalog.
EMAIL, PASSWORD = "owner@sonicwave.example", "demo-password-1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def screenshot_dir() -> Path:
    """Where the e2e tests save the screenshots the docs show: docs/screenshots only when
    CHUHAI_SCREENSHOTS=1 (``make screenshots``), else test-artifacts/docs-screenshots (which
    git ignores), so an ordinary test run leaves the working tree as it found it."""
    if os.environ.get("CHUHAI_SCREENSHOTS") == "1":
        path = DOCS_SCREENSHOTS
    else:
        path = ARTIFACTS / "docs-screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {**os.environ, "CHUHAI_DATA_DIR": str(tmp_path_factory.mktemp("e2e-var")),
           "CHUHAI_SECRET_KEY": "e2e-secret"}
    env.pop("CHUHAI_DATABASE_URL", None)
    cli = [sys.executable, "-m", "chuhai.cli"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "seed-demo"], env=env, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# Module scope: Playwright's sync API keeps an event loop running on this thread while it
# is open, which would break later tests that call asyncio.run().
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        msg = f"Chromium not found at {CHROMIUM}; `make test` installs it (apt)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def console_page(browser: Any, server: str, email: str = EMAIL) -> Any:
    """A desktop page signed in to the console as the demo staff member ``email``."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/console")
    return page
