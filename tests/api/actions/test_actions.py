"""Actions that earn points without a purchase: the rules (admin), the trigger (till or
admin), idempotent by reference, capped per member per period, written to the ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.actions.schemas import CapPeriod
from api.actions.service import period_start
from api.merchants.models import Role
from api.programs.rules import ProgramRules
from tests.api.transactions.test_ledger import reconcile
from tests.support.factories import (
    POINTS_RULES,
    auth,
    enrol,
    new_key,
    new_merchant,
    new_program,
)


class Shop:
    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.client = client
        self.key = new_merchant(app)
        self.program = new_program(client, self.key, rules=POINTS_RULES)["id"]
        self.member = enrol(client, self.key, self.program)["id"]

    def rule(self, expect: int = 201, **body: Any) -> dict[str, Any]:
        response = self.client.post(
            f"/api/v1/programs/{self.program}/actions", json=body, headers=auth(self.key)
        )
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result

    def act(self, kind: str, reference: str, *, key: str | None = None) -> Any:
        return self.client.post(
            f"/api/v1/members/{self.member}/actions",
            json={"kind": kind, "reference": reference},
            headers=auth(key or self.key),
        )


class TestRules:
    def test_create_read_list_and_change(self, app: FastAPI, client: TestClient) -> None:
        shop = Shop(app, client)
        rule = shop.rule(kind="review", points=20, cap=1, period="week")
        assert (rule["kind"], rule["points"], rule["cap"], rule["period"]) == (
            "review", 20, 1, "week",
        )  # fmt: skip
        path = f"/api/v1/programs/{shop.program}/actions"
        assert client.get(f"{path}/{rule['id']}", headers=auth(shop.key)).json() == rule
        changed = client.patch(
            f"{path}/{rule['id']}", json={"points": 30, "cap": None}, headers=auth(shop.key)
        ).json()
        assert (changed["points"], changed["cap"], changed["period"]) == (30, None, "week")
        listed = client.get(path, headers=auth(shop.key)).json()
        assert [r["id"] for r in listed["items"]] == [rule["id"]]

    def test_one_rule_per_kind(self, app: FastAPI, client: TestClient) -> None:
        shop = Shop(app, client)
        shop.rule(kind="share", points=5)
        assert shop.rule(expect=409, kind="share", points=7)["type"] == "action_rule_exists"

    @pytest.mark.parametrize(
        "body",
        [
            {"kind": "dance", "points": 5},
            {"kind": "custom:", "points": 5},
            {"kind": "custom:Big Name", "points": 5},
            {"kind": "review", "points": 0},
            {"kind": "review", "points": 5, "cap": 0},
            {"kind": "review", "points": 5, "period": "year"},
        ],
    )
    def test_refused(self, app: FastAPI, client: TestClient, body: dict[str, Any]) -> None:
        Shop(app, client).rule(expect=422, **body)

    def test_an_empty_change_is_refused(self, app: FastAPI, client: TestClient) -> None:
        shop = Shop(app, client)
        rule = shop.rule(kind="review", points=5)
        response = client.patch(
            f"/api/v1/programs/{shop.program}/actions/{rule['id']}", json={},
            headers=auth(shop.key),
        )  # fmt: skip
        assert response.status_code == 422


class TestTrigger:
    def test_earns_points_through_the_ledger(self, app: FastAPI, client: TestClient) -> None:
        shop = Shop(app, client)
        shop.rule(kind="custom:quiz", points=15)
        pos = new_key(app, shop.key, Role.pos)
        response = shop.act("custom:quiz", "quiz-1", key=pos)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["points"], body["capped"], body["balance"]) == (15, False, 15)
        moves = reconcile(client, shop.key, shop.member)
        assert [(m["kind"], m["amount"], m["reason"]) for m in moves] == [
            ("bonus", 15, "action: custom:quiz")
        ]

    def test_the_same_reference_is_the_same_action(self, app: FastAPI, client: TestClient) -> None:
        shop = Shop(app, client)
        shop.rule(kind="review", points=10)
        first = shop.act("review", "r-1")
        again = shop.act("review", "r-1")
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]
        assert len(reconcile(client, shop.key, shop.member)) == 1

    def test_the_cap_per_period(self, app: FastAPI, client: TestClient) -> None:
        shop = Shop(app, client)
        shop.rule(kind="share", points=10, cap=2, period="day")
        answers = [shop.act("share", f"s-{n}").json() for n in range(3)]
        assert [(a["points"], a["capped"]) for a in answers] == [
            (10, False), (10, False), (0, True),
        ]  # fmt: skip
        assert sum(m["amount"] for m in reconcile(client, shop.key, shop.member)) == 20

    def test_ever_means_once(self, app: FastAPI, client: TestClient) -> None:
        shop = Shop(app, client)
        shop.rule(kind="profile_completed", points=50, cap=1, period="ever")
        assert shop.act("profile_completed", "p1").json()["points"] == 50
        assert shop.act("profile_completed", "p2").json()["points"] == 0

    def test_an_archived_or_missing_rule_earns_nothing(
        self, app: FastAPI, client: TestClient
    ) -> None:
        shop = Shop(app, client)
        rule = shop.rule(kind="review", points=10)
        client.patch(
            f"/api/v1/programs/{shop.program}/actions/{rule['id']}", json={"is_active": False},
            headers=auth(shop.key),
        )  # fmt: skip
        for kind in ("review", "share"):
            response = shop.act(kind, "x")
            assert response.status_code == 422
            assert response.json()["type"] == "action_not_earning"
        assert reconcile(client, shop.key, shop.member) == []

    def test_a_read_key_cannot_trigger(self, app: FastAPI, client: TestClient) -> None:
        shop = Shop(app, client)
        shop.rule(kind="review", points=10)
        assert shop.act("review", "x", key=new_key(app, shop.key, Role.read)).status_code == 403


class TestPeriods:
    RULES = ProgramRules(timezone="Europe/Moscow")
    NOW = datetime(2026, 12, 3, 22, 30, tzinfo=UTC)  # Friday 4 December, 01:30 in Moscow

    @pytest.mark.parametrize(
        ("period", "local_start"),
        [
            (CapPeriod.day, datetime(2026, 12, 4)),
            (CapPeriod.week, datetime(2026, 11, 30)),  # the Monday
            (CapPeriod.month, datetime(2026, 12, 1)),
        ],
    )
    def test_periods_start_at_local_midnight(
        self, period: CapPeriod, local_start: datetime
    ) -> None:
        start = period_start(self.NOW, period, self.RULES)
        assert start == local_start.replace(tzinfo=ZoneInfo("Europe/Moscow"))

    def test_ever_has_no_start(self) -> None:
        assert period_start(self.NOW, CapPeriod.ever, self.RULES) is None
