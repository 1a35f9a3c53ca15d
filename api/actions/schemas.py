"""Request and response models of actions and feedback."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from api.actions.models import ActionEvent, ActionRule, Feedback
from api.validation import RequestModel

ActionKind = Annotated[
    str,
    Field(
        max_length=50,
        pattern=r"^(feedback|review|share|profile_completed|custom:[a-z0-9_-]{1,40})$",
        description="feedback, review, share, profile_completed or custom:<name>",
    ),
]


class CapPeriod(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    ever = "ever"


class ActionRuleCreate(RequestModel):
    kind: ActionKind
    points: int = Field(ge=1, le=1_000_000)
    cap: int | None = Field(default=None, ge=1, le=1000, description="per member per period")
    period: CapPeriod = CapPeriod.day


class ActionRuleUpdate(RequestModel):
    points: int | None = Field(default=None, ge=1, le=1_000_000)
    cap: int | None = Field(default=None, ge=1, le=1000)
    period: CapPeriod | None = None
    is_active: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("nothing to change")
        return self


class ActionRulePublic(BaseModel):
    id: UUID
    program_id: UUID
    kind: str
    points: int
    cap: int | None
    period: CapPeriod
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, rule: ActionRule) -> Self:
        return cls.model_validate(rule, from_attributes=True)


class ActionRequest(RequestModel):
    kind: ActionKind
    reference: str = Field(
        min_length=1, max_length=100, description="the action's id on your side (idempotency)"
    )


class ActionResult(BaseModel):
    id: UUID
    member_id: UUID
    kind: str
    reference: str
    points: int
    capped: bool
    transaction_id: UUID | None
    balance: int
    created_at: datetime

    @classmethod
    def of(cls, event: ActionEvent, *, balance: int) -> Self:
        return cls(
            id=event.id,
            member_id=event.member_id,
            kind=event.kind,
            reference=event.reference,
            points=event.points,
            capped=event.transaction_id is None,
            transaction_id=event.transaction_id,
            balance=balance,
            created_at=event.created_at,
        )


class FeedbackPublic(BaseModel):
    id: UUID
    member_id: UUID
    transaction_id: UUID
    rating: int
    comment: str | None
    points: int
    created_at: datetime

    @classmethod
    def of(cls, feedback: Feedback) -> Self:
        return cls.model_validate(feedback, from_attributes=True)
