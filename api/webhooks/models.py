"""Webhook tables: a merchant's endpoints, one event row per (endpoint, change), and the log
of every delivery attempt."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import JSON, Index, String, Text
from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, optional_timestamp, timestamp
from api.logs import request_id


class WebhookEndpoint(SQLModel, table=True):
    """Where a merchant wants events: an https URL, the event types (empty: all), the secret
    (``whsec_`` + base64) and, during a rotation, the previous one until it expires."""

    __tablename__ = "webhook_endpoint"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    events: list[str] = Field(default_factory=list, sa_type=JSON)
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_expires_at: datetime | None = optional_timestamp()
    is_enabled: bool = True
    # The first failure since the last success; failing for DISABLE_AFTER disables it.
    failing_since: datetime | None = optional_timestamp()
    disabled_at: datetime | None = optional_timestamp()
    disabled_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = timestamp()


class WebhookEvent(SQLModel, table=True):
    """One change for one endpoint: its Standard Webhooks payload, written in the change's own
    transaction (so a rolled-back change has none), then delivered until it succeeds or is
    dead-lettered (``status`` ``failed``) after the retry window."""

    __tablename__ = "webhook_event"
    __table_args__ = (Index("ix_webhook_event_due", "status", "next_attempt_at"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    endpoint_id: UUID = Field(foreign_key="webhook_endpoint.id", index=True, ondelete="CASCADE")
    type: str = Field(max_length=50)
    body: str = Field(sa_type=Text)
    status: str = Field(default="pending", sa_type=String(10))  # pending|delivered|failed
    attempts: int = 0
    next_attempt_at: datetime = timestamp()
    # The request that caused the event: sent as X-Request-ID and logged by the sender.
    request_id: str | None = Field(default_factory=request_id.get, max_length=64)
    delivered_at: datetime | None = optional_timestamp()
    created_at: datetime = timestamp()


class WebhookDelivery(SQLModel, table=True):
    """One attempt to deliver an event: the answer's status (None: no answer), how long it
    took, and the start of the answer's body (at most 500 characters)."""

    __tablename__ = "webhook_delivery"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    endpoint_id: UUID = Field(foreign_key="webhook_endpoint.id", index=True, ondelete="CASCADE")
    event_id: UUID = Field(foreign_key="webhook_event.id", index=True, ondelete="CASCADE")
    status_code: int | None = None
    is_success: bool = False
    latency_ms: int = 0
    response_excerpt: str = Field(default="", max_length=500)
    created_at: datetime = timestamp()
