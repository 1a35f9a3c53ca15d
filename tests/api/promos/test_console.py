"""The console's promo codes page: a program's promos, the form that creates a shared code or
a batch, the batch's codes as CSV, and no creating with a read key (both databases)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.merchants.models import Role
from tests.support.factories import POINTS_RULES, auth, new_key, new_merchant, new_program

pytestmark = pytest.mark.db


def sign_in(client: TestClient, key: str) -> None:
    client.headers["Accept-Language"] = "en"
    response = client.post("/console/sign-in", data={"api_key": key}, follow_redirects=False)
    assert response.status_code == 303, response.text


def test_create_a_shared_code_and_a_batch(app: FastAPI, client: TestClient) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)["id"]
    sign_in(client, key)
    page = client.get(f"/console/promos?program={program}")
    assert page.status_code == 200
    assert "No promo codes yet." in page.text
    shared = {
        "program": program, "name": "Summer", "kind": "shared", "code": "summer",
        "usage_limit": "100", "per_member_limit": "1", "grant": "points", "points": "50",
    }  # fmt: skip
    created = client.post("/console/promos", data=shared)
    assert created.status_code == 200, created.text
    assert 'id="created"' in created.text
    assert "<code>SUMMER</code>" in created.text
    again = client.post("/console/promos", data=shared)
    assert again.status_code == 409
    assert "already in use" in again.text
    assert 'value="Summer"' in again.text  # the form keeps what was typed
    batch = {"program": program, "name": "Flyers", "kind": "unique", "count": "20",
             "per_member_limit": "1", "grant": "discount", "discount_percent": "10"}  # fmt: skip
    listed = client.post("/console/promos", data=batch).text
    promos = client.get(f"/api/v1/programs/{program}/promos", headers=auth(key)).json()["items"]
    flyers = next(p for p in promos if p["name"] == "Flyers")
    link = f"/console/promos/{flyers['id']}/codes.csv?program={program}"
    assert link in listed
    codes = client.get(link)
    assert codes.status_code == 200
    assert len(codes.text.split()) == 21  # the header and 20 codes


def test_a_read_key_sees_but_cannot_create(app: FastAPI, client: TestClient) -> None:
    admin = new_merchant(app)
    program = new_program(client, admin, rules=POINTS_RULES)["id"]
    sign_in(client, new_key(app, admin, Role.read))
    page = client.get("/console/promos")
    assert page.status_code == 200
    assert 'id="promo-form"' not in page.text
    refused = client.post(
        "/console/promos",
        data={"program": program, "name": "X", "kind": "shared", "code": "XYZ",
              "grant": "points", "points": "5"},
    )  # fmt: skip
    assert refused.status_code == 403
    assert (
        client.get(f"/api/v1/programs/{program}/promos", headers=auth(admin)).json()["total"] == 0
    )
