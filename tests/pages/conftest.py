"""Browser tests: a real uvicorn server on SQLite and Debian's headless Chromium, driven by
Playwright through its executable path (no browser download). One browser for all of them.

The ``page`` and ``ru_page`` fixtures fail a test whose page logged an error to the browser
console or threw: a Content-Security-Policy violation (an inline style or script without the
answer's nonce) shows up there first.

Screenshots (phone size, 390x844) go to ``$LOYALPASS_ARTIFACTS`` (default: a pytest temp
directory); ``LOYALPASS_UPDATE_SCREENSHOTS=1`` also refreshes the ones in ``docs/screenshots``.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright
from sqlmodel import Session

from api.accounts import operator as account_operator
from api.db import make_engine
from api.merchants import service as merchant_service
from tests.conftest import PROJECT_ROOT, make_settings
from tests.support.server import free_port, running_server

CHROMIUM = Path(os.environ.get("LOYALPASS_CHROMIUM", "/usr/bin/chromium"))
# Without these Chromium waits on network lookups the closed test machine never answers.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
# Chromium logs every 4xx answer as a console error; the tests expect some (a wrong PIN is 401).
EXPECTED_STATUS = "Failed to load resource: the server responded with a status of 4"
DOCS_SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"

# Every visible form control has a label, and text is readable: WCAG AA contrast (4.5:1) for
# every text element on the page, computed from the styles Chromium applied.
ACCESSIBILITY_CHECK = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.closest('[aria-hidden=true]')) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label');
    if (!named) problems.push('no label: ' + el.name);
  }
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const channel = v => { v /= 255; return v <= .03928 ? v / 12.92 : ((v + .055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => .2126 * channel(r) + .7152 * channel(g) + .0722 * channel(b);
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > .5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('[aria-hidden=true], .strip, svg, .hp') || !el.offsetParent) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const a = lum(rgb(getComputedStyle(el).color).slice(0, 3)), b = lum(background(el));
    const ratio = (Math.max(a, b) + .05) / (Math.min(a, b) + .05);
    const what = el.textContent.trim().slice(0, 30);
    if (ratio < 4.5) problems.push('contrast ' + ratio.toFixed(2) + ': ' + what);
  }
  return problems;
}"""


@dataclass
class Site:
    """The running service, a merchant's admin key and a helper to call its API."""

    url: str
    database_url: str
    key: str
    merchant_id: str
    owner_email: str = "owner@bean-and-brew.example"  # the merchant's owner account
    owner_password: str = "pages owner passphrase"

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory, pki_dir: Path) -> Iterator[Site]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'pages.db'}"
    settings = make_settings(database_url, pki_dir, public_url=url, join_rate_limit=1000)
    with running_server(settings, port=port):
        engine = make_engine(database_url)
        with Session(engine) as session, session.begin():
            merchant, key = merchant_service.create_merchant(session, name="Bean & Brew")
            merchant_id = str(merchant.id)
            account_operator.create_owner(
                session, merchant.id, Site.owner_email, password=Site.owner_password
            )
        engine.dispose()
        yield Site(url, database_url, key, merchant_id)


# Package scope, not session: while Playwright's sync API is open, the main thread counts as
# running an event loop, and later tests that call asyncio.run() would fail.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def console_errors() -> list[str]:
    """What the test's pages logged as errors (a test that provokes one clears it)."""
    return []


def watch_console(page: Page, errors: list[str]) -> None:
    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith(EXPECTED_STATUS):
            errors.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))


def _phone_page(browser: Browser, locale: str, errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale=locale, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch_console(page, errors)
    yield page
    context.close()
    assert errors == [], "the page logged errors (a CSP violation?)"


@pytest.fixture
def page(browser: Browser, console_errors: list[str]) -> Iterator[Page]:
    """A phone-sized page that speaks English (``ru_page`` speaks Russian)."""
    yield from _phone_page(browser, "en-US", console_errors)


@pytest.fixture
def ru_page(browser: Browser, console_errors: list[str]) -> Iterator[Page]:
    yield from _phone_page(browser, "ru-RU", console_errors)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("LOYALPASS_ARTIFACTS")
    out = Path(chosen) if chosen else tmp_path_factory.mktemp("artifacts")
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def screenshot(artifacts: Path) -> Any:
    """``screenshot(page, "join")`` saves the full page as ``<artifacts>/join.png``."""

    def take(page: Page, name: str) -> Path:
        path = artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if os.environ.get("LOYALPASS_UPDATE_SCREENSHOTS") == "1" and name in ("join", "card"):
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"))
        return path

    return take


def add_store(site: Site, name: str = "Tverskaya 1") -> str:
    """A store of the site's merchant, written straight to the database."""
    from uuid import UUID

    from api.stores.models import Store

    engine = make_engine(site.database_url)
    with Session(engine) as session, session.begin():
        store = Store(merchant_id=UUID(site.merchant_id), name=name, latitude=55.76, longitude=37.6)
        session.add(store)
        session.flush()
        store_id = str(store.id)
    engine.dispose()
    return store_id


def wait_until(page: Page, expression: str, timeout: float = 10.0) -> Any:
    """Poll a JavaScript expression until it is truthy and return its value.

    Playwright's ``wait_for_function`` builds its predicate with ``eval`` inside the page, which
    our Content-Security-Policy (no ``'unsafe-eval'``) refuses whenever the first check is false.
    ``page.evaluate`` goes through the debugging protocol, which the policy does not govern.
    """
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)
