"""A staff member's lifecycle: deactivated when they leave (signed out at once), a new PIN or
code (old ones stop working, sessions end), a role, a move, the last sign-in."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.staff.test_scanner import add_store, shop, sign_in
from tests.support.factories import auth, new_merchant

__all__ = ["shop"]  # the fixture, shared with the scanner tests
pytestmark = pytest.mark.db


def staff_url(shop: dict[str, Any]) -> str:
    return f"/api/v1/staff/{shop['staff']['id']}"


def change(client: TestClient, shop: dict[str, Any], **body: Any) -> Any:
    return client.patch(staff_url(shop), json=body, headers=auth(shop["key"]))


def scanner_open(client: TestClient) -> bool:
    response = client.get("/scan", follow_redirects=False)
    return response.status_code == 200 and 'name="pin"' not in response.text


def test_deactivating_signs_the_scanner_out_at_once(
    client: TestClient, shop: dict[str, Any]
) -> None:
    assert sign_in(client, shop["staff"]["code"], "4821").status_code == 303
    assert scanner_open(client)
    response = change(client, shop, is_active=False)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert not scanner_open(client)
    assert sign_in(client, shop["staff"]["code"], "4821").status_code != 303
    assert change(client, shop, is_active=True).json()["is_active"] is True
    assert sign_in(client, shop["staff"]["code"], "4821").status_code == 303


def test_a_new_pin_ends_sessions_and_the_old_pin(client: TestClient, shop: dict[str, Any]) -> None:
    sign_in(client, shop["staff"]["code"], "4821")
    assert change(client, shop, pin="7305").status_code == 200
    assert not scanner_open(client)
    assert sign_in(client, shop["staff"]["code"], "4821").status_code != 303
    assert sign_in(client, shop["staff"]["code"], "7305").status_code == 303
    assert scanner_open(client)


def test_a_new_code_replaces_the_old_one(client: TestClient, shop: dict[str, Any]) -> None:
    changed = change(client, shop, new_code=True).json()
    assert changed["code"] != shop["staff"]["code"]
    assert sign_in(client, shop["staff"]["code"], "4821").status_code != 303
    assert sign_in(client, changed["code"], "4821").status_code == 303


def test_role_store_and_last_sign_in(
    app: FastAPI, client: TestClient, shop: dict[str, Any]
) -> None:
    assert shop["staff"]["role"] == "cashier"
    assert shop["staff"]["last_sign_in_at"] is None
    other_store = add_store(app, shop["key"])
    moved = change(client, shop, role="manager", store_id=other_store, name="Olga P.").json()
    assert (moved["role"], moved["store_id"], moved["name"]) == ("manager", other_store, "Olga P.")
    sign_in(client, shop["staff"]["code"], "4821")
    read = client.get(staff_url(shop), headers=auth(shop["key"])).json()
    assert read["last_sign_in_at"] is not None
    assert "pin" not in read
    assert "pin_hash" not in read


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"pin": "12"}, ["body", "pin"]),
        ({"role": "owner"}, ["body", "role"]),
        ({"name": ""}, ["body", "name"]),
        ({"code": "ABCDEF"}, ["body", "code"]),
    ],
)
def test_bad_changes_name_the_field(
    client: TestClient, shop: dict[str, Any], body: dict[str, Any], location: list[str]
) -> None:
    response = change(client, shop, **body)
    assert response.status_code == 422
    assert [e["location"] for e in response.json()["errors"]] == [location]


def test_another_merchant_cannot_see_or_change_staff(
    app: FastAPI, client: TestClient, shop: dict[str, Any]
) -> None:
    other = new_merchant(app, "Other")
    assert client.get(staff_url(shop), headers=auth(other)).status_code == 404
    response = client.patch(staff_url(shop), json={"is_active": False}, headers=auth(other))
    assert (response.status_code, response.json()["type"]) == (404, "staff_not_found")
    moved = change(client, shop, store_id=add_store(app, other))
    assert (moved.status_code, moved.json()["type"]) == (404, "store_not_found")
