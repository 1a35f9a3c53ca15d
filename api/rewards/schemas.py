"""Request and response bodies for rewards and coupons."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.rewards.models import Coupon, Reward
from api.validation import RequestModel


class RewardCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Free cappuccino", "cost_points": 300, "valid_days": 14},
                {"name": "Free coffee", "costs_full_card": True, "per_member_limit": 10},
                {"name": "Festival ticket", "cost_points": 2000, "stock": 50},
            ]
        },
    )

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    cost_points: int | None = Field(default=None, ge=1, le=1_000_000)
    costs_full_card: bool = False
    valid_days: int = Field(default=30, ge=1, le=3650)
    per_member_limit: int | None = Field(default=None, ge=1, le=10_000)
    stock: int | None = Field(
        default=None, ge=0, le=1_000_000, description="How many coupons it may issue in all"
    )

    @model_validator(mode="after")
    def _one_cost(self) -> Self:
        if (self.cost_points is None) == (not self.costs_full_card):
            raise ValueError("give either cost_points or costs_full_card: true")
        return self


class RewardPublic(BaseModel):
    id: UUID
    program_id: UUID
    name: str
    cost_points: int | None
    costs_full_card: bool
    valid_days: int
    per_member_limit: int | None
    stock: int | None
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, reward: Reward) -> RewardPublic:
        return cls.model_validate(reward, from_attributes=True)


class CouponDetail(BaseModel):
    code: str
    member_id: UUID
    reward_id: UUID
    valid_until: datetime
    used_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, coupon: Coupon) -> CouponDetail:
        return cls.model_validate(coupon, from_attributes=True)
