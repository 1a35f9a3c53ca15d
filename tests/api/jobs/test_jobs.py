"""Scheduled jobs with a controlled clock: expiry, birthdays, tier downgrades."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Engine
from sqlmodel import Session, select

from api.enrolment import service as enrolment_service
from api.jobs.service import run_all
from api.ledger.models import EntryKind, LedgerEntry
from api.ledger.postings import Actor
from api.members import repository as member_repository
from api.members.models import Member
from api.members.schemas import MemberCreate
from api.merchants import service as merchant_service
from api.programs import service as program_service
from api.programs.rules import ProgramRules
from api.programs.schemas import ProgramCreate
from api.transactions import service as transaction_service
from api.transactions.schemas import EarnRequest, PurchaseRequest, RedeemRequest

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
ACTOR = Actor("test")


def make_world(
    engine: Engine, designs: Any, rules: dict[str, Any], *, birthday: date | None = None
) -> tuple[UUID, UUID]:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        merchant, _ = merchant_service.create_merchant(session, name="Jobs")
        program = program_service.create_program(
            session,
            merchant.id,
            ProgramCreate(name="P", design="florist", rules=ProgramRules.model_validate(rules)),
            designs=designs,
        )
        member, _, _ = enrolment_service.enrol(
            session,
            merchant.id,
            program.id,
            MemberCreate(name="M", phone="+79160000009", birthday=birthday),
        )
        return merchant.id, member.id


def act(engine: Engine, merchant_id: UUID, member_id: UUID, request: Any, now: datetime) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        transaction_service.record(session, merchant_id, member_id, request, actor=ACTOR, now=now)


def member(engine: Engine, member_id: UUID) -> Member:
    with Session(engine, expire_on_commit=False) as session:
        found = session.get(Member, member_id)
        assert found is not None
        return found


def entries(engine: Engine, member_id: UUID, kind: EntryKind) -> list[int]:
    with Session(engine) as session:
        rows = session.exec(
            select(LedgerEntry).where(LedgerEntry.member_id == member_id, LedgerEntry.kind == kind)
        ).all()
        return [row.amount for row in rows]


EXPIRING = {"timezone": "UTC", "expiry": {"policy": "days", "days": 30}}


class TestExpiry:
    def test_oldest_lot_expires_after_fefo_redemption_and_only_once(
        self, engine: Engine, app: Any
    ) -> None:
        merchant_id, member_id = make_world(engine, app.state.designs, EXPIRING)
        act(engine, merchant_id, member_id, EarnRequest(kind="earn", points=100), T0)
        act(engine, merchant_id, member_id, EarnRequest(kind="earn", points=50),
            T0 + timedelta(days=10))  # fmt: skip
        act(engine, merchant_id, member_id, RedeemRequest(kind="redeem", points=30),
            T0 + timedelta(days=11))  # fmt: skip
        with Session(engine) as session:
            points, when = member_repository.next_expiry(session, member_id) or (0, None)
        assert points == 70  # the redemption came out of the first lot
        assert when == datetime(2026, 4, 9, 23, 59, 59, tzinfo=UTC)
        report = run_all(engine, now=T0 + timedelta(days=31))
        assert report.expired_points == 70
        assert member(engine, member_id).points == 50
        again = run_all(engine, now=T0 + timedelta(days=31))
        assert again.expired_points == 0
        assert entries(engine, member_id, EntryKind.expire) == [-70]

    def test_nothing_expires_early(self, engine: Engine, app: Any) -> None:
        merchant_id, member_id = make_world(engine, app.state.designs, EXPIRING)
        act(engine, merchant_id, member_id, EarnRequest(kind="earn", points=100), T0)
        assert run_all(engine, now=T0 + timedelta(days=30)).expired_points == 0
        assert member(engine, member_id).points == 100


class TestBirthday:
    def test_once_a_year(self, engine: Engine, app: Any) -> None:
        rules = {"timezone": "Europe/Moscow", "bonuses": {"birthday_points": 200}}
        merchant_id, member_id = make_world(
            engine, app.state.designs, rules, birthday=date(1990, 3, 10)
        )
        assert run_all(engine, now=T0 - timedelta(days=1)).birthday_bonuses == 0
        assert run_all(engine, now=T0).birthday_bonuses == 1
        assert run_all(engine, now=T0 + timedelta(hours=5)).birthday_bonuses == 0
        assert member(engine, member_id).points == 200
        assert run_all(engine, now=T0 + timedelta(days=365)).birthday_bonuses == 1
        assert member(engine, member_id).points == 400


def tiered(downgrade: dict[str, Any]) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "tiers": {
            "metric": "spend",
            "window": "rolling_days",
            "window_days": 30,
            **downgrade,
            "levels": [{"name": "Silver", "threshold": "1000"}],
        },
    }


class TestTierDowngrade:
    def buy(self, engine: Engine, merchant_id: UUID, member_id: UUID, when: datetime) -> None:
        request = PurchaseRequest(kind="purchase", amount=Decimal(1000), currency="RUB")
        act(engine, merchant_id, member_id, request, when)

    def test_automatic(self, engine: Engine, app: Any) -> None:
        merchant_id, member_id = make_world(
            engine, app.state.designs, tiered({"downgrade": "automatic"})
        )
        self.buy(engine, merchant_id, member_id, T0)
        assert member(engine, member_id).tier == "Silver"
        assert run_all(engine, now=T0 + timedelta(days=29)).tier_changes == 0
        assert run_all(engine, now=T0 + timedelta(days=31)).tier_changes == 1
        assert member(engine, member_id).tier is None

    def test_after_a_grace_period(self, engine: Engine, app: Any) -> None:
        merchant_id, member_id = make_world(
            engine, app.state.designs, tiered({"downgrade": "grace", "grace_days": 14})
        )
        self.buy(engine, merchant_id, member_id, T0)
        run_all(engine, now=T0 + timedelta(days=31))
        assert member(engine, member_id).tier == "Silver"
        assert member(engine, member_id).tier_grace_until == T0 + timedelta(days=45)
        run_all(engine, now=T0 + timedelta(days=44))
        assert member(engine, member_id).tier == "Silver"
        run_all(engine, now=T0 + timedelta(days=45))
        assert member(engine, member_id).tier is None

    def test_climbing_back_clears_the_grace(self, engine: Engine, app: Any) -> None:
        merchant_id, member_id = make_world(
            engine, app.state.designs, tiered({"downgrade": "grace", "grace_days": 14})
        )
        self.buy(engine, merchant_id, member_id, T0)
        run_all(engine, now=T0 + timedelta(days=31))
        self.buy(engine, merchant_id, member_id, T0 + timedelta(days=32))
        assert member(engine, member_id).tier_grace_until is None
        run_all(engine, now=T0 + timedelta(days=50))
        assert member(engine, member_id).tier == "Silver"

    def test_never(self, engine: Engine, app: Any) -> None:
        merchant_id, member_id = make_world(
            engine, app.state.designs, tiered({"downgrade": "none"})
        )
        self.buy(engine, merchant_id, member_id, T0)
        run_all(engine, now=T0 + timedelta(days=400))
        assert member(engine, member_id).tier == "Silver"
