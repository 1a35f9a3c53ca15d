"""Programs over the merchant API: create, read, tenancy, bad input."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.merchants.models import Role
from tests.support.factories import auth, new_key, new_merchant, new_program


class TestCreateProgram:
    def test_points_program(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key, name="Petal & Stem Club", design="florist")
        assert program["kind"] == "points"
        assert program["design"] == "florist"
        assert program["slug"] == "petal-stem-club"
        assert client.get(f"/api/v1/programs/{program['id']}", headers=auth(key)).json() == program

    def test_program_without_a_design_gets_its_own_neutral_design(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key, kind="stamps", stamps_required=10)
        assert program["stamps_required"] == 10
        assert program["design"] == f"p-{program['id'].replace('-', '')}-v0"

    def test_same_name_twice_gets_distinct_slugs(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        first, second = new_program(client, key), new_program(client, key)
        assert first["slug"] != second["slug"]


class TestBadInput:
    def test_stamps_without_a_goal(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        response = client.post(
            "/api/v1/programs", json={"name": "X", "kind": "stamps"}, headers=auth(key)
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "validation_error"
        assert "stamps_required" in response.json()["detail"]

    def test_malformed_json(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        response = client.post(
            "/api/v1/programs",
            content=b'{"name": "X",',
            headers={**auth(key), "Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert response.json()["type"] == "validation_error"

    def test_missing_name(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        response = client.post("/api/v1/programs", json={"kind": "points"}, headers=auth(key))
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == ["body", "name"]

    def test_unknown_field(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        response = client.post(
            "/api/v1/programs", json={"name": "X", "colour": "red"}, headers=auth(key)
        )
        assert response.status_code == 422

    def test_unknown_design(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        response = client.post(
            "/api/v1/programs", json={"name": "X", "design": "bakery"}, headers=auth(key)
        )
        assert response.status_code == 422
        assert response.json()["type"] == "unknown_design"
        assert "coffee" in response.json()["detail"]

    def test_unknown_program(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        response = client.get(
            "/api/v1/programs/00000000-0000-0000-0000-000000000000", headers=auth(key)
        )
        assert response.status_code == 404
        assert response.json()["type"] == "program_not_found"

    def test_not_a_uuid(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        response = client.get("/api/v1/programs/1", headers=auth(key))
        assert response.status_code == 422


class TestAuthentication:
    def test_no_key(self, client: TestClient) -> None:
        response = client.post("/api/v1/programs", json={"name": "X"})
        assert response.status_code == 401
        assert response.json()["type"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"

    def test_wrong_key(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
        for bad in (forged, "lp_nope_nope", "garbage"):
            response = client.get("/api/v1/programs", headers=auth(bad))
            assert response.status_code == 401, bad

    def test_pos_key_cannot_create_programs(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        pos = new_key(app, key, Role.pos)
        response = client.post("/api/v1/programs", json={"name": "X"}, headers=auth(pos))
        assert response.status_code == 403
        assert response.json()["type"] == "forbidden"


class TestTenancy:
    def test_other_merchants_program_is_404_and_invisible(
        self, app: FastAPI, client: TestClient
    ) -> None:
        mine, theirs = new_merchant(app, "A"), new_merchant(app, "B")
        program = new_program(client, theirs, name="Secret Club")
        response = client.get(f"/api/v1/programs/{program['id']}", headers=auth(mine))
        assert response.status_code == 404
        assert "Secret" not in response.text
        assert client.get("/api/v1/programs", headers=auth(mine)).json()["items"] == []
        enrol = client.post(
            f"/api/v1/programs/{program['id']}/members",
            json={"name": "Eve", "email": "eve@example.com"},
            headers=auth(mine),
        )
        assert enrol.status_code == 404
        assert enrol.json()["type"] == "program_not_found"
