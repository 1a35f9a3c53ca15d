"""Birthday week (Simons: points x the multiplier in the days starting on the birthday) and
surprises (Panera Bread: a bonus for a share of purchases, within a monthly budget)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session

from api.ledger.engine import birthday_multiplier, is_surprise
from api.ledger.postings import Actor
from api.members.models import Member
from api.programs.rules import BonusRules, ProgramRules
from api.transactions import service as transaction_service
from api.transactions.schemas import PurchaseRequest
from tests.api.actions.conftest import SetDraw
from tests.api.transactions.test_ledger import reconcile
from tests.support.factories import auth, enrol, new_merchant, new_program, purchase

WEEK = BonusRules(birthday_multiplier=Decimal(2), birthday_window_days=7)


class TestBirthdayWindow:
    @pytest.mark.parametrize(
        ("today", "expected"),
        [
            (date(2026, 5, 9), 1),  # the day before
            (date(2026, 5, 10), 2),  # the birthday starts the week
            (date(2026, 5, 16), 2),  # its seventh day
            (date(2026, 5, 17), 1),
        ],
    )
    def test_the_week_starts_on_the_birthday(self, today: date, expected: int) -> None:
        assert birthday_multiplier(WEEK, date(1990, 5, 10), today) == expected

    def test_the_week_runs_into_the_new_year(self) -> None:
        assert birthday_multiplier(WEEK, date(1990, 12, 29), date(2027, 1, 4)) == 2
        assert birthday_multiplier(WEEK, date(1990, 12, 29), date(2027, 1, 5)) == 1

    def test_29_february_starts_on_28_february_in_other_years(self) -> None:
        assert birthday_multiplier(WEEK, date(2000, 2, 29), date(2027, 2, 28)) == 2
        assert birthday_multiplier(WEEK, date(2000, 2, 29), date(2027, 3, 6)) == 2
        assert birthday_multiplier(WEEK, date(2000, 2, 29), date(2027, 3, 7)) == 1

    def test_no_birthday_or_no_multiplier_is_one(self) -> None:
        assert birthday_multiplier(WEEK, None, date(2026, 5, 10)) == 1
        assert birthday_multiplier(BonusRules(), date(1990, 5, 10), date(2026, 5, 10)) == 1


class TestRulesValidation:
    @pytest.mark.parametrize(
        "bonuses",
        [
            {"birthday_multiplier": "0.5"},
            {"birthday_multiplier": "11"},
            {"birthday_window_days": 0},
            {"birthday_window_days": 32},
            {"surprise": {"share_percent": "101", "points": 10, "budget_points": 100}},
            {"surprise": {"share_percent": "5"}},  # no points
            {"surprise": {"share_percent": "5", "points": 50, "budget_points": 10}},
            {"surprise": {"share_percent": "5", "points": 50, "budget_points": 100, "x": 1}},
        ],
    )
    def test_refused(self, bonuses: dict[str, Any]) -> None:
        with pytest.raises(ValidationError):
            ProgramRules.model_validate({"bonuses": bonuses})

    def test_the_api_names_the_field(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        response = client.patch(
            f"/api/v1/programs/{program['id']}/rules",
            json={"bonuses": {"birthday_multiplier": "20"}},
            headers=auth(key),
        )
        assert response.status_code == 422, response.text
        assert "birthday_multiplier" in response.text

    def test_a_share_is_a_percentage(self) -> None:
        assert is_surprise(Decimal(10), 0.0999)
        assert not is_surprise(Decimal(10), 0.1)
        assert not is_surprise(Decimal(0), 0.0)


def _program(client: TestClient, key: str, **bonuses: Any) -> dict[str, Any]:
    rules = {"currency": "RUB", "earn": {"points": 5, "per_amount": "100"}, "bonuses": bonuses}
    return new_program(client, key, rules=rules)


def _bonus_moves(client: TestClient, key: str, member_id: str) -> list[dict[str, Any]]:
    return [m for m in reconcile(client, key, member_id) if m["kind"] == "bonus"]


class TestBirthdayWeekPurchases:
    def test_points_are_multiplied_and_the_entry_says_why(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = _program(client, key, birthday_multiplier="2", birthday_window_days=7)
        today = datetime.now(UTC).date()
        birthday = (today - timedelta(days=3)).replace(year=1990)
        member = enrol(client, key, program["id"], birthday=birthday.isoformat())["id"]
        result = purchase(client, key, member, "1000")
        assert result["transaction"]["points_earned"] == 100
        assert "birthday week x2" in result["notes"]
        moves = reconcile(client, key, member)
        earn = next(m for m in moves if m["kind"] == "earn")
        assert earn["amount"] == 100
        assert earn["reason"] == "birthday week x2"

    def test_outside_the_week_points_are_plain(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = _program(client, key, birthday_multiplier="2", birthday_window_days=7)
        birthday = (datetime.now(UTC).date() + timedelta(days=2)).replace(year=1990)
        member = enrol(client, key, program["id"], birthday=birthday.isoformat())["id"]
        result = purchase(client, key, member, "1000")
        assert result["transaction"]["points_earned"] == 50
        assert not any("birthday" in note for note in result["notes"])


SURPRISE = {"share_percent": "10", "points": 30, "budget_points": 60}


class TestSurprises:
    def test_a_lucky_purchase_gets_a_surprise_until_the_budget_is_spent(
        self, app: FastAPI, client: TestClient, set_draw: SetDraw
    ) -> None:
        key = new_merchant(app)
        program = _program(client, key, surprise=SURPRISE)
        member = enrol(client, key, program["id"])["id"]
        set_draw(0.05)  # inside the 10 %
        # the till is told (the member is not announced anything before)
        notes = [purchase(client, key, member, "100")["notes"] for _ in range(3)]
        assert notes == [["surprise: 30 points"], ["surprise: 30 points"], []]
        surprises = [m for m in _bonus_moves(client, key, member) if m["reason"] == "surprise"]
        assert [m["amount"] for m in surprises] == [30, 30]  # the third is over budget
        member_now = client.get(f"/api/v1/members/{member}", headers=auth(key)).json()
        assert member_now["balance"] == 3 * 5 + 60

    def test_an_unlucky_draw_gets_nothing(
        self, app: FastAPI, client: TestClient, set_draw: SetDraw
    ) -> None:
        key = new_merchant(app)
        program = _program(client, key, surprise=SURPRISE)
        member = enrol(client, key, program["id"])["id"]
        set_draw(0.1)  # just outside the 10 %
        purchase(client, key, member, "100")
        assert _bonus_moves(client, key, member) == []

    def test_below_the_minimum_purchase_is_not_qualifying(
        self, app: FastAPI, client: TestClient, set_draw: SetDraw
    ) -> None:
        key = new_merchant(app)
        rules = {
            "currency": "RUB",
            "earn": {"points": 5, "per_amount": "100", "min_purchase": "500"},
            "bonuses": {"surprise": SURPRISE},
        }
        member = enrol(client, key, new_program(client, key, rules=rules)["id"])["id"]
        set_draw(0.0)
        purchase(client, key, member, "100")
        assert _bonus_moves(client, key, member) == []

    def test_the_budget_is_per_program(
        self, app: FastAPI, client: TestClient, set_draw: SetDraw
    ) -> None:
        key = new_merchant(app)
        set_draw(0.0)
        for _ in range(2):
            program = _program(client, key, surprise={**SURPRISE, "budget_points": 30})
            member = enrol(client, key, program["id"])["id"]
            purchase(client, key, member, "100")
            assert len(_bonus_moves(client, key, member)) == 1

    def test_a_refund_keeps_the_surprise_and_the_ledger_adds_up(
        self, app: FastAPI, client: TestClient, set_draw: SetDraw
    ) -> None:
        key = new_merchant(app)
        program = _program(client, key, surprise=SURPRISE)
        member = enrol(client, key, program["id"])["id"]
        set_draw(0.0)
        bought = purchase(client, key, member, "1000")["transaction"]["id"]
        response = client.post(f"/api/v1/transactions/{bought}/refund", json={}, headers=auth(key))
        assert response.status_code == 201, response.text
        moves = reconcile(client, key, member)
        assert [(m["kind"], m["amount"]) for m in moves] == [
            ("earn", 50), ("bonus", 30), ("reverse", -50),
        ]  # fmt: skip

    def test_the_budget_is_per_month_in_the_programs_time_zone(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        rules = {
            "currency": "RUB",
            "timezone": "Europe/Moscow",
            "bonuses": {"surprise": {**SURPRISE, "budget_points": 30}},
        }
        program = new_program(client, key, rules=rules)
        member = enrol(client, key, program["id"])["id"]
        # 21:30 UTC on 31 January is 00:30 on 1 February in Moscow: a new month's budget
        times = [datetime(2027, 1, 31, hour, minute, tzinfo=UTC)
                 for hour, minute in ((20, 0), (20, 30), (21, 30))]  # fmt: skip
        engine = app.state.engine
        for n, now in enumerate(times):
            with Session(engine) as session, session.begin():
                merchant = session.get_one(Member, UUID(member)).merchant_id
                transaction_service.record(
                    session, merchant, UUID(member),
                    PurchaseRequest(kind="purchase", amount=Decimal(100), currency="RUB",
                                    receipt_id=f"month-{n}"),
                    actor=Actor("test"), now=now, draw=lambda: 0.0,
                )  # fmt: skip
        surprises = [m for m in _bonus_moves(client, key, member) if m["reason"] == "surprise"]
        assert len(surprises) == 2  # January's one, then February's one
