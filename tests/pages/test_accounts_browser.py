"""People in the console, in a real browser: the owner signs in with email and password,
invites an analyst, who sets a password from the link, turns on the second factor by
scanning its QR code, and then needs the code to sign in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyotp
from playwright.sync_api import Browser, Page, expect

from tests.pages.conftest import ACCESSIBILITY_CHECK, PHONE, Site, watch_console

ANALYST = "ana@bean-and-brew.example"
ANALYST_PASSWORD = "analyst passphrase 1"


def sign_in_as(page: Page, site: Site, email: str, password: str, code: str = "") -> None:
    page.goto(f"{site.url}/console")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    if code:
        page.get_by_label("Authenticator code").fill(code)
    page.get_by_role("button", name="Sign in").click()


def test_owner_invites_an_analyst_who_turns_on_a_second_factor(
    page: Page, browser: Browser, site: Site, console_errors: list[str],
    screenshot: Callable[[Page, str], Path],
) -> None:  # fmt: skip
    sign_in_as(page, site, site.owner_email, site.owner_password)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.get_by_role("link", name="Account").click()
    expect(page.locator("#me")).to_contain_text(site.owner_email)
    page.get_by_role("link", name="People").click()
    page.get_by_label("Email").fill(ANALYST)
    page.locator("#f-invite-role").select_option("analyst")
    page.get_by_role("button", name="Invite", exact=True).click()
    link = page.locator("#invite-link code").inner_text()
    assert "/console/invite/" in link
    assert page.evaluate(ACCESSIBILITY_CHECK) == []
    screenshot(page, "console-people")

    context = browser.new_context(viewport=PHONE, locale="en-US")
    other = context.new_page()
    watch_console(other, console_errors)
    other.goto(link)
    other.get_by_label("New password").fill(ANALYST_PASSWORD)
    other.get_by_role("button", name="Save password").click()
    expect(other.get_by_role("heading", name="Overview")).to_be_visible()
    expect(other.get_by_text("can only read")).to_be_visible()

    other.get_by_role("link", name="Account").click()
    other.get_by_role("button", name="Turn on").click()
    expect(other.locator("#totp-qr svg")).to_be_visible()
    assert other.evaluate(ACCESSIBILITY_CHECK) == []
    secret = other.locator("#totp-secret").inner_text()
    other.get_by_label("Authenticator code").fill(pyotp.TOTP(secret).at(datetime.now(UTC)))
    other.get_by_role("button", name="Confirm").click()
    expect(other.locator("#totp-on")).to_be_visible()
    expect(other.locator("#sessions")).to_contain_text("this one")

    other.get_by_role("button", name="Sign out").click()
    sign_in_as(other, site, ANALYST, ANALYST_PASSWORD)
    expect(other.get_by_role("alert")).to_contain_text("authenticator")
    code = pyotp.TOTP(secret).at(datetime.now(UTC))
    sign_in_as(other, site, ANALYST, ANALYST_PASSWORD, code)
    expect(other.get_by_role("heading", name="Overview")).to_be_visible()
    context.close()
