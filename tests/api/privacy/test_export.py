"""The subject-access export: the member, their card and every table that names them, found
from the schema (so a new table with ``member_id`` is not forgotten), without secrets."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import SQLModel

from api.merchants.models import Role
from tests.support.factories import POINTS_RULES, auth, enrol, new_key, new_merchant, new_program
from tests.support.factories import purchase as buy

pytestmark = pytest.mark.db


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> tuple[str, str]:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)["id"]
    member = enrol(client, key, program, email="anna@example.org", tags=["vip"])["id"]
    buy(client, key, member, "500.00")
    return key, member


class TestExport:
    def test_every_member_table_is_covered(self, shop: tuple[str, str], client: TestClient) -> None:
        key, member = shop
        response = client.get(f"/api/v1/members/{member}/personal-data", headers=auth(key))
        assert response.status_code == 200, response.text
        data = response.json()
        with_member = {t.name for t in SQLModel.metadata.sorted_tables if "member_id" in t.c} - {
            "member"
        }
        assert with_member <= data["tables"].keys()
        assert "apple_registration" in data["tables"]  # keyed by the card
        assert data["member"]["name"] == "Anna Petrova"
        assert data["member"]["email"] == "anna@example.org"
        assert data["tables"]["member_tag"] == [
            {"member_id": member, "tag": "vip", "merchant_id": data["member"]["merchant_id"]}
        ]
        assert len(data["tables"]["transaction"]) == 1
        assert data["tables"]["ledger_entry"]

    def test_no_secrets(self, shop: tuple[str, str], client: TestClient) -> None:
        key, member = shop
        data = client.get(f"/api/v1/members/{member}/personal-data", headers=auth(key)).json()
        card = data["tables"]["card"][0]
        assert "authentication_token" not in card
        assert "public_token" not in card
        assert "serial_number" in card
        text = json.dumps(data)
        assert "token" not in text.replace("update_tag", "")

    def test_admins_only_and_only_their_members(
        self, shop: tuple[str, str], app: FastAPI, client: TestClient
    ) -> None:
        key, member = shop
        reader = new_key(app, key, Role.read)
        path = f"/api/v1/members/{member}/personal-data"
        assert client.get(path, headers=auth(reader)).status_code == 403
        theirs = new_merchant(app, "Other")
        response = client.get(path, headers=auth(theirs))
        assert response.status_code == 404
        assert response.json()["type"] == "member_not_found"
