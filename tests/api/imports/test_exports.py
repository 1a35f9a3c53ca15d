"""Streamed CSV exports: members export and import back into another program unchanged; the
ledger, coupons and promo codes come out with their rows; a formula is never a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.imports.test_imports import MESSY, RULES, members, upload
from tests.support.factories import auth, enrol, new_merchant, new_program

pytestmark = pytest.mark.db

FIELDS = ("name", "phone", "email", "external_id", "balance", "stamps", "tier")


def export(client: TestClient, key: str, program_id: str, dataset: str) -> list[dict[str, str]]:
    response = client.get(f"/api/v1/programs/{program_id}/export/{dataset}.csv", headers=auth(key))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_members_round_trip_into_another_program(app: FastAPI, client: TestClient) -> None:
    key = new_merchant(app)
    first = new_program(client, key, rules=RULES)
    upload(client, key, first["id"], MESSY)
    enrol(client, key, first["id"], name="=HYPERLINK(1)", phone="+79035550199")
    rows = export(client, key, first["id"], "members")
    assert len(rows) == 4
    assert "'=HYPERLINK(1)" in {row["name"] for row in rows}
    body = io.StringIO()
    writer = csv.DictWriter(body, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(r for r in rows if not r["name"].startswith("'"))
    second = new_program(client, key, name="Second", rules=RULES)
    job = upload(client, key, second["id"], body.getvalue().encode(), name="members.csv")
    assert (job["valid"], job["errors"]) == (3, [])

    def people(program_id: str) -> list[tuple[Any, ...]]:
        found = members(client, key, program_id)
        return sorted(tuple(m[f] for f in FIELDS) for m in found)

    assert people(second["id"]) == [p for p in people(first["id"]) if p[0] != "=HYPERLINK(1)"]


def test_ledger_coupons_and_promo_codes(app: FastAPI, client: TestClient) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=RULES)
    upload(client, key, program["id"], MESSY)
    ledger = export(client, key, program["id"], "ledger")
    assert sorted((r["external_id"], r["kind"], r["amount"]) for r in ledger) == [
        ("", "import", "30"),
        ("POS-1", "import", "120"),
        ("POS-1", "import", "2"),
    ]
    promo = client.post(
        f"/api/v1/programs/{program['id']}/promos",
        json={"name": "Autumn", "kind": "shared", "code": "AUTUMN", "grant": "points",
              "points": 5},
        headers=auth(key),
    )  # fmt: skip
    assert promo.status_code == 201, promo.text
    codes = export(client, key, program["id"], "promo-codes")
    assert [(r["promo"], r["code"]) for r in codes] == [("Autumn", "AUTUMN")]
    assert export(client, key, program["id"], "coupons") == []
