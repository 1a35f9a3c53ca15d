"""A draft of the rules replayed over the program's real purchases, beside the live rules:
exact numbers for known purchases, nothing written, tenancy and validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, update

from api.ledger.models import Transaction
from api.mechanics.simulation import read_only_session
from tests.support.factories import COMPLETE_RULES, auth, enrol, new_merchant, new_program, purchase

pytestmark = pytest.mark.db

LIVE = {**COMPLETE_RULES, "earn": {"points": 5, "per_amount": "100"}}
DRAFT = {
    **COMPLETE_RULES,
    "earn": {"points": 10, "per_amount": "100"},
    "tiers": {
        "metric": "spend",
        "levels": [{"name": "Gold", "threshold": "1000", "earn_multiplier": "2"}],
    },
}


def simulate_url(program: dict[str, Any]) -> str:
    return f"/api/v1/programs/{program['id']}/rules/simulate"


def backdate(app: FastAPI, transaction_id: str, days: int) -> None:
    with Session(app.state.engine) as session, session.begin():
        at = datetime.now(UTC) - timedelta(days=days)
        query = update(Transaction).where(Transaction.id == UUID(transaction_id))  # type: ignore[arg-type]
        session.execute(query.values(created_at=at))


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> tuple[str, dict[str, Any]]:
    """Anna buys 600, 600 and 100; Boris buys 400 and gets 200 back; Clara bought 1000
    a hundred days ago (outside a 30-day window). A reward costs 100 points."""
    key = new_merchant(app)
    program = new_program(client, key, rules=LIVE)
    anna = enrol(client, key, program["id"], name="Anna", phone="+79160000001")
    boris = enrol(client, key, program["id"], name="Boris", phone="+79160000002")
    clara = enrol(client, key, program["id"], name="Clara", phone="+79160000003")
    for amount in ("600", "600", "100"):
        purchase(client, key, anna["id"], amount)
    bought = purchase(client, key, boris["id"], "400")
    client.post(
        f"/api/v1/transactions/{bought['transaction']['id']}/refund",
        json={"amount": "200"},
        headers=auth(key),
    ).raise_for_status()
    old = purchase(client, key, clara["id"], "1000")
    backdate(app, old["transaction"]["id"], days=100)
    reward = {"name": "Coffee", "cost_points": 100}
    client.post(
        f"/api/v1/programs/{program['id']}/rewards", json=reward, headers=auth(key)
    ).raise_for_status()
    return key, program


def simulate(client: TestClient, key: str, program: dict[str, Any], **body: Any) -> Any:
    response = client.post(simulate_url(program), json={"rules": DRAFT, **body}, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


class TestKnownPurchases:
    def test_draft_and_live_side_by_side(
        self, client: TestClient, shop: tuple[str, dict[str, Any]]
    ) -> None:
        key, program = shop
        result = simulate(client, key, program, days=30)
        assert (result["purchases"], result["members"], result["revenue"]) == (4, 2, "1500.00")
        assert result["unit"] == "points"
        live, draft = result["live"], result["draft"]
        # live: 5 per 100 -> 30 + 30 + 5 for Anna, 10 for Boris's net 200 (as really earned)
        assert live["issued"] == 75
        # draft: 10 per 100; Anna reaches Gold (1000 spent) with her second purchase, so
        # her third earns double: 60 + 60 + 20; Boris 20
        assert draft["issued"] == 160
        # liability: what members hold now (Anna 65, Boris 10, Clara 50), window replaced
        assert live["liability"] == 125
        assert draft["liability"] == 210
        assert (live["cost"], live["cost_percent"]) == ("75.00", "5.00")
        assert (draft["cost"], draft["cost_percent"]) == ("160.00", "10.67")
        assert live["tiers"] == [{"tier": None, "members": 2}]
        assert draft["tiers"] == [{"tier": None, "members": 1}, {"tier": "Gold", "members": 1}]
        assert [(r["name"], r["members"]) for r in live["rewards"]] == [("Coffee", 0)]
        assert [(r["name"], r["members"]) for r in draft["rewards"]] == [("Coffee", 1)]
        assert result["members_affected"] == 2

    def test_a_longer_window_includes_older_purchases_and_a_point_value(
        self, client: TestClient, shop: tuple[str, dict[str, Any]]
    ) -> None:
        key, program = shop
        result = simulate(client, key, program, days=365, point_value="0.5")
        assert (result["purchases"], result["revenue"]) == (5, "2500.00")
        assert result["live"]["issued"] == 125  # Clara's 50 too
        assert result["draft"]["issued"] == 260  # Clara reaches Gold with her only purchase
        assert result["live"]["cost"] == "62.50"
        assert result["draft"]["tiers"] == [
            {"tier": None, "members": 1},
            {"tier": "Gold", "members": 2},
        ]

    def test_the_live_rules_as_a_draft_change_nothing(
        self, client: TestClient, shop: tuple[str, dict[str, Any]]
    ) -> None:
        key, program = shop
        result = simulate(client, key, program, days=30, rules=LIVE)
        assert result["live"] == result["draft"]
        assert result["members_affected"] == 0


class TestReadOnly:
    def test_nothing_is_written(
        self, app: FastAPI, client: TestClient, shop: tuple[str, dict[str, Any]]
    ) -> None:
        key, program = shop

        def counts() -> dict[str, int]:
            with Session(app.state.engine) as session:
                return {
                    table.name: session.execute(
                        sqlalchemy.select(sqlalchemy.func.count()).select_from(table)
                    ).scalar_one()
                    for table in SQLModel.metadata.sorted_tables
                }

        before = counts()
        rules = client.get(f"/api/v1/programs/{program['id']}/rules", headers=auth(key)).json()
        simulate(client, key, program, days=730)
        assert counts() == before
        after = client.get(f"/api/v1/programs/{program['id']}/rules", headers=auth(key)).json()
        assert after == rules

    def test_the_session_refuses_writes_on_postgresql(self, app: FastAPI) -> None:
        engine = app.state.engine
        if engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no read-only transactions")
        with pytest.raises(DBAPIError, match="read-only"), read_only_session(engine) as session:
            session.execute(sqlalchemy.text("UPDATE merchant SET name = name"))


class TestRefusals:
    def test_another_merchants_program_is_not_found(
        self, app: FastAPI, client: TestClient, shop: tuple[str, dict[str, Any]]
    ) -> None:
        _, program = shop
        other = new_merchant(app, "Other Coffee")
        response = client.post(simulate_url(program), json={"rules": DRAFT}, headers=auth(other))
        assert response.status_code == 404
        assert response.json()["type"] == "program_not_found"

    @pytest.mark.parametrize(
        ("body", "location"),
        [
            (
                {"rules": {**DRAFT, "earn": {"per_amount": "0"}}},
                ["body", "rules", "earn", "per_amount"],
            ),
            ({"rules": {"currency": "RUB"}}, ["body", "rules", "tiers"]),
            ({"rules": {**DRAFT, "timezone": "a" * 5000}}, ["body", "rules", "timezone"]),
            ({"rules": DRAFT, "days": 0}, ["body", "days"]),
            ({"rules": DRAFT, "days": 731}, ["body", "days"]),
        ],
    )
    def test_a_bad_draft_names_the_field(
        self,
        client: TestClient,
        shop: tuple[str, dict[str, Any]],
        body: dict[str, Any],
        location: list[str],
    ) -> None:
        key, program = shop
        response = client.post(simulate_url(program), json=body, headers=auth(key))
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert location in [error["location"] for error in response.json()["errors"]]


class TestStamps:
    def test_a_stamp_program_counts_stamps(self, app: FastAPI, client: TestClient) -> None:
        """Per visit: 3 stamps; per 200 spent: 600 -> 3, 300 -> 1, 100 -> 0. A free coffee
        costs the full card of 3: the member holds 3 now, and would hold 4 under the draft."""
        key = new_merchant(app)
        program = new_program(
            client, key, name="Stamp Club", kind="stamps", stamps_required=3, rules=LIVE
        )
        member = enrol(client, key, program["id"], name="Dora", phone="+79160000009")
        for amount in ("600", "300", "100"):
            purchase(client, key, member["id"], amount)
        reward = {"name": "Free coffee", "costs_full_card": True}
        client.post(
            f"/api/v1/programs/{program['id']}/rewards", json=reward, headers=auth(key)
        ).raise_for_status()
        draft = {**LIVE, "stamps": {"basis": "amount", "stamp_amount": "200"}}
        result = simulate(client, key, program, rules=draft, days=30, point_value="20")
        assert result["unit"] == "stamps"
        assert (result["live"]["issued"], result["draft"]["issued"]) == (3, 4)
        assert (result["live"]["liability"], result["draft"]["liability"]) == (3, 4)
        assert result["live"]["cost"] == "60.00"
        assert [r["members"] for r in result["live"]["rewards"]] == [1]
        assert [r["members"] for r in result["draft"]["rewards"]] == [1]
        assert result["members_affected"] == 1
