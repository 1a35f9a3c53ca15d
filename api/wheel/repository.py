"""Queries on wheels, spins and the purchases that grant spins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.ledger.models import Transaction, TransactionKind
from api.wheel.models import Wheel, WheelSpin


def for_program(session: Session, merchant_id: UUID, program_id: UUID) -> Wheel | None:
    query = select(Wheel).where(Wheel.merchant_id == merchant_id, Wheel.program_id == program_id)
    return session.exec(query).first()


def lock(session: Session, wheel_id: UUID) -> None:
    """Hold the wheel's row until commit, so one spin at a time counts and uses its prize caps
    (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises already)."""
    session.exec(select(Wheel.id).where(Wheel.id == wheel_id).with_for_update()).one()


def unspun_grants(session: Session, wheel: Wheel, member_id: UUID) -> Sequence[Transaction]:
    """The member's purchases that earn a spin and have not been spun, oldest first."""
    spun = select(WheelSpin.grant_transaction_id).where(WheelSpin.member_id == member_id)
    query = (
        select(Transaction)
        .where(
            Transaction.member_id == member_id,
            Transaction.kind == TransactionKind.purchase,
            col(Transaction.amount) >= wheel.min_purchase,
            Transaction.created_at >= wheel.starts_at,
            col(Transaction.id).not_in(spun),
        )
        .order_by(col(Transaction.created_at))
    )
    return session.exec(query).all()


def prizes_since(session: Session, wheel_id: UUID, since: datetime) -> int:
    """Spins since ``since`` that gave something (what the caps count)."""
    query = select(func.count()).where(
        WheelSpin.wheel_id == wheel_id,
        WheelSpin.created_at >= since,
        WheelSpin.prize_kind != "nothing",
    )
    return int(session.exec(query).one())


def get_spin(session: Session, member_id: UUID, spin_id: UUID) -> WheelSpin | None:
    query = select(WheelSpin).where(WheelSpin.id == spin_id, WheelSpin.member_id == member_id)
    return session.exec(query).first()
