"""Promo codes under concurrency, over real HTTP with 40 requests released together: a unique
code is used once, a shared code with a limit of 5 is used exactly 5 times, and one member
sending one code 40 times gets it once (both databases; PostgreSQL is the one that races)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from api.ledger.models import LedgerEntry
from api.promos.models import PromoCode, PromoRedemption
from api.settings import Settings
from tests.support.burst import Call, at_once, outcomes
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program
from tests.support.server import running_server

pytestmark = pytest.mark.db
REQUESTS = 40


def setup(client: TestClient, app: FastAPI, **promo: Any) -> tuple[str, str, list[str]]:
    """A merchant's key, a promo granting 10 points, and REQUESTS members."""
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)["id"]
    body = {"name": "Race", "grant": "points", "points": 10, **promo}
    created = client.post(f"/api/v1/programs/{program}/promos", json=body, headers=auth(key))
    assert created.status_code == 201, created.text
    members = [
        enrol(client, key, program, phone=f"+7 916 100-{n // 100:02d}-{n % 100:02d}")["id"]
        for n in range(REQUESTS)
    ]
    return key, created.json()["id"], members


def redeem(key: str, member_id: str, code: str) -> Call:
    def call(http: httpx2.Client) -> httpx2.Response:
        return http.post(
            f"/api/v1/members/{member_id}/promo", json={"code": code}, headers=auth(key)
        )

    return call


def promo_bonuses(app: FastAPI, code: str) -> int:
    with Session(app.state.engine) as session:
        query = select(func.count()).where(col(LedgerEntry.reason) == f"promo {code}")
        return int(session.exec(query).one())


def uses(app: FastAPI, promo_id: str) -> tuple[int, int]:
    """The codes' counted uses and the redemption rows of the promo."""
    promo = UUID(promo_id)
    with Session(app.state.engine) as session:
        counted = session.exec(
            select(func.sum(PromoCode.uses)).where(col(PromoCode.promo_id) == promo)
        ).one()
        rows = session.exec(
            select(func.count()).where(col(PromoRedemption.promo_id) == promo)
        ).one()
    return int(counted or 0), int(rows)


def test_a_unique_code_redeemed_by_40_members_at_once_is_used_once(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    key, promo, members = setup(client, app, kind="unique", count=1)
    program = client.get(f"/api/v1/members/{members[0]}", headers=auth(key)).json()["program_id"]
    csv = client.get(f"/api/v1/programs/{program}/promos/{promo}/codes.csv", headers=auth(key))
    code = csv.text.split()[1].split(",")[0]
    with running_server(settings) as base:
        responses = at_once(base, [redeem(key, member, code) for member in members])
    assert outcomes(responses) == {(201, ""): 1, (409, "promo_used_up"): REQUESTS - 1}
    assert uses(app, promo) == (1, 1)
    assert promo_bonuses(app, code) == 1


def test_a_shared_code_with_a_limit_of_5_gives_exactly_5(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    key, promo, members = setup(client, app, kind="shared", code="FIVE", usage_limit=5)
    with running_server(settings) as base:
        responses = at_once(base, [redeem(key, member, "FIVE") for member in members])
    assert outcomes(responses) == {(201, ""): 5, (409, "promo_used_up"): REQUESTS - 5}
    assert uses(app, promo) == (5, 5)
    assert promo_bonuses(app, "FIVE") == 5


def test_one_member_sending_a_code_40_times_at_once_gets_it_once(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    key, promo, members = setup(client, app, kind="shared", code="ONCE")
    with running_server(settings) as base:
        responses = at_once(base, [redeem(key, members[0], "ONCE")] * REQUESTS)
    assert outcomes(responses) == {(201, ""): 1, (200, ""): REQUESTS - 1}
    assert len({r.json()["id"] for r in responses}) == 1
    assert uses(app, promo) == (1, 1)
    assert promo_bonuses(app, "ONCE") == 1
    member = client.get(f"/api/v1/members/{members[0]}", headers=auth(key)).json()
    assert member["balance"] == 10
