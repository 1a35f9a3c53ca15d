"""Plain-function factories for API tests."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.merchants import service as merchant_service
from api.merchants.models import Role


def new_merchant(app: FastAPI, name: str = "Test Coffee") -> str:
    """Create a merchant; returns its admin API key."""
    with Session(app.state.engine) as session, session.begin():
        _, key = merchant_service.create_merchant(session, name=name)
    return key


def new_key(app: FastAPI, admin_key: str, role: Role) -> str:
    with Session(app.state.engine) as session, session.begin():
        caller = merchant_service.authenticate(session, f"Bearer {admin_key}")
        _, key = merchant_service.create_api_key(
            session, caller.merchant_id, name=f"{role} key", role=role
        )
    return key


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def new_program(client: TestClient, key: str, **body: Any) -> dict[str, Any]:
    body = {"name": "Coffee Club", "kind": "points", **body}
    response = client.post("/api/v1/programs", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def enrol(client: TestClient, key: str, program_id: str, **body: Any) -> dict[str, Any]:
    body = {"name": "Anna Petrova", "phone": "+7 916 123-45-67", **body}
    response = client.post(f"/api/v1/programs/{program_id}/members", json=body, headers=auth(key))
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def transact(
    client: TestClient, key: str, member_id: str, *, expect: int = 201, headers: dict[str, str]
    | None = None, **body: Any
) -> dict[str, Any]:  # fmt: skip
    response = client.post(
        f"/api/v1/members/{member_id}/transactions",
        json=body,
        headers={**auth(key), **(headers or {})},
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


def purchase(
    client: TestClient, key: str, member_id: str, amount: str, **extra: Any
) -> dict[str, Any]:
    return transact(client, key, member_id, kind="purchase", amount=amount, currency="RUB", **extra)


POINTS_RULES: dict[str, Any] = {
    "currency": "RUB",
    "earn": {"points": 5, "per_amount": "100"},
}


#: A complete rules document, as ``PUT /programs/{id}/rules`` takes it (every section).
COMPLETE_RULES: dict[str, Any] = {
    "currency": "RUB",
    "timezone": "Europe/Moscow",
    "earn": {"points": 5, "per_amount": "100"},
    "stamps": {},
    "tiers": {},
    "bonuses": {},
    "expiry": {},
    "messaging": {},
}
