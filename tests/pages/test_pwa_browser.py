"""The card as a web app in headless Chromium, checked the way Lighthouse does: the manifest
is linked and valid with fetchable icons of the sizes it names, the service worker controls
the card's own URL, Chromium finds the app installable, the card (and its barcode) opens
offline with "updated at", and nothing is asked of another origin."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, Request

from tests.pages.conftest import PHONE, Site, wait_until, watch_console

ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile"


def _card(site: Site, name: str) -> dict[str, Any]:
    program = site.api("POST", "/api/v1/programs", {"name": name, "kind": "points"})
    body = {"name": "Nina", "phone": "+79160009911"}
    card: dict[str, Any] = site.api("POST", f"/api/v1/programs/{program['id']}/members", body)
    return card


def _controlled(page: Page, url: str) -> None:
    page.goto(url)
    wait_until(page, "navigator.serviceWorker.controller !== null")
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == url


def test_the_card_installs_and_opens_offline(browser: Browser, site: Site) -> None:
    card = _card(site, "Offline Club")
    url = card["card_url"]
    context = browser.new_context(
        viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True, user_agent=ANDROID
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    watch_console(page, errors)
    origins: set[str] = set()
    context.on("request", lambda request: origins.add(_origin(request)))
    try:
        _controlled(page, url)
        manifest = page.evaluate(
            "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
        )
        assert manifest["name"] == "Offline Club"
        assert manifest["scope"] == manifest["start_url"] == url.removeprefix(site.url)
        assert manifest["display"] == "standalone"
        for icon in manifest["icons"]:
            size = page.evaluate(
                "src => fetch(src).then(r => r.blob()).then(createImageBitmap)"
                ".then(b => [b.width, b.height])",
                icon["src"],
            )
            assert f"{size[0]}x{size[1]}" == icon["sizes"]
        cdp = context.new_cdp_session(page)
        found = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        # Playwright's contexts are incognito, where Chromium never installs; nothing else.
        assert [e["errorId"] for e in found if e["errorId"] != "in-incognito"] == []
        assert page.locator("#install-card").is_visible()
        assert page.locator("#add-wallet-app").is_visible()
        serial = page.locator("#serial").inner_text()

        assert errors == []
        context.set_offline(True)
        page.reload()
        assert page.locator("#serial").inner_text() == serial
        assert page.locator("figure.code svg").is_visible()  # the barcode
        page.locator("#offline").wait_for()
        assert page.locator("#updated time").inner_text() != ""
        assert page.locator("#updated").inner_text().startswith("Updated ")
    finally:
        context.set_offline(False)
        context.close()
    assert origins == {site.url}
    # Offline, only the network's refusals (the manifest the page asks for) are logged.
    assert [e for e in errors if "Failed to load resource: net::ERR_" not in e] == []


def test_cards_of_two_merchants_are_two_apps(browser: Browser, site: Site) -> None:
    first, second = _card(site, "First Club"), _card(site, "Second Club")
    context = browser.new_context(viewport=PHONE, locale="en-US", user_agent=ANDROID)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        _controlled(page, first["card_url"])
        _controlled(page, second["card_url"])
        scopes = page.evaluate(
            "navigator.serviceWorker.getRegistrations().then(rs => rs.map(r => r.scope))"
        )
        assert sorted(scopes) == sorted([first["card_url"], second["card_url"]])
    finally:
        context.close()


def _origin(request: Request) -> str:
    scheme, _, rest = request.url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
