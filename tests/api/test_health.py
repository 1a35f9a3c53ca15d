"""Health check, OpenAPI docs and error shapes for routes that do not exist."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.clock import utcnow
from api.outbound import service as outbound_service


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["apple_certificate"]["days_left"] > 300


def test_healthz_is_degraded_but_alive_when_a_wallet_refuses_our_credential(
    client: TestClient, engine: Engine
) -> None:
    with Session(engine) as session, session.begin():
        outbound_service.refused(session, outbound_service.GOOGLE, credential="key-1",
                                 reason="403 permissionDenied", now=utcnow())  # fmt: skip
    response = client.get("/healthz")
    assert response.status_code == 200  # liveness: cards are still served
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == "ok"
    google = body["checks"]["deliveries"]["google"]
    assert (google["state"], google["reason"]) == ("blocked", "403 permissionDenied")


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
