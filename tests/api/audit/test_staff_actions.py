"""Staff actions at the scanner are in the audit log under the staff member's name, once per
submitted form (a resubmitted form is a replay, not a second action)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.staff.test_scanner import shop, sign_in
from tests.support.factories import auth

pytestmark = pytest.mark.db
__all__ = ["shop"]


def test_a_purchase_at_the_till_is_audited_once(client: TestClient, shop: dict[str, Any]) -> None:
    assert sign_in(client, shop["staff"]["code"], "4821").status_code == 303
    serial = shop["member"]["serial_number"]
    form = {"action": "purchase", "amount": "350", "nonce": "n-1"}
    assert client.post(f"/scan/cards/{serial}", data=form).status_code == 200
    assert client.post(f"/scan/cards/{serial}", data=form).status_code == 200
    response = client.get("/api/v1/audit", params={"action": "staff.purchase"},
                          headers=auth(shop["key"]))  # fmt: skip
    [entry] = response.json()["items"]
    assert entry["actor_kind"] == "staff"
    assert entry["actor_id"] == shop["staff"]["id"]
    assert entry["actor_label"] == "Olga"
    assert entry["object_id"] == shop["member"]["id"]
    assert entry["after"]["amount"] == "350"
