"""Request and response bodies for the wheel of fortune."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.validation import RequestModel


class PrizeKind(StrEnum):
    points = "points"
    coupon = "coupon"
    nothing = "nothing"


class Prize(RequestModel):
    """One segment of the wheel; its chance is ``weight`` over the sum of all weights."""

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    kind: PrizeKind
    points: int | None = Field(default=None, ge=1, le=100_000)
    reward_id: UUID | None = Field(default=None, description="The reward a coupon prize gives")
    weight: int = Field(ge=1, le=10_000)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if (self.kind is PrizeKind.points) != (self.points is not None):
            raise ValueError("a points prize, and only a points prize, gives points")
        if (self.kind is PrizeKind.coupon) != (self.reward_id is not None):
            raise ValueError("a coupon prize, and only a coupon prize, names a reward_id")
        return self


class WheelConfig(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "min_purchase": "300",
                    "prizes": [
                        {"label": "50 points", "kind": "points", "points": 50, "weight": 3},
                        {"label": "No luck", "kind": "nothing", "weight": 7},
                    ],
                    "daily_prize_cap": 20,
                }
            ]
        },
    )

    is_active: bool = True
    min_purchase: Decimal = Field(
        ge=0, le=Decimal("1000000000"), max_digits=14, decimal_places=2,
        description="A purchase of at least this amount grants one spin",
    )  # fmt: skip
    prizes: list[Prize] = Field(min_length=2, max_length=12)
    daily_prize_cap: int | None = Field(default=None, ge=0, description="Prizes per day, at most")
    monthly_prize_cap: int | None = Field(default=None, ge=0)


class PrizeOdds(BaseModel):
    label: str
    kind: PrizeKind
    points: int | None
    weight: int
    percent: float


class WheelPublic(BaseModel):
    program_id: UUID
    is_active: bool
    min_purchase: Decimal
    prizes: list[PrizeOdds]
    daily_prize_cap: int | None
    monthly_prize_cap: int | None
    starts_at: datetime


class SpinResult(BaseModel):
    """What the browser animates: the segment the server drew, and what it gave."""

    spin_id: UUID
    prize_index: int
    segments: int
    label: str
    kind: PrizeKind
    points: int
    coupon_code: str | None
    spins_left: int
