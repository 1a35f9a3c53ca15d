"""Rewards are edited, archived and limited in time; only rewards a member can use are
offered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.members.models import Member
from api.programs.models import Program
from api.rewards import service as reward_service
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, transact

pytestmark = pytest.mark.db


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> dict[str, Any]:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    reward = client.post(
        f"/api/v1/programs/{program['id']}/rewards",
        json={"name": "Tea", "cost_points": 100},
        headers=auth(key),
    ).json()
    member = enrol(client, key, program["id"])
    return {"key": key, "program": program, "reward": reward, "member": member}


def reward_url(shop: dict[str, Any]) -> str:
    return f"/api/v1/programs/{shop['program']['id']}/rewards/{shop['reward']['id']}"


def redeem(client: TestClient, shop: dict[str, Any], expect: int = 201) -> dict[str, Any]:
    return transact(
        client, shop["key"], shop["member"]["id"], expect=expect, kind="redeem_reward",
        reward_id=shop["reward"]["id"],
    )  # fmt: skip


def test_a_reward_is_edited(client: TestClient, shop: dict[str, Any]) -> None:
    response = client.patch(
        reward_url(shop),
        json={"name": "Green tea", "cost_points": 80, "stock": 5, "per_member_limit": 1},
        headers=auth(shop["key"]),
    )
    assert response.status_code == 200, response.text
    read = client.get(reward_url(shop), headers=auth(shop["key"])).json()
    assert (read["name"], read["cost_points"], read["stock"]) == ("Green tea", 80, 5)
    transact(client, shop["key"], shop["member"]["id"], kind="earn", points=200)
    redeem(client, shop)
    assert redeem(client, shop, expect=409)["type"] == "reward_limit_reached"
    cleared = client.patch(
        reward_url(shop), json={"per_member_limit": None}, headers=auth(shop["key"])
    )
    assert cleared.json()["per_member_limit"] is None
    redeem(client, shop)


def test_an_archived_reward_is_not_offered_and_its_coupons_still_work(
    client: TestClient, shop: dict[str, Any]
) -> None:
    transact(client, shop["key"], shop["member"]["id"], kind="earn", points=300)
    coupon = redeem(client, shop)["coupon"]["code"]
    archived = client.patch(reward_url(shop), json={"is_active": False}, headers=auth(shop["key"]))
    assert archived.json()["is_active"] is False
    assert redeem(client, shop, expect=409)["type"] == "reward_not_available"
    used = client.post(f"/api/v1/coupons/{coupon}/use", headers=auth(shop["key"]))
    assert used.status_code == 200, used.text


def test_a_window_limits_when_a_reward_is_redeemed(
    client: TestClient, shop: dict[str, Any]
) -> None:
    transact(client, shop["key"], shop["member"]["id"], kind="earn", points=300)
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    client.patch(reward_url(shop), json={"available_from": later}, headers=auth(shop["key"]))
    refused = redeem(client, shop, expect=409)
    assert (refused["type"], refused["detail"]) == (
        "reward_not_available", "the reward is not available at this time",
    )  # fmt: skip
    earlier = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    bad = client.patch(
        reward_url(shop), json={"available_until": earlier}, headers=auth(shop["key"])
    )
    assert (bad.status_code, bad.json()["type"]) == (422, "reward_invalid")
    assert bad.json()["field"] == "available_until"
    client.patch(reward_url(shop), json={"available_from": None}, headers=auth(shop["key"]))
    redeem(client, shop)


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"cost_points": 0}, ["body", "cost_points"]),
        ({"name": None}, ["body"]),
        ({"available_from": "2027-01-01T00:00:00"}, ["body"]),
        ({"costs_full_card": True}, ["body", "costs_full_card"]),
    ],
)
def test_bad_edits_are_refused(
    client: TestClient, shop: dict[str, Any], body: dict[str, Any], location: list[str]
) -> None:
    response = client.patch(reward_url(shop), json=body, headers=auth(shop["key"]))
    assert response.status_code == 422, response.text
    assert [e["location"] for e in response.json()["errors"]] == [location]


def test_another_merchant_cannot_read_or_edit(
    app: FastAPI, client: TestClient, shop: dict[str, Any]
) -> None:
    other = new_merchant(app, "Other")
    assert client.get(reward_url(shop), headers=auth(other)).status_code == 404
    response = client.patch(reward_url(shop), json={"stock": 0}, headers=auth(other))
    assert (response.status_code, response.json()["type"]) == (404, "reward_not_found")


def test_only_rewards_the_member_can_use_are_offered(
    app: FastAPI, client: TestClient, shop: dict[str, Any]
) -> None:
    key, program = shop["key"], shop["program"]

    def add(**body: Any) -> str:
        created = client.post(
            f"/api/v1/programs/{program['id']}/rewards", json=body, headers=auth(key)
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    add(name="Cookie", cost_points=10)
    add(name="Out of stock", cost_points=10, stock=0)
    add(name="Too dear", cost_points=10_000)
    add(name="Not yet", cost_points=10, available_from="2999-01-01T00:00:00Z")
    once = add(name="Once", cost_points=10, per_member_limit=1)
    archived = add(name="Archived", cost_points=10)
    client.patch(
        f"/api/v1/programs/{program['id']}/rewards/{archived}",
        json={"is_active": False},
        headers=auth(key),
    )
    member_id = shop["member"]["id"]
    transact(client, key, member_id, kind="earn", points=150)
    transact(client, key, member_id, kind="redeem_reward", reward_id=once)
    with Session(app.state.engine) as session:
        member = session.get_one(Member, UUID(member_id))
        found = session.get_one(Program, UUID(program["id"]))
        names = {
            r.name for r in reward_service.offerable(session, member, found, now=datetime.now(UTC))
        }
    assert names == {"Cookie", "Tea"}
