"""POS transactions over the API: earning, redeeming, refunds, retries and tenancy."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from api.ledger.models import LedgerEntry
from api.members.models import Card
from api.merchants.models import Role
from api.outbox.models import OutboxEvent
from tests.support.factories import (
    POINTS_RULES,
    auth,
    enrol,
    new_key,
    new_merchant,
    new_program,
    purchase,
    transact,
)


def setup(
    app: FastAPI, client: TestClient, rules: dict[str, Any] | None = None, **program: Any
) -> tuple[str, str]:
    """A merchant key and a member of a program with ``rules``."""
    key = new_merchant(app)
    created = new_program(client, key, rules=rules or POINTS_RULES, **program)
    return key, enrol(client, key, created["id"])["id"]


def ledger_sums(app: FastAPI, member_id: str) -> dict[str, int]:
    with Session(app.state.engine) as session:
        entries = session.exec(
            select(LedgerEntry).where(LedgerEntry.member_id == uuid.UUID(member_id))
        ).all()
    sums = {"points": 0, "stamps": 0}
    for entry in entries:
        sums[entry.currency] += entry.amount
    return sums


class TestPurchase:
    def test_earns_points_at_the_program_rate(self, app: FastAPI, client: TestClient) -> None:
        key, member = setup(app, client)
        result = purchase(client, key, member, "1250.00", receipt_id="R-1")
        assert result["balance"] == 62
        assert result["transaction"]["points_earned"] == 62
        assert result["transaction"]["amount"] == "1250.00"
        assert [(e["kind"], e["amount"], e["balance_after"]) for e in result["entries"]] == [
            ("earn", 62, 62)
        ]

    def test_stamps_program(self, app: FastAPI, client: TestClient) -> None:
        key, member = setup(
            app, client, {"stamps": {"basis": "visit"}}, kind="stamps", stamps_required=3
        )
        for _ in range(2):
            result = purchase(client, key, member, "150")
        assert result["stamps"] == 2
        assert result["balance"] == 0

    def test_below_minimum_earns_nothing_and_says_why(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, member = setup(app, client, {"earn": {"min_purchase": "500"}})
        result = purchase(client, key, member, "499")
        assert result["balance"] == 0
        assert "minimum purchase" in result["notes"][0]

    def test_daily_cap(self, app: FastAPI, client: TestClient) -> None:
        key, member = setup(app, client, {"earn": {"max_points_per_day": 80}})
        assert purchase(client, key, member, "1000")["balance"] == 50
        second = purchase(client, key, member, "1000")
        assert second["balance"] == 80
        assert second["notes"] == ["daily limit of 80 points reached"]

    def test_wrong_currency(self, app: FastAPI, client: TestClient) -> None:
        key, member = setup(app, client)
        response = client.post(
            f"/api/v1/members/{member}/transactions",
            json={"kind": "purchase", "amount": "10", "currency": "EUR"},
            headers=auth(key),
        )
        assert response.status_code == 422
        assert response.json()["type"] == "currency_mismatch"

    @pytest.mark.parametrize(
        "body",
        [
            {"kind": "purchase", "amount": "-5", "currency": "RUB"},
            {"kind": "purchase", "amount": "1.234", "currency": "RUB"},
            {"kind": "purchase", "amount": "abc", "currency": "RUB"},
            {"kind": "teleport", "points": 5},
            {"kind": "earn"},
            {"kind": "earn", "points": 5, "stamps": 1},
            {"kind": "adjust", "points": 5},
            {"kind": "adjust", "points": 0, "reason": "x"},
            {"kind": "redeem", "points": 0},
        ],
    )
    def test_bad_bodies_are_422_and_write_nothing(
        self, app: FastAPI, client: TestClient, body: dict[str, Any]
    ) -> None:
        key, member = setup(app, client)
        response = client.post(
            f"/api/v1/members/{member}/transactions", json=body, headers=auth(key)
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert ledger_sums(app, member) == {"points": 0, "stamps": 0}

    def test_unknown_store(self, app: FastAPI, client: TestClient) -> None:
        key, member = setup(app, client)
        response = client.post(
            f"/api/v1/members/{member}/transactions",
            json={"kind": "purchase", "amount": "10", "currency": "RUB",
                  "location_id": str(uuid.uuid4())},
            headers=auth(key),
        )  # fmt: skip
        assert response.status_code == 404
        assert response.json()["type"] == "store_not_found"


class TestRetries:
    def test_same_receipt_credits_once(self, app: FastAPI, client: TestClient) -> None:
        key, member = setup(app, client)
        first = purchase(client, key, member, "1000", receipt_id="R-7")
        again = purchase(client, key, member, "1000", receipt_id="R-7", expect=200)
        assert again["transaction"]["id"] == first["transaction"]["id"]
        assert again["balance"] == 50
        assert ledger_sums(app, member)["points"] == 50

    def test_same_receipt_for_another_purchase_is_a_conflict(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, member = setup(app, client)
        purchase(client, key, member, "1000", receipt_id="R-8")
        response = client.post(
            f"/api/v1/members/{member}/transactions",
            json={"kind": "purchase", "amount": "2000", "currency": "RUB", "receipt_id": "R-8"},
            headers=auth(key),
        )
        assert response.status_code == 409
        assert response.json()["type"] == "receipt_already_used"

    def test_idempotency_key_replays_the_original_response(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, member = setup(app, client)
        headers = {"Idempotency-Key": "till-1-0042"}
        first = transact(client, key, member, kind="earn", points=10, headers=headers)
        response = client.post(
            f"/api/v1/members/{member}/transactions",
            json={"kind": "earn", "points": 10},
            headers={**auth(key), **headers},
        )
        assert response.status_code == 201
        assert response.headers["idempotent-replayed"] == "true"
        assert response.json() == first
        assert ledger_sums(app, member)["points"] == 10

    def test_idempotency_key_with_another_body_is_422(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, member = setup(app, client)
        headers = {"Idempotency-Key": "till-1-0043"}
        transact(client, key, member, kind="earn", points=10, headers=headers)
        response = client.post(
            f"/api/v1/members/{member}/transactions",
            json={"kind": "earn", "points": 11},
            headers={**auth(key), **headers},
        )
        assert response.status_code == 422
        assert response.json()["type"] == "idempotency_key_reused"

    def test_a_failed_request_can_be_retried_with_its_key(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, member = setup(app, client)
        headers = {"Idempotency-Key": "till-1-0044"}
        transact(client, key, member, kind="redeem", points=5, headers=headers, expect=409)
        transact(client, key, member, kind="earn", points=5)
        transact(client, key, member, kind="redeem", points=5, headers=headers, expect=201)


class TestRedeemAndAdjust:
    def test_redeem_more_than_the_balance_is_409(self, app: FastAPI, client: TestClient) -> None:
        key, member = setup(app, client)
        transact(client, key, member, kind="earn", points=30)
        response = client.post(
            f"/api/v1/members/{member}/transactions",
            json={"kind": "redeem", "points": 31},
            headers=auth(key),
        )
        assert response.status_code == 409
        assert response.json()["type"] == "insufficient_balance"
        assert response.json()["balance"] == 30

    def test_adjust_both_ways(self, app: FastAPI, client: TestClient) -> None:
        key, member = setup(app, client)
        transact(client, key, member, kind="adjust", points=40, reason="goodwill")
        result = transact(client, key, member, kind="adjust", points=-15, reason="double scan")
        assert result["balance"] == 25
        assert result["entries"][0]["reason"] == "double scan"
        assert ledger_sums(app, member)["points"] == 25


class TestRefunds:
    def test_partial_then_full_refund_reverses_pro_rata(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, member = setup(app, client)
        bought = purchase(client, key, member, "1000", receipt_id="R-9")["transaction"]["id"]
        url = f"/api/v1/transactions/{bought}/refund"
        half = client.post(url, json={"amount": "400"}, headers=auth(key)).json()
        assert half["balance"] == 30
        assert half["entries"][0]["kind"] == "reverse"
        rest = client.post(url, json={}, headers=auth(key)).json()
        assert rest["balance"] == 0
        assert rest["transaction"]["amount"] == "600.00"
        again = client.post(url, json={}, headers=auth(key))
        assert again.status_code == 409
        assert again.json()["type"] == "already_refunded"

    def test_refund_larger_than_what_remains(self, app: FastAPI, client: TestClient) -> None:
        key, member = setup(app, client)
        bought = purchase(client, key, member, "1000")["transaction"]["id"]
        response = client.post(
            f"/api/v1/transactions/{bought}/refund", json={"amount": "1000.01"}, headers=auth(key)
        )
        assert response.status_code == 422
        assert response.json()["type"] == "refund_exceeds_remaining"
        assert response.json()["remaining"] == "1000.00"

    def test_spent_points_are_not_taken_below_zero(self, app: FastAPI, client: TestClient) -> None:
        key, member = setup(app, client)
        bought = purchase(client, key, member, "1000")["transaction"]["id"]
        transact(client, key, member, kind="redeem", points=40)
        result = client.post(
            f"/api/v1/transactions/{bought}/refund", json={}, headers=auth(key)
        ).json()
        assert result["balance"] == 0
        assert "40 points were already spent" in result["notes"][0]

    def test_only_purchases_refund(self, app: FastAPI, client: TestClient) -> None:
        key, member = setup(app, client)
        earned = transact(client, key, member, kind="earn", points=5)["transaction"]["id"]
        response = client.post(f"/api/v1/transactions/{earned}/refund", json={}, headers=auth(key))
        assert response.status_code == 422
        assert response.json()["type"] == "not_refundable"


class TestCardChanges:
    def test_every_change_bumps_the_card_and_writes_the_outbox(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, member = setup(app, client)
        purchase(client, key, member, "500")
        transact(client, key, member, kind="redeem", points=5)
        with Session(app.state.engine) as session:
            card = session.exec(select(Card).where(Card.member_id == uuid.UUID(member))).one()
            events = session.exec(select(OutboxEvent).where(OutboxEvent.card_id == card.id)).all()
        assert card.version == 3
        assert [e.card_version for e in events] == [1, 2, 3]
        assert [e.kind for e in events] == ["enrol", "purchase", "redeem"]

    def test_the_downloaded_pass_shows_the_new_balance(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES, design="florist")
        member = enrol(client, key, program["id"])
        purchase(client, key, member["id"], "2000")
        import io
        import json
        import zipfile

        archive = zipfile.ZipFile(io.BytesIO(client.get(member["apple_pass_url"]).content))
        primary = json.loads(archive.read("pass.json"))["storeCard"]["primaryFields"][0]
        assert primary == {
            "key": "points", "value": 100, "label": "POINTS", "changeMessage": "You have %@ points"
        }  # fmt: skip


class TestLedgerIsAppendOnly:
    def test_the_database_refuses_to_change_an_entry(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, member = setup(app, client)
        transact(client, key, member, kind="earn", points=5)
        with (
            pytest.raises(DBAPIError, match="append-only"),
            Session(app.state.engine) as session,
            session.begin(),
        ):
            session.execute(text("UPDATE ledger_entry SET amount = 500"))


class TestRolesAndTenancy:
    def test_read_key_cannot_write(self, app: FastAPI, client: TestClient) -> None:
        key, member = setup(app, client)
        reader = new_key(app, key, Role.read)
        response = client.post(
            f"/api/v1/members/{member}/transactions",
            json={"kind": "earn", "points": 5},
            headers=auth(reader),
        )
        assert response.status_code == 403
        assert (
            client.get(f"/api/v1/members/{member}/transactions", headers=auth(reader)).json()[
                "total"
            ]
            == 0
        )

    def test_another_merchants_member_and_transactions_are_404(
        self, app: FastAPI, client: TestClient
    ) -> None:
        theirs, member = setup(app, client)
        bought = purchase(client, theirs, member, "100")["transaction"]["id"]
        mine = new_merchant(app, "Other")
        checks = [
            ("post", f"/api/v1/members/{member}/transactions", {"kind": "earn", "points": 1}),
            ("get", f"/api/v1/members/{member}/transactions", None),
            ("post", f"/api/v1/transactions/{bought}/refund", {}),
            ("get", f"/api/v1/members/{member}", None),
            ("get", f"/api/v1/members/{member}/coupons", None),
        ]
        for method, url, body in checks:
            response = client.request(method, url, json=body, headers=auth(mine))
            assert response.status_code == 404, url
        assert ledger_sums(app, member)["points"] == 5


class TestLookups:
    def test_search_and_barcode(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        anna = enrol(client, key, program["id"], name="Anna Petrova", email="anna@example.com")
        enrol(client, key, program["id"], name="Boris", phone="+79035550000")

        def found(query: str) -> list[str]:
            page = client.get("/api/v1/members", params={"query": query}, headers=auth(key))
            return [m["name"] for m in page.json()["items"]]

        assert found("petrova") == ["Anna Petrova"]
        assert found("903 555") == ["Boris"]
        assert found("ANNA@example") == ["Anna Petrova"]
        assert found(anna["serial_number"]) == ["Anna Petrova"]
        assert found("nobody") == []
        assert sorted(found("")) == ["Anna Petrova", "Boris"]
        by_code = client.get(
            f"/api/v1/members/by-barcode/{anna['serial_number']}", headers=auth(key)
        )
        assert by_code.json()["id"] == anna["id"]

    def test_transactions_are_paginated(self, app: FastAPI, client: TestClient) -> None:
        key, member = setup(app, client)
        for points in range(1, 6):
            transact(client, key, member, kind="earn", points=points)
        page = client.get(
            f"/api/v1/members/{member}/transactions",
            params={"limit": 2, "offset": 1},
            headers=auth(key),
        ).json()
        assert page["total"] == 5
        assert len(page["items"]) == 2
