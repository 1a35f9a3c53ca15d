"""A coupon is used once, also when 40 tills send it at the same moment over real HTTP: a
coupon bought with points and one won on the wheel."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.rewards.models import Coupon
from api.settings import Settings
from tests.support.burst import at_once, outcomes
from tests.support.factories import (
    POINTS_RULES,
    auth,
    enrol,
    new_merchant,
    new_program,
    purchase,
    transact,
)
from tests.support.server import running_server

pytestmark = pytest.mark.db
REQUESTS = 40


def redeemed_coupon(client: TestClient, key: str, program_id: str, reward_id: str) -> str:
    member = enrol(client, key, program_id)["id"]
    transact(client, key, member, kind="earn", points=100)
    result = transact(client, key, member, kind="redeem_reward", reward_id=reward_id)
    code: str = result["coupon"]["code"]
    return code


def won_coupon(client: TestClient, key: str, program_id: str, reward_id: str) -> str:
    prize = {"label": "Coffee", "kind": "coupon", "reward_id": reward_id, "weight": 1}
    body = {"min_purchase": "300", "prizes": [prize, {**prize, "label": "Coffee too"}]}
    response = client.put(f"/api/v1/programs/{program_id}/wheel", json=body, headers=auth(key))
    assert response.status_code == 200, response.text
    member = enrol(client, key, program_id)
    purchase(client, key, member["id"], "500")
    token = member["card_url"].rsplit("/", 1)[1]
    spin = client.post(f"/cards/{token}/wheel", headers={"Accept": "application/json"})
    code: str = spin.json()["coupon_code"]
    return code


@pytest.mark.parametrize("issue", [redeemed_coupon, won_coupon], ids=["redeemed", "won"])
def test_a_coupon_sent_by_40_tills_at_once_is_used_once(
    app: FastAPI, client: TestClient, settings: Settings, issue: Any
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    reward = client.post(
        f"/api/v1/programs/{program['id']}/rewards",
        json={"name": "Cappuccino", "cost_points": 100},
        headers=auth(key),
    ).json()["id"]
    code = issue(client, key, program["id"], reward)
    with running_server(settings) as base:
        responses = at_once(
            base,
            [lambda http: http.post(f"/api/v1/coupons/{code}/use", headers=auth(key))] * REQUESTS,
        )
    assert outcomes(responses) == {(200, ""): 1, (409, "coupon_already_used"): REQUESTS - 1}
    with Session(app.state.engine) as session:
        used = session.exec(select(Coupon).where(col(Coupon.used_at).is_not(None))).all()
    assert [c.code for c in used] == [code]
