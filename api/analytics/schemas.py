"""The analytics answer: one model per question the sources ask of a loyalty program."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, Field


class Checks(BaseModel):
    """Purchases in the period: how many, by how many members, and the average check."""

    purchases: int
    buyers: int = Field(description="members with a purchase in the period")
    revenue: Decimal = Field(description="net of refunds")
    average_check: Decimal | None = Field(description="revenue / purchases")
    frequency: float | None = Field(description="purchases per buyer in the period")
    goal: Decimal | None = Field(description="the average check the merchant aims for")
    goal_reached: bool | None
    goal_gap: Decimal | None = Field(description="average check - goal (negative: below)")


class CameBack(BaseModel):
    days: int
    members: int
    rate: float | None


class Return(BaseModel):
    """Who comes back: buyers with two purchases or more in the period, and members whose
    first purchase was in the period who bought again within 30, 60 and 90 days of it."""

    buyers: int
    returning: int
    rate: float | None = Field(description="returning / buyers")
    first_time_buyers: int
    came_back: list[CameBack]


class PointsFlow(BaseModel):
    """Points issued (earned and bonuses), redeemed and expired in the period; what members
    hold now and what it is worth at ``point_value`` per point."""

    issued: int
    redeemed: int
    expired: int
    redemption_rate: float | None = Field(description="redeemed / issued")
    outstanding: int
    point_value: Decimal
    liability: Decimal


class StoreEnrolments(BaseModel):
    store_id: UUID
    store_name: str
    members: int


class StaffActivity(BaseModel):
    staff: str = Field(description="code and name, as the scanner signs its transactions")
    purchases: int
    members: int
    first_purchases: int = Field(description="members whose first purchase this was")


class Enrolments(BaseModel):
    total: int
    by_store: list[StoreEnrolments] = Field(description="joined by a store's QR code")
    without_store: int
    by_staff: list[StaffActivity] = Field(description="purchases the scanner recorded")


class Cohort(BaseModel):
    month: str = Field(description="the month the members joined, YYYY-MM")
    members: int
    active: list[int] = Field(description="members who bought, per month since joining (0...)")
    retention: list[float] = Field(description="active / members, per month since joining")


class Analytics(BaseModel):
    program_id: UUID
    currency: str
    from_date: date = Field(serialization_alias="from")
    to_date: date = Field(serialization_alias="to")
    checks: Checks
    returns: Return
    points: PointsFlow
    enrolments: Enrolments
    cohorts: list[Cohort]
