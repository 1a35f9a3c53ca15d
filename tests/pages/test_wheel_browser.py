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


# Each label's rotation, the corners of its text in the wheel's coordinates (centre 0, 0;
# radius 100), and its box against the wheel's box on the screen.
LABELS = """() => {
  const disc = document.getElementById('wheel-disc').getBoundingClientRect();
  return [...document.querySelectorAll('#wheel-disc text')].map(el => {
    const m = el.transform.baseVal.consolidate().matrix, b = el.getBBox();
    const corners = [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height],
                     [b.x + b.width, b.y + b.height]].map(([x, y]) =>
      Math.hypot(m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f));
    const r = el.getBoundingClientRect();
    return {text: el.textContent, angle: Math.atan2(m.b, m.a) * 180 / Math.PI,
            reach: Math.max(...corners),
            inside: r.left >= disc.left - .5 && r.right <= disc.right + .5 &&
                    r.top >= disc.top - .5 && r.bottom <= disc.bottom + .5};
  });
}"""


def test_wedges_follow_the_odds_and_labels_stay_readable(
    page: Page, site: Site, screenshot: Callable[[Page, str], Path]
) -> None:
    program = site.api(
        "POST", "/api/v1/programs", {"name": "Odds Club", "kind": "points", "design": "florist"}
    )

    def show(prizes: list[dict[str, object]]) -> list[dict[str, object]]:
        wheel = {"min_purchase": "300", "prizes": prizes}
        site.api("PUT", f"/api/v1/programs/{program['id']}/wheel", wheel)
        page.goto(member["card_url"])
        labels: list[dict[str, object]] = page.evaluate(LABELS)
        for label in labels:
            assert -90 <= float(str(label["angle"])) <= 90, label  # never upside down
            assert float(str(label["reach"])) <= 100, label  # inside the rim
            assert label["inside"], label
        return labels

    body = {"name": "Olga", "email": "olga@example.com"}
    member = site.api("POST", f"/api/v1/programs/{program['id']}/members", body)
    three = [
        {"label": "Free coffee", "kind": "nothing", "weight": 10},
        {"label": "Free cake", "kind": "nothing", "weight": 10},
        {"label": "Try again", "kind": "nothing", "weight": 80},
    ]
    assert [x["text"] for x in show(three)] == ["Free coff\u2026", "Free cake", "Try again"]
    middles = page.locator("#wheel-disc path").evaluate_all(
        "ps => ps.map(p => parseFloat(p.dataset.middle))"
    )
    assert middles == [18, 54, 216]  # 36, 36 and 288 degrees
    odds = page.get_by_role("table", name="Odds").inner_text()
    assert "10.0%" in odds
    assert "80.0%" in odds

    twelve = [
        {"label": f"Приз номер {i}: капучино с круассаном", "kind": "nothing", "weight": 1}
        for i in range(12)
    ]
    labels = show(twelve)
    assert len(labels) == 12
    assert all(str(x["text"]).endswith("\u2026") for x in labels)
    screenshot(page, "wheel-twelve")

    thin = [
        {"label": "Jackpot", "kind": "nothing", "weight": 1},
        {"label": "Try again", "kind": "nothing", "weight": 199},
    ]
    assert [x["text"] for x in show(thin)] == ["Try again"]  # the jackpot is in the legend
    assert "Jackpot" in page.get_by_role("table", name="Odds").inner_text()
    assert page.evaluate(ACCESSIBILITY_CHECK) == []
