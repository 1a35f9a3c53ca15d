"""Web Push tables: a browser's subscription to a card's notifications (coalesced pending
notification, retry state, the per-card budget window) and the installation's VAPID key."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import String, Text
from sqlmodel import Field, SQLModel

from api.columns import merchant_scope, optional_timestamp, timestamp


class WebPushSubscription(SQLModel, table=True):
    """One browser's push subscription for one card. The endpoint and keys are secrets of the
    member's browser: never logged, never returned."""

    __tablename__ = "webpush_subscription"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_scope()
    card_id: UUID = Field(foreign_key="card.id", index=True, ondelete="CASCADE")
    endpoint: str = Field(sa_type=String(1000), unique=True)
    p256dh: str = Field(sa_type=String(100))
    auth: str = Field(sa_type=String(40))
    language: str = Field(sa_type=String(5))
    created_at: datetime = timestamp()
    # A notification waiting to be sent (many changes, one notification); its text if a
    # campaign or automation gave one, else the balance is shown.
    pending_since: datetime | None = optional_timestamp()
    pending_message: str | None = Field(default=None, sa_type=String(500))
    generation: int = 0  # bumped by every change, so a send in flight does not clear a newer
    attempts: int = 0
    next_attempt_at: datetime | None = optional_timestamp()
    leased_until: datetime | None = optional_timestamp()
    # The card's budget: notifications shown in the current window (see api.delivery.budgets).
    window_start: datetime | None = optional_timestamp()
    window_sent: int = 0
    last_sent_at: datetime | None = optional_timestamp()
    last_status: str | None = Field(default=None, sa_type=String(60))


class WebPushKey(SQLModel, table=True):
    """The installation's VAPID key pair (one row), made on first start."""

    __tablename__ = "webpush_key"

    id: int = Field(primary_key=True)
    private_key: str = Field(sa_type=Text)
    created_at: datetime = timestamp()
