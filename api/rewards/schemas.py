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
    available_from: datetime | None = Field(default=None, description="Redeemable from then")
    available_until: datetime | None = Field(default=None, description="Redeemable until then")

    @model_validator(mode="after")
    def _one_cost(self) -> Self:
        if (self.cost_points is None) == (not self.costs_full_card):
            raise ValueError("give either cost_points or costs_full_card: true")
        _window(self.available_from, self.available_until)
        return self


class RewardUpdate(RequestModel):
    """Change what is given (``null`` clears a limit or a window end); the cost's kind (points
    or a full card) stays. ``is_active: false`` archives the reward: it is no longer offered,
    and coupons already issued still work until they expire."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"is_active": False}, {"cost_points": 250, "stock": 40}]},
    )

    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
        | None
    ) = None
    cost_points: int | None = Field(default=None, ge=1, le=1_000_000)
    valid_days: int | None = Field(default=None, ge=1, le=3650)
    per_member_limit: int | None = Field(default=None, ge=1, le=10_000)
    stock: int | None = Field(default=None, ge=0, le=1_000_000)
    is_active: bool | None = None
    available_from: datetime | None = None
    available_until: datetime | None = None

    @model_validator(mode="after")
    def _window(self) -> Self:
        _window(self.available_from, self.available_until)
        for name in ("name", "valid_days", "is_active", "cost_points"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


def _window(start: datetime | None, end: datetime | None) -> None:
    for moment in (start, end):
        if moment is not None and moment.tzinfo is None:
            raise ValueError("give times with their UTC offset (2027-01-31T23:59:00+03:00)")
    if start is not None and end is not None and end <= start:
        raise ValueError("available_until must be after available_from")


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
    available_from: datetime | None
    available_until: datetime | None
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
