"""The wheel of fortune in a real browser: a purchase grants a spin, the server draws, the
wheel lands on what the server drew, and the prize is in the ledger."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.pages.conftest import ACCESSIBILITY_CHECK, Site


def test_the_wheel_spins_and_the_prize_lands_in_the_ledger(
    page: Page, site: Site, screenshot: Callable[[Page, str], Path]
) -> None:
    program = site.api(
        "POST", "/api/v1/programs", {"name": "Wheel Club", "kind": "points", "design": "florist"}
    )
    wheel = {
        "min_purchase": "300",
        "prizes": [
            {"label": "25 points", "kind": "points", "points": 25, "weight": 1},
            {"label": "Try again", "kind": "nothing", "weight": 1},
        ],
        "daily_prize_cap": 100,
    }
    # The odds are what the wheel publishes; a prize of weight 1 against 1 is 50 %.
    published = site.api("PUT", f"/api/v1/programs/{program['id']}/wheel", wheel)
    assert [p["percent"] for p in published["prizes"]] == [50.0, 50.0]
    body = {"name": "Maria", "email": "maria@example.com"}
    member = site.api("POST", f"/api/v1/programs/{program['id']}/members", body)
    for receipt in ("W-1", "W-2", "W-3"):
        site.api(
            "POST",
            f"/api/v1/members/{member['id']}/transactions",
            {"kind": "purchase", "amount": "400", "currency": "RUB", "receipt_id": receipt},
        )

    page.emulate_media(reduced_motion="reduce")  # the wheel turns for 0.3 s instead of 2.4 s
    page.goto(member["card_url"])
    assert page.locator("#wheel-spins").inner_text() == "Spins available: 3"
    assert "50.0%" in page.get_by_role("table", name="Odds").inner_text()
    before = int(page.locator("#points").inner_text())
    won = 0
    for left in (2, 1, 0):
        page.get_by_role("button", name="Spin").click()
        result = page.locator("#wheel-result")
        result.wait_for(state="visible")
        page.locator('#wheel-disc:not([data-landed=""])').wait_for(state="attached")
        landed = int(page.locator("#wheel-disc").get_attribute("data-landed") or "-1")
        # the wheel stops on the segment the server drew, and says what it was
        expected = "You won: 25 points" if landed == 0 else "No prize this time"
        assert result.inner_text().startswith(expected)
        won += 25 if landed == 0 else 0
        expect(page.locator("#wheel-spins")).to_contain_text(str(left) if left else "Make a")
        page.evaluate("document.getElementById('wheel-disc').dataset.landed = ''")
    assert page.evaluate(ACCESSIBILITY_CHECK) == []
    screenshot(page, "wheel")
    assert page.get_by_role("button", name="Spin").is_disabled()

    page.reload()
    assert int(page.locator("#points").inner_text()) == before + won
    entries = site.api("GET", f"/api/v1/members/{member['id']}/transactions")["items"]
    prizes = [t for t in entries if t["kind"] == "earn"]
    assert len(prizes) == won // 25
    assert all(t["reason"] == "wheel of fortune: 25 points" for t in prizes)
