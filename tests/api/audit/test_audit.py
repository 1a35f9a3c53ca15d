"""The audit log: each admin change is recorded with who, from where, before and after; a
refused change leaves nothing; entries outlive their object; only admins read it, paged and
filtered (both databases)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import Session, col

from api.merchants.models import Role
from api.rewards.models import Reward
from tests.support.factories import (
    POINTS_RULES,
    auth,
    enrol,
    new_key,
    new_merchant,
    new_program,
    transact,
)

pytestmark = pytest.mark.db


class Shop:
    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app, self.client = app, client
        self.key = new_merchant(app)
        self.program = new_program(client, self.key, rules=POINTS_RULES)["id"]

    def call(self, method: str, path: str, expect: int, **body: Any) -> Any:
        response = self.client.request(method, path, json=body or None, headers=auth(self.key))
        assert response.status_code == expect, response.text
        return response.json()

    def audit(self, **params: Any) -> list[dict[str, Any]]:
        response = self.client.get("/api/v1/audit", params=params, headers=auth(self.key))
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def entry(self, action: str) -> dict[str, Any]:
        found = self.audit(action=action)
        assert len(found) == 1, found
        return found[0]


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> Shop:
    return Shop(app, client)


class TestRecorded:
    def test_reward_created_and_updated_with_before_and_after(self, shop: Shop) -> None:
        path = f"/api/v1/programs/{shop.program}/rewards"
        reward = shop.call("POST", path, 201, name="Tea", cost_points=50)
        shop.call("PATCH", f"{path}/{reward['id']}", 200, cost_points=80)
        created = shop.entry("reward.created")
        assert created["before"] is None
        assert created["after"]["cost_points"] == 50
        assert created["object_id"] == reward["id"]
        assert created["actor_kind"] == "key"
        assert created["actor_label"].startswith("api_key:")
        assert created["address"] == "testclient"
        updated = shop.entry("reward.updated")
        assert (updated["before"]["cost_points"], updated["after"]["cost_points"]) == (50, 80)

    def test_rules_design_promo_store_staff_key_campaign_adjustment(self, shop: Shop) -> None:
        program = f"/api/v1/programs/{shop.program}"
        shop.call("PATCH", f"{program}/rules", 200, earn={"points": 7})
        shop.call("POST", f"{program}/design/publish", 201)
        promo = shop.call("POST", f"{program}/promos", 201, name="P", kind="shared", code="AB12",
                          grant="points", points=5)  # fmt: skip
        shop.call("PATCH", f"{program}/promos/{promo['id']}", 200, is_active=False)
        store = shop.call("POST", "/api/v1/locations", 201, name="Arbat", latitude=55.7,
                          longitude=37.6)  # fmt: skip
        shop.call("PATCH", f"/api/v1/locations/{store['id']}", 200, name="Tverskaya")
        shop.call("DELETE", f"/api/v1/locations/{store['id']}", 200)
        staff = shop.call("POST", "/api/v1/staff", 201, name="Olga", store_id=store["id"],
                          pin="4821")  # fmt: skip
        key = shop.call("POST", "/api/v1/keys", 201, name="Till", role="pos")
        shop.call("DELETE", f"/api/v1/keys/{key['id']}", 200)
        campaign = shop.call("POST", f"{program}/campaigns", 201, name="Hi", message="Hello")
        shop.call("POST", f"/api/v1/campaigns/{campaign['id']}/cancel", 200)
        member = enrol(shop.client, shop.key, shop.program)["id"]
        transact(shop.client, shop.key, member, kind="adjust", points=10, reason="goodwill")

        rules = shop.entry("rules.changed")
        assert rules["before"]["earn"]["points"] == 5
        assert rules["after"]["earn"]["points"] == 7
        assert shop.entry("design.published")["after"]["version"] == 1
        assert shop.entry("promo.updated")["before"]["is_active"] is True
        assert shop.entry("promo.updated")["after"]["is_active"] is False
        assert shop.entry("store.updated")["before"]["name"] == "Arbat"
        assert shop.entry("store.updated")["after"]["name"] == "Tverskaya"
        assert shop.entry("store.closed")["object_id"] == store["id"]
        assert shop.entry("staff.created")["after"]["name"] == "Olga"
        assert "pin_hash" not in shop.entry("staff.created")["after"]
        assert shop.entry("key.created")["object_id"] == key["id"]
        assert shop.entry("key.revoked")["object_id"] == key["id"]
        assert shop.entry("campaign.created")["after"]["name"] == "Hi"
        assert shop.entry("campaign.cancelled")["object_id"] == campaign["id"]
        adjusted = shop.entry("member.adjusted")
        assert (adjusted["object_id"], adjusted["after"]["points"]) == (member, 10)
        assert {e["action"] for e in shop.audit(object_id=store["id"])} == {
            "store.created", "store.updated", "store.closed",
        }  # fmt: skip
        assert shop.entry("staff.created")["object_id"] == staff["id"]

    def test_a_refused_change_leaves_no_entry(self, shop: Shop) -> None:
        path = f"/api/v1/programs/{shop.program}/rewards"
        reward = shop.call("POST", path, 201, name="Tea", cost_points=50)
        shop.call("PATCH", f"{path}/{reward['id']}", 422, available_from="2030-01-02T00:00:00Z",
                  available_until="2030-01-01T00:00:00Z")  # fmt: skip
        assert shop.audit(action="reward.updated") == []


class TestKept:
    def test_entries_outlive_their_object(self, shop: Shop, app: FastAPI) -> None:
        path = f"/api/v1/programs/{shop.program}/rewards"
        reward = shop.call("POST", path, 201, name="Tea", cost_points=50)
        with Session(app.state.engine) as session, session.begin():
            session.execute(delete(Reward).where(col(Reward.id) == UUID(reward["id"])))
        assert shop.entry("reward.created")["after"]["name"] == "Tea"


class TestReading:
    def test_only_admins_and_only_their_own(self, shop: Shop, app: FastAPI) -> None:
        shop.call("POST", f"/api/v1/programs/{shop.program}/rewards", 201, name="Tea",
                  cost_points=5)  # fmt: skip
        reader = new_key(app, shop.key, Role.read)
        response = shop.client.get("/api/v1/audit", headers=auth(reader))
        assert response.status_code == 403
        theirs = new_merchant(app, "Other")
        response = shop.client.get("/api/v1/audit", headers=auth(theirs))
        assert response.json()["total"] == 0

    def test_newest_first_and_filters(self, shop: Shop) -> None:
        for n in range(3):
            shop.call("POST", "/api/v1/locations", 201, name=f"S{n}", latitude=55.0,
                      longitude=37.0 + n)  # fmt: skip
        names = [e["after"]["name"] for e in shop.audit(object_type="store")]
        assert names == ["S2", "S1", "S0"]
        assert shop.audit(object_type="reward") == []
        assert len(shop.audit(since="2000-01-01T00:00:00Z", limit=2)) == 2
        assert shop.audit(until="2000-01-01T00:00:00Z") == []
