"""Rewards, coupons, welcome and referral bonuses, keys."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.factories import (
    POINTS_RULES,
    auth,
    enrol,
    new_merchant,
    new_program,
    purchase,
    transact,
)


def reward(client: TestClient, key: str, program_id: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/programs/{program_id}/rewards", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


class TestRewards:
    def test_points_reward_issues_a_coupon_used_once(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        member = enrol(client, key, program["id"])["id"]
        cappuccino = reward(client, key, program["id"], name="Cappuccino", cost_points=100)
        transact(client, key, member, kind="earn", points=150)
        result = transact(client, key, member, kind="redeem_reward", reward_id=cappuccino["id"])
        assert result["balance"] == 50
        code = result["coupon"]["code"]
        assert len(code) == 10
        used = client.post(f"/api/v1/coupons/{code.lower()}/use", headers=auth(key))
        assert used.status_code == 200
        assert used.json()["used_at"] is not None
        again = client.post(f"/api/v1/coupons/{code}/use", headers=auth(key))
        assert again.status_code == 409
        assert again.json()["type"] == "coupon_already_used"
        coupons = client.get(f"/api/v1/members/{member}/coupons", headers=auth(key)).json()
        assert [c["code"] for c in coupons["items"]] == [code]

    def test_not_enough_points(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        member = enrol(client, key, program["id"])["id"]
        cake = reward(client, key, program["id"], name="Cake", cost_points=100)
        result = transact(
            client, key, member, kind="redeem_reward", reward_id=cake["id"], expect=409
        )
        assert result["type"] == "insufficient_balance"

    def test_full_stamp_card_reward_and_per_member_limit(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key, kind="stamps", stamps_required=3, design="coffee")
        member = enrol(client, key, program["id"])["id"]
        free = reward(
            client, key, program["id"], name="Free coffee", costs_full_card=True, per_member_limit=1
        )
        for _ in range(6):
            purchase(client, key, member, "150")
        # the coffee design's default allows 3 stamps a day
        assert transact(client, key, member, kind="earn", stamps=3)["stamps"] == 6
        result = transact(client, key, member, kind="redeem_reward", reward_id=free["id"])
        assert result["stamps"] == 3
        limited = transact(
            client, key, member, kind="redeem_reward", reward_id=free["id"], expect=409
        )
        assert limited["type"] == "reward_limit_reached"

    def test_full_card_reward_needs_a_stamps_program(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        response = client.post(
            f"/api/v1/programs/{program['id']}/rewards",
            json={"name": "X", "costs_full_card": True},
            headers=auth(key),
        )
        assert response.status_code == 422
        assert response.json()["type"] == "reward_needs_stamps"

    def test_reward_of_another_program(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        first = new_program(client, key, rules=POINTS_RULES)
        second = new_program(client, key, rules=POINTS_RULES)
        member = enrol(client, key, first["id"])["id"]
        other = reward(client, key, second["id"], name="Elsewhere", cost_points=1)
        result = transact(
            client, key, member, kind="redeem_reward", reward_id=other["id"], expect=404
        )
        assert result["type"] == "reward_not_found"


class TestBonuses:
    def test_welcome_bonus_from_the_design_defaults(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key, design="florist")
        assert program["rules"]["bonuses"]["welcome_points"] == 100
        member = enrol(client, key, program["id"])
        assert member["balance"] == 100
        detail = client.get(f"/api/v1/members/{member['id']}", headers=auth(key)).json()
        assert detail["points_expiring"] == 100
        assert detail["points_expire_at"] is not None
        archive = zipfile.ZipFile(io.BytesIO(client.get(member["apple_pass_url"]).content))
        back = json.loads(archive.read("pass.json"))["storeCard"]["backFields"]
        expiring = next(f for f in back if f["key"] == "expiring")
        day = detail["points_expire_at"][:10]
        assert expiring["value"] == f"100 points expire on {day}"

    def test_referral_rewards_both_on_the_first_purchase_only(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        rules = {**POINTS_RULES, "bonuses": {"referrer_points": 30, "referee_points": 20}}
        program = new_program(client, key, rules=rules)
        anna = enrol(client, key, program["id"], name="Anna", phone="+79160000001")
        boris = enrol(
            client, key, program["id"], name="Boris", phone="+79160000002",
            referral_code=anna["referral_code"].lower(),
        )  # fmt: skip
        assert boris["balance"] == 0
        first = purchase(client, key, boris["id"], "100")
        assert first["balance"] == 25  # 5 earned + 20 referee bonus
        purchase(client, key, boris["id"], "100")
        anna_now = client.get(f"/api/v1/members/{anna['id']}", headers=auth(key)).json()
        assert anna_now["balance"] == 30

    def test_unknown_referral_code(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        response = client.post(
            f"/api/v1/programs/{program['id']}/members",
            json={"name": "Eve", "phone": "+79160000003", "referral_code": "NOPE1234"},
            headers=auth(key),
        )
        assert response.status_code == 422
        assert response.json()["type"] == "unknown_referral_code"


class TestTiersOverTheApi:
    def test_upgrade_gives_discount_and_multiplier(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        rules = {
            **POINTS_RULES,
            "tiers": {
                "metric": "spend",
                "levels": [
                    {"name": "Silver", "threshold": "1000", "discount_percent": 3},
                    {"name": "Gold", "threshold": "3000", "discount_percent": 5,
                     "earn_multiplier": "2"},
                ],
            },
        }  # fmt: skip
        program = new_program(client, key, rules=rules)
        member = enrol(client, key, program["id"])["id"]
        first = purchase(client, key, member, "1000")
        assert (first["tier"], first["discount_percent"]) == ("Silver", 3)
        second = purchase(client, key, member, "2000")
        assert second["tier"] == "Gold"
        assert "tier is now Gold" in second["notes"]
        third = purchase(client, key, member, "1000")
        assert third["transaction"]["points_earned"] == 100  # doubled at Gold

    def test_rules_can_be_replaced(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        rules = client.get(f"/api/v1/programs/{program['id']}/rules", headers=auth(key))
        document = {**rules.json()["rules"], "earn": {"points": 10, "per_amount": "100"}}
        response = client.put(
            f"/api/v1/programs/{program['id']}/rules", json=document, headers=auth(key)
        )
        assert response.status_code == 200, response.text
        member = enrol(client, key, program["id"])["id"]
        assert purchase(client, key, member, "100")["balance"] == 10
        bad = client.put(
            f"/api/v1/programs/{program['id']}/rules",
            json={**document, "expiry": {"policy": "days"}},
            headers=auth(key),
        )
        assert bad.status_code == 422


class TestKeys:
    def test_create_list_revoke(self, app: FastAPI, client: TestClient) -> None:
        admin = new_merchant(app)
        created = client.post(
            "/api/v1/keys", json={"name": "Till 1", "role": "pos"}, headers=auth(admin)
        ).json()
        pos = created["api_key"]
        assert client.get("/api/v1/programs", headers=auth(pos)).status_code == 200
        listed = client.get("/api/v1/keys", headers=auth(admin)).json()["items"]
        assert {k["name"] for k in listed} == {"initial admin key", "Till 1"}
        assert all("api_key" not in k and "secret_hash" not in k for k in listed)
        assert client.get("/api/v1/keys", headers=auth(pos)).status_code == 403
        client.delete(f"/api/v1/keys/{created['id']}", headers=auth(admin))
        revoked = client.get("/api/v1/programs", headers=auth(pos))
        assert revoked.status_code == 401
        assert "revoked" in revoked.json()["detail"]
