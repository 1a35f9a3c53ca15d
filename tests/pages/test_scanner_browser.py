"""The staff scanner in a real browser: sign in with a PIN, type a card number, credit."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import segno
from playwright.sync_api import Page

from tests.pages.conftest import ACCESSIBILITY_CHECK, Site, add_store


@pytest.fixture(scope="module")
def shop(site: Site) -> dict[str, Any]:
    program = site.api(
        "POST",
        "/api/v1/programs",
        {"name": "Scanner Club", "kind": "stamps", "stamps_required": 10, "design": "coffee"},
    )
    store_id = add_store(site)
    staff = site.api("POST", "/api/v1/staff", {"name": "Olga", "store_id": store_id, "pin": "4821"})
    reward = site.api(
        "POST",
        f"/api/v1/programs/{program['id']}/rewards",
        {"name": "Free croissant", "cost_points": 500},
    )
    member = site.api(
        "POST",
        f"/api/v1/programs/{program['id']}/members",
        {"name": "Ivan", "phone": "+79160001122"},
    )
    return {
        "program": program,
        "store_id": store_id,
        "staff": staff,
        "reward": reward,
        "member": member,
    }


def sign_in(page: Page, site: Site, code: str, pin: str) -> None:
    page.goto(f"{site.url}/scan")
    page.get_by_label("Staff code").fill(code)
    page.get_by_label("PIN").fill(pin)
    page.get_by_role("button", name="Sign in").click()


class TestScanner:
    def test_scanner_credits_a_purchase_by_manual_entry_and_the_card_page_shows_it(
        self,
        page: Page,
        site: Site,
        shop: dict[str, Any],
        screenshot: Callable[[Page, str], Path],
    ) -> None:
        member = shop["member"]
        sign_in(page, site, shop["staff"]["code"].lower(), "4821")
        assert page.locator("#signed-in").inner_text() == "Olga, Tverskaya 1"
        screenshot(page, "scanner")
        serial = member["serial_number"]
        page.get_by_label("Card number").fill(f"{serial[:4]} {serial[4:8]} {serial[8:]}")
        page.get_by_role("button", name="Find").click()
        page.wait_for_url(re.compile(rf"/scan/cards/{serial}$"))
        page.get_by_label("Purchase amount").fill("350,00")
        page.get_by_role("button", name="Credit").click()
        assert page.get_by_role("status").inner_text().startswith("Done. Points: 0. Stamps: 1.")
        assert page.evaluate(ACCESSIBILITY_CHECK) == []
        screenshot(page, "scanner-card")

        page.goto(member["card_url"])
        assert page.locator("#stamps").inner_text() == "1 / 10"

        transactions = site.api("GET", f"/api/v1/members/{member['id']}/transactions")["items"]
        assert transactions[0]["kind"] == "purchase"
        assert transactions[0]["location_id"] == shop["store_id"]
        assert transactions[0]["actor"] == f"staff {shop['staff']['code']}: Olga"

    def test_a_refusal_says_why(self, page: Page, site: Site, shop: dict[str, Any]) -> None:
        """The page offered the reward; another till spent the points before the click."""
        member = shop["member"]
        path = f"/api/v1/members/{member['id']}/transactions"
        site.api("POST", path, {"kind": "earn", "points": 500})
        sign_in(page, site, shop["staff"]["code"], "4821")
        page.goto(f"{site.url}/scan/cards/{member['serial_number']}")
        page.get_by_label("Redeem reward").select_option(label="Free croissant (500)")
        site.api("POST", path, {"kind": "redeem", "points": 500})
        page.get_by_role("button", name="Redeem reward").click()
        assert "Not enough points" in page.get_by_role("alert").inner_text()

    def test_a_wrong_pin_is_refused(self, page: Page, site: Site, shop: dict[str, Any]) -> None:
        sign_in(page, site, shop["staff"]["code"], "0000")
        assert page.get_by_role("alert").inner_text() == "Wrong code or PIN"
        page.goto(f"{site.url}/scan/cards/{shop['member']['serial_number']}")
        assert page.get_by_role("button", name="Sign in").is_visible()


def test_a_photo_of_the_code_finds_the_card(
    page: Page, site: Site, shop: dict[str, Any], tmp_path: Path
) -> None:
    """Phones without BarcodeDetector (Safari, Firefox) send a photo; the server reads it."""
    serial = shop["member"]["serial_number"]
    photo = tmp_path / "photo.png"
    segno.make(serial).save(str(photo), kind="png", scale=12, border=6)
    sign_in(page, site, shop["staff"]["code"], "4821")
    page.get_by_label("Or take a photo of the card's code").set_input_files(str(photo))
    page.get_by_role("button", name="Read the photo").click()
    page.wait_for_url(re.compile(rf"/scan/cards/{serial}$"))
    assert page.get_by_role("heading", name="Ivan").is_visible()


def test_a_coupon_code_typed_at_the_scanner_is_used_once(
    page: Page, site: Site, shop: dict[str, Any], screenshot: Callable[[Page, str], Path]
) -> None:
    """The card page shows the member a coupon; the cashier types its code and uses it."""
    program, member = shop["program"], shop["member"]
    reward = site.api(
        "POST",
        f"/api/v1/programs/{program['id']}/rewards",
        {"name": "Free cake", "costs_full_card": True},
    )
    site.api("POST", f"/api/v1/members/{member['id']}/transactions", {"kind": "earn", "stamps": 10})
    code = site.api(
        "POST",
        f"/api/v1/members/{member['id']}/transactions",
        {"kind": "redeem_reward", "reward_id": reward["id"]},
    )["coupon"]["code"]
    sign_in(page, site, shop["staff"]["code"], "4821")
    page.get_by_label("Card number or coupon code").fill(f"{code[:5].lower()} {code[5:]}")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url(re.compile(rf"/scan/coupons/{code}$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Free cake"
    assert page.evaluate(ACCESSIBILITY_CHECK) == []
    other_till = page.context.new_page()  # the same coupon open on a second screen
    other_till.goto(page.url)
    page.get_by_role("button", name="Use the coupon").click()
    assert page.get_by_role("status").inner_text() == "Coupon used: hand over \u201cFree cake\u201d"
    assert page.get_by_role("button", name="Use the coupon").count() == 0
    assert page.locator("#state").inner_text().startswith("used on ")
    screenshot(page, "scanner-coupon")
    other_till.get_by_role("button", name="Use the coupon").click()  # refused, not used twice
    assert "already been used" in other_till.get_by_role("alert").inner_text()
