"""The ledger explains every point: each movement of every kind is signed, carries the balance
after it, and the movements add up to the balance; a till's key cannot adjust."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.ledger import tasks as ledger_tasks
from api.merchants.models import Role
from tests.support.factories import auth, enrol, new_key, new_merchant, new_program, transact

pytestmark = pytest.mark.db

RULES = {
    "currency": "RUB",
    "earn": {"points": 10, "per_amount": "100"},
    "bonuses": {
        "welcome_points": 50,
        "birthday_points": 20,
        "referrer_points": 30,
        "referee_points": 10,
    },
    "expiry": {"policy": "days", "days": 30},
}


def movements(client: TestClient, key: str, member_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/members/{member_id}/ledger?limit=200", headers=auth(key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return sorted(body["items"], key=lambda m: m["sequence"])


def reconcile(client: TestClient, key: str, member_id: str) -> list[dict[str, Any]]:
    """Check the member's ledger adds up; returns its movements, oldest first."""
    member = client.get(f"/api/v1/members/{member_id}", headers=auth(key)).json()
    moves = movements(client, key, member_id)
    for currency, balance in (("points", member["balance"]), ("stamps", member["stamps"])):
        chain = [m for m in moves if m["currency"] == currency]
        assert sum(m["amount"] for m in chain) == balance, currency
        running = 0
        for move in chain:
            running += move["amount"]
            assert move["balance_after"] == running, move
            assert move["amount"] != 0
    transactions = client.get(
        f"/api/v1/members/{member_id}/transactions?limit=200", headers=auth(key)
    ).json()["items"]
    by_transaction: Counter[str] = Counter()
    for move in moves:
        if move["currency"] == "points":
            by_transaction[move["transaction_id"]] += move["amount"]
    for transaction in transactions:
        assert transaction["points"] == by_transaction[transaction["id"]], transaction
    if transactions and any(m["currency"] == "points" for m in moves):
        newest = next(t for t in transactions if t["points_after"] is not None)
        assert newest["points_after"] == member["balance"]
    return moves


def test_every_kind_of_points_movement_is_explained(
    app: FastAPI, client: TestClient, settings: Any
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=RULES)
    today = datetime.now(UTC).date()
    anna = enrol(client, key, program["id"], birthday=today.replace(year=1990).isoformat())
    boris = enrol(
        client, key, program["id"], name="Boris", phone="+79161112233",
        referral_code=anna["referral_code"],
    )  # fmt: skip
    client.put(
        f"/api/v1/programs/{program['id']}/wheel",
        json={
            "min_purchase": "100",
            "prizes": [
                {"label": "7 points", "kind": "points", "points": 7, "weight": 1},
                {"label": "7 more", "kind": "points", "points": 7, "weight": 1},
            ],
        },
        headers=auth(key),
    ).raise_for_status()
    reward = client.post(
        f"/api/v1/programs/{program['id']}/rewards",
        json={"name": "Tea", "cost_points": 20},
        headers=auth(key),
    ).json()

    bought = transact(
        client, key, anna["id"], kind="purchase", amount="1000", currency="RUB", receipt_id="L-1"
    )
    transact(client, key, boris["id"], kind="purchase", amount="100", currency="RUB")  # referral
    transact(client, key, anna["id"], kind="earn", points=5, reason="survey")
    transact(client, key, anna["id"], kind="redeem", points=30)
    transact(client, key, anna["id"], kind="redeem_reward", reward_id=reward["id"])
    transact(client, key, anna["id"], kind="adjust", points=15, reason="goodwill")
    transact(client, key, anna["id"], kind="adjust", points=-5, reason="double scan")
    client.post(
        f"/api/v1/transactions/{bought['transaction']['id']}/refund",
        json={"amount": "200", "receipt_id": "L-1-R"},
        headers=auth(key),
    ).raise_for_status()
    token = anna["card_url"].rsplit("/", 1)[1]
    spun = client.post(f"/cards/{token}/wheel", headers={"Accept": "application/json"})
    assert spun.status_code == 200, spun.text
    engine = app.state.engine
    assert ledger_tasks.birthday_bonuses(engine, now=datetime.now(UTC)) == 1
    ledger_tasks.expire_points(engine, now=datetime.now(UTC) + timedelta(days=400))

    moves = reconcile(client, key, anna["id"])
    kinds = {(m["transaction_kind"], m["kind"]) for m in moves}
    assert kinds >= {
        ("bonus", "bonus"),  # welcome, birthday, referral
        ("purchase", "earn"),
        ("earn", "earn"),
        ("redeem", "redeem"),
        ("redeem_reward", "redeem"),
        ("adjust", "adjust"),
        ("refund", "reverse"),
        ("expiry", "expire"),
    }, kinds
    assert any(m["reason"] and "wheel" in m["reason"].lower() for m in moves), moves
    assert sum(m["kind"] == "bonus" for m in moves) == 3  # welcome, birthday, referrer
    assert moves[-1]["balance_after"] == 0  # everything left expired
    reconcile(client, key, boris["id"])

    # The transaction list no longer hides bonuses: they show their points.
    listed = client.get(
        f"/api/v1/members/{anna['id']}/transactions?limit=200", headers=auth(key)
    ).json()["items"]
    bonuses = [t for t in listed if t["kind"] == "bonus"]
    assert bonuses
    assert all(t["points"] > 0 and t["points_earned"] == 0 for t in bonuses)


def test_stamp_movements_are_explained(app: FastAPI, client: TestClient) -> None:
    key = new_merchant(app)
    program = new_program(client, key, kind="stamps", stamps_required=3)
    member = enrol(client, key, program["id"])
    reward = client.post(
        f"/api/v1/programs/{program['id']}/rewards",
        json={"name": "Coffee", "costs_full_card": True},
        headers=auth(key),
    ).json()
    for n in range(3):
        transact(
            client, key, member["id"], kind="purchase", amount="300", currency="RUB",
            receipt_id=f"S-{n}",
        )  # fmt: skip
    transact(client, key, member["id"], kind="earn", stamps=2)
    transact(client, key, member["id"], kind="redeem_reward", reward_id=reward["id"])
    transact(client, key, member["id"], kind="adjust", points=-1, currency="stamps", reason="x")
    moves = reconcile(client, key, member["id"])
    assert [m["amount"] for m in moves if m["currency"] == "stamps"] == [1, 1, 1, 2, -3, -1]


class TestAdjustments:
    def test_a_till_key_cannot_adjust(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=RULES)
        member = enrol(client, key, program["id"])
        till = new_key(app, key, Role.pos)
        refused = transact(
            client, till, member["id"], expect=403, kind="adjust", points=1_000_000,
            reason="fraud",
        )  # fmt: skip
        assert refused["type"] == "adjustment_needs_admin"
        assert (
            client.get(f"/api/v1/members/{member['id']}", headers=auth(key)).json()["balance"] == 50
        )  # the welcome bonus only
        # The till still earns and redeems.
        transact(client, till, member["id"], kind="earn", points=5)
        transact(client, till, member["id"], kind="redeem", points=5)

    def test_an_adjustment_needs_a_reason_and_records_who(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=RULES)
        member = enrol(client, key, program["id"])
        missing = transact(client, key, member["id"], expect=422, kind="adjust", points=5)
        assert missing["type"] == "validation_error"
        transact(client, key, member["id"], kind="adjust", points=5, reason="goodwill")
        adjust = next(m for m in movements(client, key, member["id"]) if m["kind"] == "adjust")
        assert (adjust["reason"], adjust["amount"]) == ("goodwill", 5)
        assert adjust["actor"].startswith("api_key:")
