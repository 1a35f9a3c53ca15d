"""A program's wheel of fortune and the spins members took."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, Numeric
from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, timestamp


class Wheel(SQLModel, table=True):
    """Prizes (``[{label, kind, points, reward_id, weight}]``), the purchase that earns a spin,
    and caps on how many prizes (anything but "nothing") it may give per day and per month."""

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", unique=True, ondelete="CASCADE")
    is_active: bool = True
    min_purchase: Decimal = Field(sa_type=Numeric(14, 2))
    prizes: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    daily_prize_cap: int | None = None
    monthly_prize_cap: int | None = None
    starts_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class WheelSpin(SQLModel, table=True):
    """One spin, granted by one purchase (unique), with the number drawn, so that every
    outcome can be checked against the odds published at the time."""

    __tablename__ = "wheel_spin"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    wheel_id: UUID = Field(foreign_key="wheel.id", index=True, ondelete="CASCADE")
    member_id: UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    grant_transaction_id: UUID = Field(foreign_key="transaction.id", unique=True)
    draw: int
    total_weight: int
    prize_index: int
    prize_kind: str = Field(max_length=10)
    prize_label: str = Field(max_length=100)
    points: int = 0
    coupon_id: UUID | None = Field(default=None, foreign_key="coupon.id")
    prize_transaction_id: UUID | None = Field(default=None, foreign_key="transaction.id")
    capped: bool = False
    created_at: datetime = timestamp(index=True)
