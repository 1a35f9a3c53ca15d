"""Changes made by people in the console are in the audit log under their email: API keys
made and revoked by an owner."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.api.accounts.conftest import PASSWORD, Shop, _english, shop, sign_in
from tests.support.factories import auth

pytestmark = pytest.mark.db
__all__ = ["_english", "shop"]


def test_console_key_changes_name_the_owner(client: TestClient, shop: Shop) -> None:
    assert sign_in(client, shop.email, PASSWORD) == 303
    made = client.post("/console/account/keys", data={"name": "till 1", "role": "pos"})
    key_ids = re.findall(r'action="/console/account/keys/([0-9a-f-]{36})"', made.text)
    client.post(f"/console/account/keys/{key_ids[-1]}", follow_redirects=False)
    entries = client.get("/api/v1/audit", params={"object_type": "api_key"},
                         headers=auth(shop.key)).json()["items"]  # fmt: skip
    assert [e["action"] for e in entries] == ["key.revoked", "key.created"]
    assert {e["actor_kind"] for e in entries} == {"account"}
    assert {e["actor_label"] for e in entries} == {shop.email}
    assert entries[1]["after"] == {"name": "till 1", "role": "pos"}
