"""The rewards catalogue and the coupons redeeming a reward creates."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from api.columns import UTCDateTime, merchant_fk, optional_timestamp, timestamp


class Reward(SQLModel, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    cost_points: int | None = None
    costs_full_card: bool = False  # costs a full stamp card (stamps_required stamps)
    valid_days: int = 30
    per_member_limit: int | None = None
    stock: int | None = None  # coupons left to issue (redeemed or won); None: no limit
    is_active: bool = True  # False: archived (no longer offered; its coupons still work)
    # When the reward may be redeemed (None: from the start, without end).
    available_from: datetime | None = optional_timestamp()
    available_until: datetime | None = optional_timestamp()
    created_at: datetime = timestamp()


class Coupon(SQLModel, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    member_id: UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    reward_id: UUID = Field(foreign_key="reward.id", index=True, ondelete="CASCADE")
    transaction_id: UUID | None = Field(default=None, foreign_key="transaction.id")
    code: str = Field(max_length=20, unique=True)
    valid_until: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = optional_timestamp()
    used_by_key_id: UUID | None = Field(default=None, foreign_key="api_key.id")
    created_at: datetime = timestamp()
