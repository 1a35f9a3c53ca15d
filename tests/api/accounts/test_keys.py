"""API keys from the console: an owner makes one (shown once, it works on the API) and
revokes it; a manager cannot see or make keys."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.accounts import service as account_service
from api.accounts.models import AccountRole
from tests.api.accounts.conftest import PASSWORD, Shop, sign_in
from tests.support.factories import auth

pytestmark = pytest.mark.db


def test_an_owner_makes_and_revokes_a_key(client: TestClient, shop: Shop) -> None:
    assert sign_in(client, shop.email, PASSWORD) == 303
    made = client.post("/console/account/keys", data={"name": "till 1", "role": "pos"})
    assert made.status_code == 200
    found = re.search(r'id="new-key">[^<]*<code>([^<]+)</code>', made.text)
    assert found is not None
    secret = found.group(1)
    assert client.get("/api/v1/programs", headers=auth(secret)).status_code == 200
    key_ids = re.findall(r'action="/console/account/keys/([0-9a-f-]{36})"', made.text)
    assert len(key_ids) == 2  # the merchant's first admin key and the new one
    revoked = client.post(f"/console/account/keys/{key_ids[-1]}", follow_redirects=False)
    assert revoked.status_code == 303
    assert client.get("/api/v1/programs", headers=auth(secret)).status_code == 401
    bad = client.post("/console/account/keys", data={"name": "", "role": "god"})
    assert bad.status_code == 422


def test_a_manager_cannot_make_keys(app: FastAPI, client: TestClient, shop: Shop) -> None:
    with Session(app.state.engine) as session, session.begin():
        account_service.create_account(
            session, shop.merchant_id, email="max@example.com", password=PASSWORD,
            role=AccountRole.manager,
        )  # fmt: skip
    assert sign_in(client, "max@example.com", PASSWORD) == 303
    assert client.get("/console/account/keys").status_code == 403
    made = client.post("/console/account/keys", data={"name": "mine", "role": "admin"})
    assert made.status_code == 403
    assert "new-key" not in made.text
