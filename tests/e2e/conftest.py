"""A real chuhai server (uvicorn in a subprocess, SQLite in a temp dir) and Chromium."""

from __future__ import annotations

import os
import re
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
    # as served: every open host console shares one read of its room's sales a second
    env.pop("CHUHAI_ROOM_SALES_CACHE_S", None)
    cli = [sys.executable, "-m", "chuhai.cli"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "seed-demo"], env=env, check=True, capture_output=True)
    port = free_port()
    # The server's log goes to a file: a pipe nobody reads fills up (64 KiB) over a long
    # run of access-log lines, and the server then blocks on its next log write.
    log = (tmp_path_factory.mktemp("e2e-log") / "server.log").open("wb")
    proc = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
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
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # a transcode in a worker thread: no need to wait
            proc.kill()
            proc.wait(timeout=10)
        log.close()


# Installed in every page of every context the ``browser`` fixture makes, before the page's
# own scripts: records each Content-Security-Policy violation in the page
# (window.__cspViolations) and reports it to the test (the __cspReport binding), so that
# violations on pages already navigated away from or closed are not lost.
CSP_LISTENER = """
(() => {
  if (window.__cspViolations) return;
  const seen = [];
  Object.defineProperty(window, "__cspViolations", { value: seen });
  document.addEventListener("securitypolicyviolation", (e) => {
    const v = { directive: e.effectiveDirective || e.violatedDirective,
                blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
                sample: e.sample, page: location.href };
    seen.push(v);
    if (typeof window.__cspReport === "function") {
      Promise.resolve(window.__cspReport(v)).catch(() => {});
    }
  }, true);
})();
"""


class CspWatch:
    """The Chromium browser, with every context it opens watched for CSP violations: the
    in-page listener above, plus console lines naming a "Content Security Policy"
    directive. ``violations`` gathers them; the autouse ``_no_csp_violations`` fixture fails
    any test during which one was recorded. Everything else is the Playwright Browser."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self.violations: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)

    def watch(self, context: Any) -> Any:
        context.expose_binding("__cspReport",
                               lambda _source, v: self.violations.append(dict(v)))
        context.add_init_script(script=CSP_LISTENER)

        def on_console(msg: Any) -> None:
            if "Content Security Policy" in msg.text:
                self.violations.append({"console": msg.text, "page": msg.page and msg.page.url})

        context.on("console", on_console)
        return context

    def new_context(self, **kwargs: Any) -> Any:
        return self.watch(self._browser.new_context(**kwargs))

    def new_page(self, **kwargs: Any) -> Any:
        return self.new_context(**kwargs).new_page()

    def collect(self) -> list[dict[str, Any]]:
        """What was recorded, with what pages still open hold (which also delivers any
        report still on its way), each violation once."""
        found: list[dict[str, Any]] = []
        for context in self._browser.contexts:
            for page in context.pages:
                try:
                    found += page.evaluate("() => window.__cspViolations || []")
                except Exception:  # a page closing or navigating: skip it
                    continue
        found = self.violations + found  # read after evaluate(), which delivers reports
        unique: dict[str, dict[str, Any]] = {}
        for v in found:
            unique.setdefault(repr(sorted(v.items())), v)
        return list(unique.values())

    def forget(self) -> None:
        """Start afresh: drop what was recorded and clear the arrays of open pages."""
        self.violations.clear()
        for context in self._browser.contexts:
            for page in context.pages:
                try:
                    page.evaluate("() => { (window.__cspViolations || []).length = 0; }")
                except Exception:  # as above
                    continue


# Module scope: Playwright's sync API keeps an event loop running on this thread while it
# is open, which would break later tests that call asyncio.run().
@pytest.fixture(scope="module")
def browser() -> Iterator[CspWatch]:
    if not Path(CHROMIUM).exists():
        msg = f"Chromium not found at {CHROMIUM}; `make test` installs it (apt)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield CspWatch(b)
        b.close()


@pytest.fixture(autouse=True)
def _no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every browser test fails if a page it opened reported a CSP violation (the site's
    policy is in src/chuhai/web/browser_policy.py): an inline script or style, a handler
    attribute, a load from an address the policy does not allow."""
    if "browser" not in request.fixturenames:
        yield
        return
    watch: CspWatch = request.getfixturevalue("browser")
    watch.forget()
    yield
    violations = watch.collect()
    watch.forget()
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(
            repr(v) for v in violations), pytrace=False)


def console_page(browser: Any, server: str, email: str = EMAIL,
                 address: str | None = None) -> Any:
    """A desktop page signed in to the console as the demo staff member ``email`` (from
    ``address``, for a test of its own: sign-ins are limited per address)."""
    headers = {"X-Forwarded-For": address} if address else None
    page = browser.new_context(viewport={"width": 1280, "height": 900},
                               extra_http_headers=headers).new_page()
    page.goto(f"{server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/console")
    return page


def viewer_sign_in(page: Any, email: str) -> None:
    """Sign in on a live room's viewer page (by the form's ids: the page speaks the
    buyer's language) and wait for it to reload signed in."""
    page.locator("#signin summary").click()
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#signin-form button[type=submit]").click()
    page.locator("#signed-in-as").wait_for()


def fill_address(page: Any, name: str, address: dict[str, str]) -> None:
    """The cart's delivery address: the destination's form, filled field by field."""
    page.locator("#ship-postal_code").wait_for()
    page.locator("#ship-name").fill(name)
    for field_id, value in address.items():
        field = page.locator(f"#{field_id}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def pay(page: Any) -> None:
    """Pay on the cart page and land on the order."""
    page.locator("#pay").click()
    page.wait_for_url(re.compile(r".*/orders/ord_\w+"))



def expand_api_docs(page: Any, want: int = 50) -> int:
    """Open the tags of /docs (they start closed) one by one until more than ``want``
    operations show; how many show."""
    page.locator(".opblock-tag").first.wait_for()
    tags = page.locator(".opblock-tag")
    for i in range(tags.count()):
        if page.locator(".opblock").count() > want:
            break
        tags.nth(i).click()
    return int(page.locator(".opblock").count())
