"""The console's analytics page in a real browser at phone width: the charts draw, nothing
runs off the side of a 390 px screen, the CSP holds, and a CSV downloads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.pages.conftest import ACCESSIBILITY_CHECK, Site
from tests.pages.test_console_browser import sign_in


def test_analytics_at_phone_width(
    page: Page, site: Site, screenshot: Callable[[Page, str], Path]
) -> None:
    body = {"name": "Numbers Club", "kind": "points", "design": "coffee"}
    program = site.api("POST", "/api/v1/programs", body)
    for n, amounts in enumerate((["300", "500"], ["800"], [])):
        member = site.api(
            "POST",
            f"/api/v1/programs/{program['id']}/members",
            {"name": f"Analytics {n}", "phone": f"+7900555770{n}"},
        )
        for amount in amounts:
            site.api(
                "POST",
                f"/api/v1/members/{member['id']}/transactions",
                {"kind": "purchase", "amount": amount, "currency": "RUB"},
            )
    sign_in(page, site)
    page.goto(f"{site.url}/console/programs/{program['id']}")
    page.get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    page.get_by_label("Average check goal, RUB").fill("600")
    page.get_by_role("button", name="Show").click()
    checks = page.locator("#checks")
    expect(checks).to_contain_text("533.33 RUB")  # (300 + 500 + 800) / 3
    expect(checks).to_contain_text("66.67 RUB short of the goal")
    expect(page.locator("#returns")).to_contain_text("50.0 %")  # one of two buyers came back
    assert page.get_by_role("img", name="Retention by month joined").count() == 1
    # nothing wider than the phone: the page does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for chart in page.locator("svg.chart").all():
        box = chart.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
    assert page.evaluate(ACCESSIBILITY_CHECK) == []
    screenshot(page, "console-analytics")
    with page.expect_download() as download:
        page.locator("#csv").get_by_role("link", name="cohorts").click()
    assert download.value.suggested_filename.endswith("-cohorts.csv")
    assert Path(download.value.path()).read_text().startswith("cohort,members,month 0")
