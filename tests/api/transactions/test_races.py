"""Redemptions' "at most N" rules under 40 requests at once over real HTTP: a reward's limit per
member, what one member's balance pays for, and a reward's stock across members."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.settings import Settings
from tests.support.burst import at_once, outcomes
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, transact
from tests.support.server import running_server

pytestmark = pytest.mark.db
REQUESTS = 40


def new_reward(client: TestClient, key: str, program_id: str, **body: Any) -> str:
    response = client.post(
        f"/api/v1/programs/{program_id}/rewards",
        json={"name": "Cappuccino", "cost_points": 100, **body},
        headers=auth(key),
    )
    assert response.status_code == 201, response.text
    reward_id: str = response.json()["id"]
    return reward_id


def redeem(key: str, member_id: str, reward_id: str) -> Any:
    body = {"kind": "redeem_reward", "reward_id": reward_id}
    return lambda http: http.post(
        f"/api/v1/members/{member_id}/transactions", json=body, headers=auth(key)
    )


def member_state(client: TestClient, key: str, member_id: str) -> tuple[int, int]:
    """(balance, coupons)"""
    balance = client.get(f"/api/v1/members/{member_id}", headers=auth(key)).json()["balance"]
    coupons = client.get(f"/api/v1/members/{member_id}/coupons", headers=auth(key)).json()
    return balance, coupons["total"]


def test_the_per_member_limit_holds_when_one_member_redeems_at_once(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    reward = new_reward(client, key, program["id"], per_member_limit=3)
    member = enrol(client, key, program["id"])["id"]
    transact(client, key, member, kind="earn", points=10_000)
    with running_server(settings) as base:
        responses = at_once(base, [redeem(key, member, reward)] * REQUESTS)
    assert outcomes(responses) == {(201, ""): 3, (409, "reward_limit_reached"): REQUESTS - 3}
    assert member_state(client, key, member) == (10_000 - 3 * 100, 3)


def test_the_balance_pays_for_exactly_what_it_holds_when_redeeming_at_once(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    reward = new_reward(client, key, program["id"])
    member = enrol(client, key, program["id"])["id"]
    transact(client, key, member, kind="earn", points=500)
    with running_server(settings) as base:
        responses = at_once(base, [redeem(key, member, reward)] * REQUESTS)
    assert outcomes(responses) == {(201, ""): 5, (409, "insufficient_balance"): REQUESTS - 5}
    assert member_state(client, key, member) == (0, 5)


def test_a_reward_s_stock_holds_when_members_redeem_at_once(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    """Stock 5, 40 members redeem at once: exactly 5 coupons, the rest 409, stock ends at 0."""
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    reward = new_reward(client, key, program["id"], stock=5)
    members = []
    for i in range(REQUESTS):
        members.append(enrol(client, key, program["id"], phone=f"+7916400{i:04d}")["id"])
        transact(client, key, members[-1], kind="earn", points=100)
    with running_server(settings) as base:
        responses = at_once(base, [redeem(key, member, reward) for member in members])
    assert outcomes(responses) == {(201, ""): 5, (409, "reward_out_of_stock"): REQUESTS - 5}
    states = [member_state(client, key, member) for member in members]
    assert sorted(states) == [(0, 1)] * 5 + [(100, 0)] * (REQUESTS - 5)
    rewards = client.get(f"/api/v1/programs/{program['id']}/rewards", headers=auth(key)).json()[
        "items"
    ]
    assert [r["stock"] for r in rewards] == [0]
