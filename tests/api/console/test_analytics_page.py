"""The console's analytics page (both databases): the figures, the charts, the CSV links,
both languages, and a period it cannot read."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.analytics.schemas import Cohort
from api.console.analytics_charts import WIDTH, cohort_grid, hbars
from api.console.analytics_texts import ANALYTICS_TEXTS
from tests.api.analytics.test_analytics import QUERY, build, expected
from tests.api.console.test_console import sign_in
from tests.support.factories import new_merchant, new_program


@pytest.mark.db
class TestAnalyticsPage:
    def test_the_figures_charts_and_csv(self, app: FastAPI, client: TestClient) -> None:
        world = build(app, client)
        want = expected(world)
        client.headers["Accept-Language"] = "en"
        assert sign_in(client, world.key).status_code == 303
        path = f"/console/programs/{world.program_id}/analytics"
        page = client.get(path, params=QUERY)
        assert page.status_code == 200, page.text
        text = page.text
        assert "Return rate" in text
        assert f"Buyers in the period: {want['buyers']}, first-time: {want['first_time']}" in text
        assert f"{want['average']} RUB" in text
        assert "Goal: 250.00 RUB" in text
        assert "Arbat: " in text
        assert text.count('<rect x="52') == 3  # a cohort row per month joined
        assert "staff S1: Ann" in text
        assert "style=" not in text  # CSP: no inline styles
        link = f"/console/programs/{world.program_id}/analytics.csv?"
        assert text.count(link) == 7  # every metric, and each one alone
        download = client.get(
            f"/console/programs/{world.program_id}/analytics.csv",
            params={**QUERY, "metric": "checks"},
        )
        assert download.headers["content-type"].startswith("text/csv")
        [row] = list(csv.DictReader(io.StringIO(download.text)))
        assert int(row["purchases"]) == want["purchases"]
        assert Decimal(row["average_check"]) == want["average"]

        russian = client.get(path, params={**QUERY, "lang": "ru"})
        assert "Возвращаемость" in russian.text
        assert "Цель среднего чека" in russian.text

    def test_a_period_it_cannot_read_shows_the_last_30_days(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        client.headers["Accept-Language"] = "en"
        sign_in(client, key)
        path = f"/console/programs/{program['id']}/analytics"
        for params in ({"from": "2026-05-01", "to": "2026-04-01"}, {"goal": "lots"},
                       {"from": "yesterday"}):  # fmt: skip
            page = client.get(path, params=params)
            assert page.status_code == 422
            assert 'id="error"' in page.text
        assert client.get(path).status_code == 200
        assert client.get(f"/console/programs/{program['id']}").text.count(path) == 1

    def test_another_merchants_program_is_not_found(self, app: FastAPI, client: TestClient) -> None:
        theirs = new_program(client, new_merchant(app, "Theirs"))
        sign_in(client, new_merchant(app))
        assert client.get(f"/console/programs/{theirs['id']}/analytics").status_code == 404
        csv_path = f"/console/programs/{theirs['id']}/analytics.csv"
        assert client.get(csv_path).status_code == 404


class TestCharts:
    def test_both_languages_have_every_text(self) -> None:
        assert set(ANALYTICS_TEXTS["ru"]) == set(ANALYTICS_TEXTS["en"])

    def test_bars_share_a_scale_and_the_goal_extends_it(self) -> None:
        chart = hbars([("a", 50, "50"), ("b", 100, "100"), ("c", 0, "0")])
        assert [b.width for b in chart.bars] == [WIDTH / 2, WIDTH, 0]
        goal = hbars([("avg", 150, "150")], marker=300)
        assert goal.bars[0].width == WIDTH / 2
        assert goal.marker == WIDTH
        rates = hbars([("r", 0.25, "25 %")], scale=1)
        assert rates.bars[0].width == WIDTH / 4

    def test_the_cohort_grid_shades_by_share(self) -> None:
        cohorts = [
            Cohort(month="2026-01", members=4, active=[4, 2, 1], retention=[1.0, 0.5, 0.25]),
            Cohort(month="2026-02", members=2, active=[1, 0], retention=[0.5, 0.0]),
        ]
        grid = cohort_grid(cohorts)
        assert grid.columns == 3
        first, second = grid.rows
        assert [c.opacity for c in first.cells] == [1.0, 0.54, 0.31]
        assert len(second.cells) == 2
        assert first.cells[-1].x + first.cells[-1].width <= WIDTH
        assert grid.has_numbers
