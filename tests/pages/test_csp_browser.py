"""The strict Content-Security-Policy in a real browser. Every browser test already fails on
a console error (``tests/pages/conftest.py``); these show that a violation does land there,
that the console's preview keeps its design colours (now in the page's nonced <style>) when
the script swaps a new preview in, and that /docs renders Swagger UI from our own origin."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.pages.conftest import Site
from tests.pages.test_console_browser import sign_in


@pytest.fixture(scope="module")
def program(site: Site) -> dict[str, Any]:
    body = {"name": "Policy Club", "kind": "stamps", "stamps_required": 8, "design": "coffee"}
    result: dict[str, Any] = site.api("POST", "/api/v1/programs", body)
    return result


def test_an_inline_script_or_style_without_the_nonce_is_refused_and_reported(
    page: Page, site: Site, program: dict[str, Any], console_errors: list[str]
) -> None:
    page.goto(f"{site.url}/join/{program['public_slug']}")
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true";
        document.body.append(script);
        document.body.insertAdjacentHTML("beforeend", '<p id="styled" style="color:red">x</p>');
    }""")
    assert page.evaluate("window.injected") is None
    color = page.evaluate("getComputedStyle(document.getElementById('styled')).color")
    assert color != "rgb(255, 0, 0)"
    expect(page.locator("h1")).to_be_visible()
    assert any("Content Security Policy" in error for error in console_errors), console_errors
    console_errors.clear()  # provoked on purpose


def test_the_preview_keeps_its_colours_when_the_sample_changes(
    page: Page, site: Site, program: dict[str, Any]
) -> None:
    page.set_viewport_size({"width": 1100, "height": 900})
    sign_in(page, site)
    page.goto(f"{site.url}/console/programs/{program['id']}")
    colours = "() => [getComputedStyle(document.querySelector('.gcard')).backgroundColor, " \
        "getComputedStyle(document.querySelector('.apple .pass')).backgroundColor]"  # fmt: skip
    before = page.evaluate(colours)
    assert "rgba(0, 0, 0, 0)" not in before
    page.get_by_label("Stamps", exact=True).fill("5")
    expect(page.locator(".apple [data-field=stamps]")).to_have_text("5/8")
    assert page.evaluate(colours) == before


def test_the_api_docs_render_offline_under_the_policy(page: Page, site: Site) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{site.url}/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    assert all(url.startswith(site.url) or url.startswith("data:") for url in requested), requested
