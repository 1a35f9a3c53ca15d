"""The console's design editor in a real browser: the florist's story (a starter, her logo
from a phone photo with a focal point, two colours with the contrast warning, texts in
Russian and English, both wallets' previews following her typing, publish, history, roll
back), and the editor on a phone in Russian."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.pages.conftest import ACCESSIBILITY_CHECK, PHONE, Site, wait_until


@pytest.fixture(scope="module")
def florist(site: Site) -> dict[str, Any]:
    program = site.api("POST", "/api/v1/programs", {"name": "Bloom Club", "kind": "points"})
    site.api(
        "POST", f"/api/v1/programs/{program['id']}/members",
        {"name": "Vera Bloom", "phone": "+79005550301"},
    )  # fmt: skip
    return program


def sign_in(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/console")
    page.locator("input[name=api_key]").fill(site.key)
    page.locator("form[action='/console/sign-in'] button").click()
    expect(page.locator("nav.console")).to_be_visible()


def photo() -> bytes:
    """A phone photo: a pink field with the flower (dark green) in its top-left corner."""
    image = Image.new("RGB", (1200, 900), "#f4b6c2")
    image.paste(Image.new("RGB", (300, 300), "#1f4d3a"), (60, 60))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88)
    return out.getvalue()


class TestFloristStory:
    def test_the_florist_designs_and_publishes_her_card(
        self,
        page: Page,
        site: Site,
        florist: dict[str, Any],
        screenshot: Callable[[Page, str], Path],
    ) -> None:
        page.set_viewport_size({"width": 1200, "height": 900})
        sign_in(page, site)
        page.goto(f"{site.url}/console/programs/{florist['id']}")
        page.locator("#design-link").click()
        expect(page.get_by_role("heading", name="Card design")).to_be_visible()

        page.get_by_label("Start from a template").select_option("florist")
        page.get_by_role("button", name="Use template").click()
        expect(page.locator("#done")).to_have_text("The draft is now the template.")
        expect(page.locator("#t-en-program-organization")).to_have_value("Petal & Stem")

        logo_before = page.locator(".apple .head img").get_attribute("src")
        page.get_by_label("Where").select_option("logo")
        page.locator("#image").set_input_files(
            {"name": "logo.jpg", "mimeType": "image/jpeg", "buffer": photo()}
        )
        expect(page.locator("#crop-frame")).to_be_visible()
        page.locator("#crop-image").click(position={"x": 30, "y": 30})
        assert float(page.locator("#focus_x").input_value()) < 0.2
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("#done")).to_have_text("The image is in the draft.")
        logo_after = page.locator(".apple .head img").get_attribute("src")
        assert logo_after != logo_before
        wait_until(  # the new logo loads from the draft
            page,
            "(img => img.complete && img.naturalWidth > 0)"
            "(document.querySelector('.apple .head img'))",
        )

        page.locator("#colors-background").fill("#1f4d3a")
        page.locator("#colors-foreground").fill("#2f6a50")
        warning = page.locator("#contrast .contrast")
        expect(warning).to_have_count(1)
        expect(warning).to_contain_text("Hard to read: Text on the background")
        page.locator("#colors-foreground").fill("#ffffff")
        expect(warning).to_have_count(0)

        apple_org = page.locator("#preview .apple .org")
        google_head = page.locator("#preview .ghead")
        page.locator("#t-en-program-logo_text").fill("Bloom")
        expect(apple_org).to_have_text("Bloom")
        page.locator("#t-en-program-organization").fill("Bloom Flowers")
        expect(google_head).to_have_text("Bloom Flowers")
        page.get_by_role("tab", name="Russian").click()
        expect(page.locator("#t-en-program-name")).to_be_hidden()
        page.locator("#t-ru-program-name").fill("Клуб Блум")
        page.locator("#t-ru-program-organization").fill("Блум")
        page.get_by_label("The card's main language").select_option("ru")
        expect(google_head).to_have_text("Блум")
        page.get_by_label("The card's main language").select_option("en")
        expect(google_head).to_have_text("Bloom Flowers")
        page.get_by_role("button", name="Save draft").click()
        expect(page.locator("#done")).to_have_text("Draft saved.")
        draft = site.api("GET", f"/api/v1/programs/{florist['id']}/design/draft")["document"]
        assert draft["program"]["organization"] == "Bloom Flowers"
        assert draft["translations"]["ru"]["program"]["name"] == "Клуб Блум"
        assert draft["colors"]["foreground"] == "#ffffff"
        screenshot(page, "design-editor")

        page.get_by_text("Publish to 1 cards").click()
        page.get_by_role("button", name="Yes, publish").click()
        expect(page.locator("#done")).to_have_text(
            "Published: version 1. Customers' cards will update."
        )
        expect(page.locator("#v1")).to_contain_text("on the cards now")
        page.get_by_text("Publish to 1 cards").click()
        page.get_by_role("button", name="Yes, publish").click()
        expect(page.locator("#v2")).to_contain_text("on the cards now")
        page.get_by_role("button", name="Roll back 1").click()
        expect(page.locator("#done")).to_contain_text("version 3")
        live = site.api("GET", f"/api/v1/programs/{florist['id']}")
        assert re.search(r"-v3$", live["design"])
        assert page.evaluate(ACCESSIBILITY_CHECK) == []


class TestOnAPhone:
    def test_the_editor_fits_a_phone_in_russian(
        self,
        ru_page: Page,
        site: Site,
        florist: dict[str, Any],
        screenshot: Callable[[Page, str], Path],
    ) -> None:
        sign_in(ru_page, site)
        ru_page.goto(f"{site.url}/console/programs/{florist['id']}/design")
        assert ru_page.viewport_size == PHONE
        expect(ru_page.get_by_role("heading", name="Дизайн карты")).to_be_visible()
        expect(ru_page.get_by_role("button", name="Сохранить черновик")).to_be_visible()
        assert ru_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert ru_page.evaluate(ACCESSIBILITY_CHECK) == []
        ru_page.locator("#colors-label").fill("#2a5a45")  # the preview shows it as badly
        expect(ru_page.locator("#contrast .contrast")).to_contain_text("Плохо читается")
        assert ru_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        logo_text = ru_page.locator("#t-en-program-logo_text")
        error = ru_page.locator("#err-t-en-program-logo_text")
        logo_text.fill("L" * 200)  # over the limit: the preview says so next to the field
        expect(error).to_contain_text("Не подходит:")
        expect(logo_text).to_have_attribute("aria-invalid", "true")
        logo_text.fill("Bloom")
        expect(error).to_be_hidden()
        screenshot(ru_page, "design-editor-phone")
