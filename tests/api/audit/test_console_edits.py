"""The console's own edits are in the audit log exactly as the API's are, with the signed-in
person as the actor: rewards, promos, campaigns and rules changed through the pages (the
audit call lives in each domain's service, which both the routes and the pages call)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.accounts.conftest import PASSWORD, Shop, _english, shop, sign_in
from tests.support.factories import auth, enrol, new_program

pytestmark = pytest.mark.db
__all__ = ["_english", "shop"]


def entries(client: TestClient, shop: Shop, action: str) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/audit", params={"action": action}, headers=auth(shop.key))
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def by_the_owner(found: list[dict[str, Any]], shop: Shop) -> dict[str, Any]:
    assert len(found) == 1, found
    assert (found[0]["actor_kind"], found[0]["actor_label"]) == ("account", shop.email)
    return found[0]


@pytest.fixture
def program(client: TestClient, shop: Shop) -> dict[str, Any]:
    program = new_program(client, shop.key)
    assert sign_in(client, shop.email, PASSWORD) == 303
    return program


class TestConsoleEditsAreAudited:
    def test_a_reward_added_on_the_program_page(
        self, client: TestClient, shop: Shop, program: dict[str, Any]
    ) -> None:
        form = {"action": "reward", "name": "Free latte", "cost": "50"}
        page = client.post(f"/console/programs/{program['id']}", data=form)
        assert page.status_code == 200, page.text
        entry = by_the_owner(entries(client, shop, "reward.created"), shop)
        assert entry["before"] is None
        assert (entry["after"]["name"], entry["after"]["cost_points"]) == ("Free latte", 50)

    def test_a_promo_created_on_the_promos_page(
        self, client: TestClient, shop: Shop, program: dict[str, Any]
    ) -> None:
        form = {"program": program["id"], "name": "Summer", "kind": "shared",
                "code": "SUMMER25", "usage_limit": "10", "per_member_limit": "1",
                "grant": "points", "points": "100"}  # fmt: skip
        page = client.post("/console/promos", data=form)
        assert page.status_code == 200, page.text
        entry = by_the_owner(entries(client, shop, "promo.created"), shop)
        assert (entry["after"]["name"], entry["after"]["points"]) == ("Summer", 100)

    def test_a_campaign_sent_from_the_campaigns_page(
        self, client: TestClient, shop: Shop, program: dict[str, Any]
    ) -> None:
        enrol(client, shop.key, program["id"])
        form = {"action": "send", "program": program["id"], "name": "Autumn",
                "message": "New autumn menu!", "channels": "wallet"}  # fmt: skip
        page = client.post("/console/campaigns", data=form)
        assert page.status_code in (200, 303), page.text
        entry = by_the_owner(entries(client, shop, "campaign.created"), shop)
        assert (entry["after"]["name"], entry["after"]["message"]) == ("Autumn", "New autumn menu!")

    def test_rules_saved_on_the_program_page_keep_before_and_after(
        self, client: TestClient, shop: Shop, program: dict[str, Any]
    ) -> None:
        rules = client.get(f"/api/v1/programs/{program['id']}", headers=auth(shop.key)).json()
        document = dict(rules["rules"])
        document["earn"] = {**document["earn"], "points": 7}
        page = client.post(f"/console/programs/{program['id']}",
                           data={"action": "rules", "rules": json.dumps(document)})  # fmt: skip
        assert page.status_code == 200, page.text
        entry = by_the_owner(entries(client, shop, "rules.changed"), shop)
        assert entry["before"]["earn"]["points"] != 7
        assert entry["after"]["earn"]["points"] == 7

    def test_the_api_still_records_its_own_edits_once(
        self, client: TestClient, shop: Shop, program: dict[str, Any]
    ) -> None:
        body = {"name": "Cake", "cost_points": 30}
        made = client.post(
            f"/api/v1/programs/{program['id']}/rewards", json=body, headers=auth(shop.key)
        )
        assert made.status_code == 201
        client.patch(f"/api/v1/programs/{program['id']}/rewards/{made.json()['id']}",
                     json={"cost_points": 40}, headers=auth(shop.key))  # fmt: skip
        (created,) = entries(client, shop, "reward.created")
        (updated,) = entries(client, shop, "reward.updated")
        assert created["actor_kind"] == "key"
        assert (updated["before"]["cost_points"], updated["after"]["cost_points"]) == (30, 40)


def test_a_store_csv_import_is_audited(client: TestClient, shop: Shop) -> None:
    csv = "name,latitude,longitude\nArbat,55.7522,37.5929\nTverskaya,55.7650,37.6050\n"
    answer = client.post("/api/v1/locations/import", content=csv.encode(),
                         headers={**auth(shop.key), "Content-Type": "text/csv"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    (entry,) = entries(client, shop, "stores.imported")
    assert entry["actor_kind"] == "key"
    assert entry["after"] == answer.json()
