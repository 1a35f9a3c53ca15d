"""The merchant console in a real browser: sign in with an API key, find a member and their
ledger, watch the card preview follow the sample, and send a campaign."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.pages.conftest import ACCESSIBILITY_CHECK, Site, add_store


@pytest.fixture(scope="module")
def club(site: Site) -> dict[str, Any]:
    body = {"name": "Console Club", "kind": "stamps", "stamps_required": 8, "design": "coffee"}
    program = site.api("POST", "/api/v1/programs", body)
    members = [
        site.api(
            "POST",
            f"/api/v1/programs/{program['id']}/members",
            {"name": name, "phone": phone},
        )
        for name, phone in (("Zoya Console", "+79005550001"), ("Yuri Console", "+79005550002"))
    ]
    site.api(
        "POST",
        f"/api/v1/members/{members[0]['id']}/transactions",
        {"kind": "adjust", "points": 70, "reason": "console test"},
    )
    add_store(site, "Console Store")
    return {"program": program, "members": members}


def sign_in(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/console")
    page.get_by_label("API key").fill(site.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


class TestConsole:
    def test_members_and_their_ledger(
        self, page: Page, site: Site, club: dict[str, Any], screenshot: Callable[[Page, str], Path]
    ) -> None:
        page.set_viewport_size({"width": 1100, "height": 800})
        sign_in(page, site)
        assert page.get_by_role("img", name=re.compile("Enrolments")).count() == 1
        screenshot(page, "console-home")
        page.get_by_role("link", name="Members").click()
        page.get_by_label("Name, phone, email or card number").fill("Console")
        page.get_by_label("Program").select_option(label="Console Club")
        page.get_by_role("button", name="Search").click()
        assert page.locator("#total").inner_text() == "Found: 2"
        page.get_by_role("link", name="Zoya Console").click()
        assert page.locator("#balance").inner_text() == "70"
        assert "adjust: console test" in page.locator("#ledger").inner_text()
        assert page.evaluate(ACCESSIBILITY_CHECK) == []

    def test_the_card_preview_follows_the_sample(
        self, page: Page, site: Site, club: dict[str, Any], screenshot: Callable[[Page, str], Path]
    ) -> None:
        page.set_viewport_size({"width": 1100, "height": 900})
        sign_in(page, site)
        page.goto(f"{site.url}/console/programs/{club['program']['id']}")
        apple = page.locator(".apple [data-field=stamps]")
        google = page.locator("[data-field=google-balance]")
        assert apple.inner_text() == "3/8"
        assert google.inner_text() == "3/8"
        page.get_by_label("Stamps", exact=True).fill("6")
        expect(apple).to_have_text("6/8")
        expect(google).to_have_text("6/8")
        assert page.evaluate(ACCESSIBILITY_CHECK) == []
        screenshot(page, "console-preview")

    def test_the_console_sends_a_campaign(
        self, page: Page, site: Site, club: dict[str, Any]
    ) -> None:
        sign_in(page, site)
        page.goto(f"{site.url}/console/campaigns?program={club['program']['id']}")
        expect(page.locator("#audience")).to_have_text("Recipients: 2")
        page.get_by_label("Balance at least").fill("50")
        expect(page.locator("#audience")).to_have_text("Recipients: 1")
        page.get_by_label("Campaign name").fill("Rich ones")
        page.get_by_label("Message on the card").fill("Double stamps this weekend!")
        page.get_by_role("button", name="Send").click()
        assert page.locator("#sent").inner_text() == (
            'Campaign "Rich ones" is on its way to 1 members.'
        )
        assert "Rich ones" in page.locator("#campaigns").inner_text()

    def test_stores_are_listed_with_coordinates(
        self, page: Page, site: Site, club: dict[str, Any]
    ) -> None:
        sign_in(page, site)
        page.get_by_role("link", name="Stores").click()
        row = page.locator("#stores tr", has_text="Console Store")
        assert "55.76000, 37.60000" in row.inner_text()

    def test_a_till_key_cannot_sign_in(self, page: Page, site: Site) -> None:
        page.goto(f"{site.url}/console")
        page.get_by_label("API key").fill("lp_nothing_here")
        page.get_by_role("button", name="Sign in").click()
        assert "does not work here" in page.get_by_role("alert").inner_text()
