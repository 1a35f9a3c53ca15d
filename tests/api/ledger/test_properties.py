"""Property: whatever sequence of purchases, earns, redemptions, refunds, adjustments and
expiries happens, the balance equals the ledger sum, equals what the lots hold, and is never
negative."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from api.errors import ApiError
from api.jobs.service import JobReport, expire_points
from api.ledger import repository as ledger_repository
from api.ledger.models import Currency, PointLot
from api.members.models import Member
from api.transactions import service as transaction_service
from api.transactions.schemas import (
    AdjustRequest,
    EarnRequest,
    PurchaseRequest,
    RedeemRequest,
    RefundRequest,
)
from tests.api.jobs.test_jobs import ACTOR, T0, make_world

operations = st.lists(
    st.one_of(
        st.tuples(st.just("purchase"), st.integers(1, 500_00)),
        st.tuples(st.just("earn"), st.integers(1, 500)),
        st.tuples(st.just("redeem"), st.integers(1, 800)),
        st.tuples(st.just("adjust"), st.integers(-300, 300).filter(bool)),
        st.tuples(st.just("refund"), st.integers(0, 9), st.integers(1, 100)),
        st.tuples(st.just("wait"), st.integers(1, 40)),
    ),
    min_size=1,
    max_size=25,
)


def apply(
    engine: Engine, merchant_id: Any, member_id: Any, op: tuple[Any, ...], state: dict[str, Any]
) -> None:
    now = state["now"]
    kind = op[0]
    if kind == "wait":
        state["now"] = now + timedelta(days=op[1])
        expire_points(engine, now=state["now"], report=JobReport())
        return
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            if kind == "refund":
                if not state["purchases"]:
                    return
                transaction_id = state["purchases"][op[1] % len(state["purchases"])]
                original = ledger_repository.get_transaction(session, merchant_id, transaction_id)
                assert original is not None
                assert original.amount is not None
                part = (original.amount * op[2] / 100).quantize(Decimal("0.01"))
                transaction_service.refund(
                    session, merchant_id, transaction_id,
                    RefundRequest(amount=max(part, Decimal("0.01"))), actor=ACTOR, now=now,
                )  # fmt: skip
                return
            request: Any = {
                "purchase": lambda: PurchaseRequest(
                    kind="purchase", amount=Decimal(op[1]) / 100, currency="RUB"
                ),
                "earn": lambda: EarnRequest(kind="earn", points=op[1]),
                "redeem": lambda: RedeemRequest(kind="redeem", points=op[1]),
                "adjust": lambda: AdjustRequest(kind="adjust", points=op[1], reason="test"),
            }[kind]()
            outcome = transaction_service.record(
                session, merchant_id, member_id, request, actor=ACTOR, now=now
            )
            if kind == "purchase":
                state["purchases"].append(outcome.result.transaction.id)
    except ApiError:
        pass  # refused (not enough points, nothing left to refund): must change nothing


def check(engine: Engine, member_id: Any) -> None:
    with Session(engine) as session:
        member = session.get(Member, member_id)
        assert member is not None
        ledger = ledger_repository.ledger_sum(session, member_id, Currency.points)
        in_lots = session.exec(
            select(func.coalesce(func.sum(PointLot.remaining), 0)).where(
                PointLot.member_id == member_id
            )
        ).one()
        assert member.points == ledger == in_lots
        assert member.points >= 0
        negative_lots = session.exec(
            select(PointLot.id).where(PointLot.member_id == member_id, PointLot.remaining < 0)
        ).first()
        assert negative_lots is None


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_balance_is_always_the_ledger_sum(
    engine: Engine, app: Any, ops: list[tuple[Any, ...]]
) -> None:
    rules = {"timezone": "UTC", "expiry": {"policy": "days", "days": 30},
             "earn": {"max_points_per_transaction": 400}}  # fmt: skip
    merchant_id, member_id = make_world(engine, app.state.designs, rules)
    state: dict[str, Any] = {"now": T0, "purchases": []}
    for op in ops:
        apply(engine, merchant_id, member_id, op, state)
        check(engine, member_id)
