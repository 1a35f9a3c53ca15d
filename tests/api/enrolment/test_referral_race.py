"""Bonuses paid once, under 40 requests at once over real HTTP: the referral bonuses of a first
purchase (once per referred member, to both sides) and the welcome bonus (once per member)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.settings import Settings
from tests.support.burst import at_once, outcomes
from tests.support.factories import auth, enrol, new_merchant, new_program
from tests.support.server import running_server

pytestmark = pytest.mark.db
REQUESTS = 40
RULES = {
    "currency": "RUB",
    "earn": {"points": 1, "per_amount": "100"},
    "bonuses": {"welcome_points": 7, "referrer_points": 100, "referee_points": 50},
}


def buy(key: str, member_id: str, receipt: str) -> Any:
    body = {"kind": "purchase", "amount": "100", "currency": "RUB", "receipt_id": receipt}
    return lambda http: http.post(
        f"/api/v1/members/{member_id}/transactions", json=body, headers=auth(key)
    )


def balance(client: TestClient, key: str, member_id: str) -> int:
    value: int = client.get(f"/api/v1/members/{member_id}", headers=auth(key)).json()["balance"]
    return value


def test_a_referred_member_buying_40_times_at_once_pays_the_referral_once(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=RULES)
    referrer = enrol(client, key, program["id"], phone="+79161000000")
    code = referrer["referral_code"]
    referee = enrol(client, key, program["id"], phone="+79161000001", referral_code=code)
    with running_server(settings) as base:
        responses = at_once(base, [buy(key, referee["id"], f"R-{i}") for i in range(REQUESTS)])
    assert outcomes(responses) == {(201, ""): REQUESTS}
    assert balance(client, key, referee["id"]) == 7 + 50 + REQUESTS * 1
    assert balance(client, key, referrer["id"]) == 7 + 100


def test_40_referred_members_buying_at_once_each_pay_the_referrer_once(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=RULES)
    referrer = enrol(client, key, program["id"], phone="+79162000000")
    code = referrer["referral_code"]
    referees = [
        enrol(client, key, program["id"], phone=f"+7916200{i:04d}", referral_code=code)["id"]
        for i in range(1, REQUESTS + 1)
    ]
    with running_server(settings) as base:
        calls = [buy(key, member, f"F-{i}") for i, member in enumerate(referees)]
        responses = at_once(base, calls + [buy(key, m, f"G-{i}") for i, m in enumerate(referees)])
    assert outcomes(responses) == {(201, ""): 2 * REQUESTS}
    assert {balance(client, key, member) for member in referees} == {7 + 50 + 2}
    assert balance(client, key, referrer["id"]) == 7 + REQUESTS * 100


def test_40_enrolments_of_one_phone_at_once_give_one_member_one_welcome_bonus(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=RULES)
    body = {"name": "Anna Petrova", "phone": "+7 916 300-00-00"}

    def join(http: Any) -> Any:
        return http.post(f"/api/v1/programs/{program['id']}/members", json=body, headers=auth(key))

    with running_server(settings) as base:
        responses = at_once(base, [join] * REQUESTS)
    assert outcomes(responses) == {(201, ""): 1, (200, ""): REQUESTS - 1}
    assert len({r.json()["id"] for r in responses}) == 1
    assert balance(client, key, responses[0].json()["id"]) == 7
    page = client.get(
        f"/api/v1/members/{responses[0].json()['id']}/transactions", headers=auth(key)
    ).json()
    assert page["total"] == 1
