"""The console's status page in a real browser: reached from the navigation, the page obeys
its CSP (no console errors), is accessible, and lists the certificates and channels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.pages.conftest import ACCESSIBILITY_CHECK, Site
from tests.pages.test_console_browser import sign_in


def test_the_status_page(page: Page, site: Site, screenshot: Callable[[Page, str], Path]) -> None:
    page.set_viewport_size({"width": 1100, "height": 900})
    sign_in(page, site)
    page.get_by_role("link", name="Status").click()
    expect(page.get_by_role("heading", name="Service status")).to_be_visible()
    certificates = page.locator("#certificates").inner_text()
    assert "pass" in certificates
    assert "wwdr" in certificates
    assert page.locator(".cert-warning").count() == 0  # the test certificates last a year
    expect(page.locator("#channels")).to_be_attached()
    assert page.evaluate(ACCESSIBILITY_CHECK) == []
    screenshot(page, "console-status")
