"""Liveness (/healthz), readiness (/readyz), OpenAPI docs and error shapes for routes that do
not exist. What the operator watches beyond (wallet channels, certificates) is
tests/api/status."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.health import _heads


class TestLiveness:
    def test_healthz_answers_without_touching_the_database(self, app: FastAPI) -> None:
        client = TestClient(app)
        engine = app.state.engine
        app.state.engine = None  # any database use would fail
        try:
            response = client.get("/healthz")
        finally:
            app.state.engine = engine
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


class TestReadiness:
    def test_ready_at_the_newest_migration_with_the_designs_loaded(
        self, client: TestClient
    ) -> None:
        response = client.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json() == {
            "status": "ready",
            "checks": {"database": "ok", "migrations": "ok", "designs": "ok"},
        }

    def test_not_ready_without_a_database(self, app: FastAPI) -> None:
        engine = app.state.engine
        app.state.engine = None
        try:
            response = TestClient(app).get("/readyz")
        finally:
            app.state.engine = engine
        assert response.status_code == 503
        assert response.json()["checks"]["database"] == "error: RuntimeError"

    def test_not_ready_behind_the_newest_migration(
        self, app: FastAPI, client: TestClient, behind: str
    ) -> None:
        response = client.get("/readyz")
        assert response.status_code == 503
        migrations = response.json()["checks"]["migrations"]
        assert migrations.startswith(f"at {behind}, newest ")

    def test_not_ready_without_designs(self, app: FastAPI) -> None:
        designs = app.state.designs
        del app.state.designs
        try:
            response = TestClient(app).get("/readyz")
        finally:
            app.state.designs = designs
        assert response.status_code == 503
        assert response.json()["checks"]["designs"] == "not loaded"


@pytest.fixture
def behind(app: FastAPI) -> Iterator[str]:
    """The database's recorded revision set to an older one for the test (nothing else is
    changed: only the version table is read)."""
    [newest] = _heads(app.state.settings.migrations_dir)
    with app.state.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    yield "0001"
    with app.state.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": newest})


def test_openapi_describes_the_contract(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/v1/programs",
        "/api/v1/programs/{program_id}/members",
        "/api/v1/members/{member_id}",
        "/cards/{token}/apple.pkpass",
    ):
        assert path in spec["paths"], path
    assert client.get("/docs").status_code == 200


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_wrong_method_is_a_problem(client: TestClient) -> None:
    response = client.delete("/api/v1/programs")
    assert response.status_code == 405
    assert response.json()["type"] == "method_not_allowed"
