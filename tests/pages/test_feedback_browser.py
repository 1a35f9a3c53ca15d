"""The card page's feedback form in a real browser, with scripts off (it works without
JavaScript): pick stars by their labels, comment, send; the points land on the card."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page

from tests.pages.conftest import ACCESSIBILITY_CHECK, PHONE, Site


def test_rating_the_latest_purchase_without_javascript(
    browser: Browser, site: Site, screenshot: Callable[[Page, str], Path]
) -> None:
    program = site.api("POST", "/api/v1/programs", {"name": "Feedback Club", "kind": "points"})
    site.api(
        "POST", f"/api/v1/programs/{program['id']}/actions", {"kind": "feedback", "points": 40}
    )
    body = {"name": "Olga", "email": "olga@example.com"}
    member = site.api("POST", f"/api/v1/programs/{program['id']}/members", body)
    site.api(
        "POST", f"/api/v1/members/{member['id']}/transactions",
        {"kind": "purchase", "amount": "500", "currency": "RUB"},
    )  # fmt: skip
    context = browser.new_context(viewport=PHONE, locale="en-US", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(member["card_url"])
        before = int(page.locator("#points").inner_text())
        assert "earns 40 points" in page.locator("#feedback").inner_text()
        page.locator('label[for="star-4"]').click()  # the fourth star, named "4 of 5"
        assert page.get_by_label("4 of 5").is_checked()
        page.get_by_label("Comment (optional)").fill("Friendly barista")
        screenshot(page, "card-feedback")
        page.get_by_role("button", name="Send").click()
        page.wait_for_url("**feedback=thanks*")
        assert page.locator("#feedback-result").inner_text() == "Thank you for your feedback!"
        assert page.locator("#feedback-form").count() == 0
        assert int(page.locator("#points").inner_text()) == before + 40
    finally:
        context.close()
    listed = site.api("GET", f"/api/v1/programs/{program['id']}/feedback")
    assert [(f["rating"], f["comment"]) for f in listed["items"]] == [(4, "Friendly barista")]


def test_the_form_is_accessible_and_keeps_the_csp(page: Page, site: Site) -> None:
    program = site.api("POST", "/api/v1/programs", {"name": "Stars Club", "kind": "points"})
    member = site.api(
        "POST",
        f"/api/v1/programs/{program['id']}/members",
        {"name": "Ivan", "phone": "+79160001122"},
    )
    site.api(
        "POST", f"/api/v1/members/{member['id']}/transactions",
        {"kind": "purchase", "amount": "300", "currency": "RUB"},
    )  # fmt: skip
    page.goto(member["card_url"])
    page.locator("#feedback").scroll_into_view_if_needed()
    assert page.evaluate(ACCESSIBILITY_CHECK) == []
    # the page fixture fails the test on any console error (a CSP violation among them)
