"""The wheel's "at most N" rules under 40 spins at once over real HTTP: the daily and monthly
prize caps across members, and one member's spins (one per qualifying purchase)."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from api.settings import Settings
from api.wheel.models import WheelSpin
from tests.support.burst import at_once, outcomes
from tests.support.factories import auth, enrol, new_merchant, new_program, purchase
from tests.support.server import running_server

pytestmark = pytest.mark.db
SPINS = 40
JSON = {"Accept": "application/json"}
POINTS = {"label": "10 points", "kind": "points", "points": 10, "weight": 1}


def wheel(client: TestClient, key: str, program_id: str, **caps: int) -> None:
    body = {"min_purchase": "300", "prizes": [POINTS, {**POINTS, "label": "10 more"}], **caps}
    response = client.put(f"/api/v1/programs/{program_id}/wheel", json=body, headers=auth(key))
    assert response.status_code == 200, response.text


def spin(token: str) -> Any:
    return lambda http: http.post(f"/cards/{token}/wheel", headers=JSON)


def members_with_a_spin(client: TestClient, key: str, program_id: str) -> list[str]:
    """SPINS members, each with one qualifying purchase; their card tokens."""
    tokens = []
    for i in range(SPINS):
        member = enrol(client, key, program_id, phone=f"+7916300{i:04d}")
        purchase(client, key, member["id"], "500", receipt_id=f"W-{i}")
        tokens.append(member["card_url"].rsplit("/", 1)[1])
    return tokens


def prizes_given(app: FastAPI) -> int:
    query = select(func.count()).where(col(WheelSpin.prize_kind) != "nothing")
    with Session(app.state.engine) as session:
        return int(session.exec(query).one())


def prize_kinds(responses: list[httpx2.Response]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for response in responses:
        assert response.status_code == 200, response.text
        kinds[response.json()["kind"]] = kinds.get(response.json()["kind"], 0) + 1
    return kinds


@pytest.mark.parametrize("cap", ["daily_prize_cap", "monthly_prize_cap"])
def test_a_prize_cap_holds_when_members_spin_at_once(
    app: FastAPI, client: TestClient, settings: Settings, cap: str
) -> None:
    """Every segment is a prize: with cap 3, 40 members spinning at once win exactly 3."""
    key = new_merchant(app)
    program = new_program(client, key)
    wheel(client, key, program["id"], **{cap: 3})
    tokens = members_with_a_spin(client, key, program["id"])
    with running_server(settings) as base:
        responses = at_once(base, [spin(token) for token in tokens])
    assert prize_kinds(responses) == {"points": 3, "nothing": SPINS - 3}
    assert prizes_given(app) == 3


def test_one_member_spins_once_per_purchase_when_spinning_at_once(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    """5 qualifying purchases, 40 spins at once: exactly 5 spins, the rest 409 no_spin_left."""
    key = new_merchant(app)
    program = new_program(client, key)
    wheel(client, key, program["id"])
    member = enrol(client, key, program["id"])
    for i in range(5):
        purchase(client, key, member["id"], "500", receipt_id=f"S-{i}")
    token = member["card_url"].rsplit("/", 1)[1]
    with running_server(settings) as base:
        responses = at_once(base, [spin(token)] * SPINS)
    assert outcomes(responses) == {(200, ""): 5, (409, "no_spin_left"): SPINS - 5}
    assert prizes_given(app) == 5
    balance = client.get(f"/api/v1/members/{member['id']}", headers=auth(key)).json()["balance"]
    assert balance == 5 * 10 + 5 * 25  # five prizes plus what the purchases earned


def test_a_coupon_prize_stops_when_its_reward_s_stock_runs_out(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    """A reward with stock 4 as the only prize: 40 members spinning at once win exactly 4."""
    key = new_merchant(app)
    program = new_program(client, key)
    reward = client.post(
        f"/api/v1/programs/{program['id']}/rewards",
        json={"name": "Cappuccino", "cost_points": 100, "stock": 4},
        headers=auth(key),
    ).json()
    prize = {"label": "Coffee", "kind": "coupon", "reward_id": reward["id"], "weight": 1}
    body = {"min_purchase": "300", "prizes": [prize, {**prize, "label": "Coffee too"}]}
    client.put(f"/api/v1/programs/{program['id']}/wheel", json=body, headers=auth(key))
    tokens = members_with_a_spin(client, key, program["id"])
    with running_server(settings) as base:
        responses = at_once(base, [spin(token) for token in tokens])
    assert prize_kinds(responses) == {"coupon": 4, "nothing": SPINS - 4}
    assert len({r.json()["coupon_code"] for r in responses} - {None}) == 4
    rewards = client.get(f"/api/v1/programs/{program['id']}/rewards", headers=auth(key)).json()[
        "items"
    ]
    assert [r["stock"] for r in rewards] == [0]
