"""The console's member import in a real browser: upload a small file with one bad row, read
the report naming its line, confirm, watch the progress page finish (a meta refresh, no
script), and find the imported members; the page passes the accessibility check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.pages.conftest import ACCESSIBILITY_CHECK, Site
from tests.pages.test_console_browser import sign_in


@pytest.fixture(scope="module")
def program(site: Site) -> dict[str, Any]:
    body = {"name": "Import Club", "rules": {"currency": "RUB", "earn": {"points": 1}}}
    result: dict[str, Any] = site.api("POST", "/api/v1/programs", body)
    return result


def test_upload_check_import_and_find_the_members(
    page: Page, site: Site, program: dict[str, Any], tmp_path: Path
) -> None:
    file = tmp_path / "clients.csv"
    file.write_text(
        "name;phone;points\n"
        "Ilya Import;+79005551001;15\n"
        "Inna Import;+79005551002;25\n"
        "Igor Import;call me;5\n",
        encoding="utf-8",
    )
    page.set_viewport_size({"width": 1100, "height": 800})
    sign_in(page, site)
    page.get_by_role("link", name="Members").click()
    page.get_by_role("link", name="Import and export").click()
    expect(page.get_by_role("heading", name="Import and export members")).to_be_visible()
    assert page.evaluate(ACCESSIBILITY_CHECK) == []
    page.get_by_label("Program").select_option(label="Import Club")
    page.get_by_label("File (CSV or XLSX)").set_input_files(str(file))
    page.get_by_role("button", name="Check the file").first.click()

    expect(page.locator("#report-valid")).to_have_text("New members: 2")
    problems = page.locator("#problems tr")
    expect(problems).to_have_count(2)  # the header and the one bad row
    expect(problems.nth(1).locator("td").nth(0)).to_have_text("4")
    expect(problems.nth(1).locator("td").nth(1)).to_have_text("phone")
    assert page.evaluate(ACCESSIBILITY_CHECK) == []

    page.get_by_role("button", name="Import 2 members").click()
    expect(page.locator("#bar")).to_be_visible()
    expect(page.locator("#finished")).to_contain_text("2 members added", timeout=30_000)
    assert page.locator("#bar").get_attribute("value") == "2"

    page.locator("#see-members").click()
    expect(page.locator("#total")).to_have_text("Found: 2")
    expect(page.locator("#members")).to_contain_text("Ilya Import")
    expect(page.locator("#members")).to_contain_text("Inna Import")
