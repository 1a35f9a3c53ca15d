"""Exact under concurrency over real HTTP: a surprise budget that allows exactly k surprises
among 40 purchases at once, and 40 triggers of an action capped at one a day."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.ledger.models import LedgerEntry
from api.settings import Settings
from api.transactions.models import SurpriseBudget
from api.transactions.surprise import get_draw
from tests.api.transactions.test_ledger import reconcile
from tests.support.burst import Call, at_once, outcomes
from tests.support.factories import auth, enrol, new_merchant, new_program
from tests.support.server import running_server

pytestmark = pytest.mark.db
REQUESTS = 40
SURPRISES = 7


def test_40_purchases_at_once_get_exactly_the_surprises_the_budget_allows(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    key = new_merchant(app)
    surprise = {"share_percent": "100", "points": 25, "budget_points": 25 * SURPRISES + 24}
    rules = {
        "currency": "RUB",
        "earn": {"points": 5, "per_amount": "100"},
        "bonuses": {"surprise": surprise},
    }
    program = new_program(client, key, rules=rules)["id"]
    members = [
        enrol(client, key, program, name=f"Guest {n}", phone=f"+7916555{n:04d}")["id"]
        for n in range(REQUESTS)
    ]

    def buy(member: str) -> Call:
        body = {"kind": "purchase", "amount": "100", "currency": "RUB", "receipt_id": member}
        return lambda http: http.post(
            f"/api/v1/members/{member}/transactions", json=body, headers=auth(key)
        )

    calls = [buy(member) for member in members]
    with running_server(settings, overrides={get_draw: lambda: lambda: 0.0}) as base:
        responses = at_once(base, calls)
    assert outcomes(responses) == {(201, ""): REQUESTS}
    with Session(app.state.engine) as session:
        surprised = session.exec(
            select(LedgerEntry).where(
                col(LedgerEntry.member_id).in_([UUID(m) for m in members]),
                LedgerEntry.reason == "surprise",
            )
        ).all()
        budget = session.exec(
            select(SurpriseBudget).where(col(SurpriseBudget.program_id) == UUID(program))
        ).one()
    assert len(surprised) == SURPRISES
    assert (budget.spent_points, budget.surprises) == (25 * SURPRISES, SURPRISES)
    noted = Counter("surprise: 25 points" in r.json()["notes"] for r in responses)
    assert noted[True] == SURPRISES
    for member in members[:5]:
        reconcile(client, key, member)


def test_40_triggers_at_once_against_a_cap_of_one_a_day_earn_once(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    key = new_merchant(app)
    program = new_program(client, key)["id"]
    member = enrol(client, key, program)["id"]
    response = client.post(
        f"/api/v1/programs/{program}/actions",
        json={"kind": "share", "points": 10, "cap": 1, "period": "day"},
        headers=auth(key),
    )
    assert response.status_code == 201, response.text

    def share(reference: str) -> Call:
        body = {"kind": "share", "reference": reference}
        return lambda http: http.post(
            f"/api/v1/members/{member}/actions", json=body, headers=auth(key)
        )

    calls = [share(f"post-{n}") for n in range(REQUESTS)]
    with running_server(settings) as base:
        responses = at_once(base, calls)
    assert outcomes(responses) == {(201, ""): REQUESTS}
    assert Counter(r.json()["points"] for r in responses) == {10: 1, 0: REQUESTS - 1}
    moves = reconcile(client, key, member)
    assert [m["amount"] for m in moves] == [10]


def test_40_feedback_forms_at_once_for_one_purchase_earn_once(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    key = new_merchant(app)
    program = new_program(client, key)["id"]
    response = client.post(
        f"/api/v1/programs/{program}/actions",
        json={"kind": "feedback", "points": 30},
        headers=auth(key),
    )
    assert response.status_code == 201, response.text
    member = enrol(client, key, program)
    bought = client.post(
        f"/api/v1/members/{member['id']}/transactions",
        json={"kind": "purchase", "amount": "500", "currency": "RUB"},
        headers=auth(key),
    ).json()["transaction"]["id"]
    path = "/cards/" + member["card_url"].rsplit("/", 1)[1] + "/feedback"
    form = {"transaction_id": bought, "rating": "5"}
    with running_server(settings) as base:
        responses = at_once(base, [lambda http: http.post(path, data=form)] * REQUESTS)
    places = Counter(r.headers["location"].split("?")[1].split("#")[0] for r in responses)
    assert places == {"feedback=thanks": 1, "feedback=taken": REQUESTS - 1}
    listed = client.get(f"/api/v1/programs/{program}/feedback", headers=auth(key)).json()
    assert [f["points"] for f in listed["items"]] == [30]
    bonuses = [m for m in reconcile(client, key, member["id"]) if m["kind"] == "bonus"]
    assert [m["amount"] for m in bonuses] == [30]
