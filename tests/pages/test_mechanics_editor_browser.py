"""The mechanics editor in a real browser at phone width, in English and Russian: edit the
tier table, see a field error, simulate the draft beside the live rules, save, and find the
new version in the history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.pages.conftest import ACCESSIBILITY_CHECK, Site

FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(scope="module")
def club(site: Site) -> dict[str, Any]:
    rules = {"currency": "RUB", "earn": {"points": 5, "per_amount": "100"}}
    program = site.api("POST", "/api/v1/programs", {"name": "Rules Club", "rules": rules})
    member = site.api(
        "POST",
        f"/api/v1/programs/{program['id']}/members",
        {"name": "Rita Rules", "phone": "+79005550401"},
    )
    for amount in ("600", "600", "100"):
        site.api(
            "POST",
            f"/api/v1/members/{member['id']}/transactions",
            {"kind": "purchase", "amount": amount, "currency": "RUB"},
        )
    return program


def sign_in(page: Page, site: Site, *, key_label: str = "API key", button: str = "Sign in") -> None:
    page.goto(f"{site.url}/console")
    page.get_by_label(key_label).fill(site.key)
    page.get_by_role("button", name=button).click()


class TestMechanicsEditor:
    def test_edit_tiers_see_an_error_simulate_and_save(
        self,
        page: Page,
        site: Site,
        club: dict[str, Any],
        screenshot: Callable[[Page, str], Path],
    ) -> None:
        sign_in(page, site)
        page.goto(f"{site.url}/console/programs/{club['id']}")
        page.get_by_role("link", name="Edit the mechanics").click()
        expect(page.get_by_role("heading", name="Program mechanics")).to_be_visible()
        assert page.evaluate(FITS)
        # the tier table: fill the blank row, add another, then take it away again
        page.get_by_label("Name 1").fill("Gold")
        page.get_by_label("Threshold 1").fill("1000")
        page.get_by_label("Points multiplier 1").fill("2")
        page.get_by_role("button", name="Add a tier").click()
        page.get_by_label("Name 2").fill("Platinum")
        page.get_by_label("Threshold 2").fill("500000")
        page.get_by_label("Remove 2").check()
        # a field error, shown at the field; nothing saved, the values kept
        page.get_by_label("for every (amount spent)").fill("0")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#err-f-earn-per_amount")).to_have_text("Must be greater than 0")
        expect(page.get_by_label("Name 1")).to_have_value("Gold")
        assert page.evaluate(FITS)
        page.get_by_label("for every (amount spent)").fill("100")
        # the simulation of the draft beside the live rules, nothing saved
        page.get_by_label("Period", exact=True).select_option("30")
        page.get_by_role("button", name="Simulate").click()
        issued = page.locator("#sim-issued td")
        expect(issued).to_have_text(["65", "70"])  # 30 + 30 + 5; Gold after 1,200: 30 + 30 + 10
        expect(page.locator("#sim-tier-1")).to_contain_text("Gold")
        assert page.evaluate(ACCESSIBILITY_CHECK) == []
        assert page.evaluate(FITS)
        screenshot(page, "console-mechanics-simulation")
        # saved: the new version is in the history, and can be rolled back
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#saved")).to_have_text("Saved: version 2")
        expect(page.locator("#version-2")).to_contain_text("tiers.levels")
        expect(page.locator("#rollback-1")).to_be_visible()
        rules = site.api("GET", f"/api/v1/programs/{club['id']}/rules")
        assert [level["name"] for level in rules["rules"]["tiers"]["levels"]] == ["Gold"]

    def test_in_russian(self, ru_page: Page, site: Site, club: dict[str, Any]) -> None:
        sign_in(ru_page, site, key_label="API-ключ", button="Войти")
        ru_page.goto(f"{site.url}/console/programs/{club['id']}/rules")
        expect(ru_page.get_by_role("heading", name="Механика программы")).to_be_visible()
        ru_page.get_by_label("Валюта (ISO 4217)").fill("XYZ")
        ru_page.get_by_role("button", name="Сохранить").click()
        expect(ru_page.locator("#err-f-currency")).to_have_text(
            "Код валюты ISO 4217 из трёх букв, например RUB"
        )
        assert ru_page.evaluate(FITS)
