"""Request and response models of webhook endpoints, events and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args
from uuid import UUID

from pydantic import BaseModel, Field

from api.validation import RequestModel

EventType = Literal[
    "member.created",
    "member.updated",
    "member.erased",
    "card.installed",
    "card.removed",
    "transaction.created",
    "transaction.refunded",
    "tier.changed",
    "reward.redeemed",
    "coupon.used",
    "campaign.finished",
]


class EndpointCreate(RequestModel):
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    events: list[EventType] = Field(default_factory=list, description="empty: every event")


class EndpointUpdate(RequestModel):
    url: str | None = Field(default=None, max_length=2000)
    description: str | None = Field(default=None, max_length=200)
    events: list[EventType] | None = None
    is_enabled: bool | None = Field(default=None, description="true re-enables a disabled one")


class EndpointPublic(BaseModel):
    id: UUID
    url: str
    description: str
    events: list[str]
    is_enabled: bool
    failing_since: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None
    rotation_ends_at: datetime | None
    created_at: datetime


class EndpointWithSecret(EndpointPublic):
    """Answered once, on creation and on rotation: the secret is never shown again."""

    secret: str


class RotateSecret(RequestModel):
    grace_hours: int = Field(default=24, ge=0, le=168, description="the old secret stays valid")


class DeliveryPublic(BaseModel):
    id: UUID
    event_id: UUID
    event_type: str
    status_code: int | None
    is_success: bool
    latency_ms: int
    response_excerpt: str
    created_at: datetime


class Replay(RequestModel):
    event_id: UUID | None = Field(default=None, description="absent: every failed event")


class Replayed(BaseModel):
    replayed: int


EVENT_TYPES: tuple[str, ...] = get_args(EventType)
