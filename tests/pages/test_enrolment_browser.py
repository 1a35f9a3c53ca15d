"""Enrolment in a real browser: the join form, the card page and the Apple pass it offers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.pages.conftest import ACCESSIBILITY_CHECK, Site
from tests.support.pkpass import verify_pkpass


def first_paint(page: Page) -> float:
    """The page's first-contentful-paint time in ms (waiting for Chromium to report it)."""
    value = page.evaluate(
        """() => new Promise(resolve => {
          new PerformanceObserver(list => {
            const entry = list.getEntriesByName('first-contentful-paint')[0];
            if (entry) resolve(entry.startTime);
          }).observe({type: 'paint', buffered: true});
          setTimeout(() => resolve(-1), 5000);
        })"""
    )
    return float(value)


@pytest.fixture(scope="module")
def program(site: Site) -> dict[str, Any]:
    body = {"name": "Coffee Club", "kind": "stamps", "stamps_required": 10, "design": "coffee"}
    result: dict[str, Any] = site.api("POST", "/api/v1/programs", body)
    return result


def join(
    page: Page, site: Site, program: dict[str, Any], *, new: bool = True, **fields: str
) -> None:
    page.goto(f"{site.url}/join/{program['public_slug']}")
    page.get_by_label("Name", exact=True).fill(fields.get("name", "Anna Petrova"))
    page.get_by_label("Phone", exact=True).fill(fields.get("phone", ""))
    page.get_by_label("Email", exact=True).fill(fields.get("email", ""))
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Get my card").click()
    if new:
        page.wait_for_url(re.compile(r"/cards/"))
    else:
        page.wait_for_load_state()


class TestJoinInTheBrowser:
    def test_enrol_through_the_form_and_receive_the_pass(
        self,
        page: Page,
        site: Site,
        program: dict[str, Any],
        root_ca: Path,
        screenshot: Callable[[Page, str], Path],
        artifacts: Path,
    ) -> None:
        response = page.goto(f"{site.url}/join/{program['public_slug']}")
        assert response is not None
        assert response.ok
        join_bytes = len(response.body())
        join_paint = first_paint(page)
        assert page.evaluate(ACCESSIBILITY_CHECK) == []
        screenshot(page, "join")

        page.get_by_label("Name", exact=True).fill("Anna Petrova")
        page.get_by_label("Phone", exact=True).fill("+7 916 555-01-01")
        page.get_by_label("I agree").check()
        page.get_by_role("button", name="Get my card").click()
        page.wait_for_url(re.compile(r"/cards/[A-Za-z0-9_-]+\?welcome=new"))

        assert page.get_by_role("status").inner_text().startswith("Done!")
        assert page.locator("#stamps").inner_text() == "0 / 10"
        assert page.evaluate(ACCESSIBILITY_CHECK) == []
        card_bytes = len(page.request.get(page.url).body())
        card_paint = first_paint(page)
        screenshot(page, "card")

        href = page.locator("#add-apple").get_attribute("href")
        assert href is not None
        assert href.startswith(site.url)  # absolute: the public URL
        download = page.request.get(href)
        assert download.headers["content-type"] == "application/vnd.apple.pkpass"
        verified = verify_pkpass(download.body(), root_ca)
        serial = page.locator("#serial").inner_text()
        assert verified.pass_json["serialNumber"] == serial
        assert page.locator("#add-google").count() == 0  # Google Wallet is not configured
        (artifacts / "pages.json").write_text(
            json.dumps(
                {
                    "join": {"html_bytes": join_bytes, "first_contentful_paint_ms": join_paint},
                    "card": {"html_bytes": card_bytes, "first_contentful_paint_ms": card_paint},
                },
                indent=2,
            )
        )

    def test_duplicate_enrolment_does_not_show_the_existing_card(
        self, page: Page, site: Site, program: dict[str, Any]
    ) -> None:
        join(page, site, program, phone="+7 916 555-02-02")
        first = page.url.split("?")[0]
        join(page, site, program, new=False, name="Anna P.", phone="+7 (916) 555 02 02")
        assert "/cards/" not in page.url
        assert first.rsplit("/", 1)[1] not in page.content()
        page.get_by_role("link", name="I already have a card").click()
        assert page.url.endswith(f"/join/{program['public_slug']}/card")
        members = site.api("GET", "/api/v1/members?query=5550202")
        assert members["total"] == 1

    def test_errors_show_next_to_the_fields_in_russian(
        self,
        ru_page: Page,
        site: Site,
        program: dict[str, Any],
        screenshot: Callable[[Page, str], Path],
    ) -> None:
        ru_page.goto(f"{site.url}/join/{program['public_slug']}")
        assert ru_page.locator("html").get_attribute("lang") == "ru"
        ru_page.get_by_label("Телефон", exact=True).fill("12")
        ru_page.get_by_role("button", name="Получить карту").click()
        ru_page.wait_for_load_state()
        assert ru_page.locator("#e-name").inner_text() == "Введите имя"
        assert "от 7 до 15 цифр" in ru_page.locator("#e-phone").inner_text()
        assert ru_page.locator("#e-consent").is_visible()
        phone = ru_page.get_by_label("Телефон", exact=True)
        assert phone.input_value() == "12"  # nothing typed is lost
        screenshot(ru_page, "join-errors-ru")

    def test_the_language_switch_is_remembered(
        self, ru_page: Page, site: Site, program: dict[str, Any]
    ) -> None:
        ru_page.goto(f"{site.url}/join/{program['public_slug']}")
        ru_page.get_by_role("link", name="English").click()
        assert ru_page.get_by_role("heading", level=1).inner_text() == "Coffee Club loyalty card"
        ru_page.goto(f"{site.url}/join/{program['public_slug']}")
        assert ru_page.locator("html").get_attribute("lang") == "en"

    def test_the_form_works_without_javascript(
        self, site: Site, program: dict[str, Any], browser: Any
    ) -> None:
        context = browser.new_context(java_script_enabled=False, locale="en-US")
        page = context.new_page()
        join(page, site, program, phone="+7 916 555-03-03")
        assert "welcome=new" in page.url
        context.close()


def test_first_render_on_a_3g_phone(
    browser: Any, site: Site, program: dict[str, Any], artifacts: Path
) -> None:
    """The join and card pages paint within 2.5 s on a slow 3G link (400 ms latency,
    400 kbit/s each way, no browser cache). Results go to ``<artifacts>/3g.json``."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    join(page, site, program, phone="+7 916 555-04-04")
    card_url = page.url.split("?")[0]
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 400,
            "downloadThroughput": 50_000,
            "uploadThroughput": 50_000,
        },
    )
    results = {}
    for name, url in (("join", f"{site.url}/join/{program['public_slug']}"), ("card", card_url)):
        response = page.goto(url, wait_until="load")
        assert response is not None
        results[name] = {
            "html_bytes": len(response.body()),
            "first_contentful_paint_ms": first_paint(page),
            "load_ms": page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"),
        }
    context.close()
    (artifacts / "3g.json").write_text(json.dumps(results, indent=2))
    for measured in results.values():
        assert 0 < measured["first_contentful_paint_ms"] < 2500
