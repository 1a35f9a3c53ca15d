"""The messages outbox and the per-channel consent log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, Index, String
from sqlmodel import Field, SQLModel

from api.columns import UTCDateTime, merchant_fk, optional_timestamp, timestamp
from api.logs import request_id


class Channel(StrEnum):
    email = "email"
    sms = "sms"


class Kind(StrEnum):
    """Service messages (codes, the card link) need no marketing consent; marketing does."""

    service = "service"
    marketing = "marketing"


class Status(StrEnum):
    queued = "queued"
    claimed = "claimed"  # reserved by a sender's lease, not tried yet; past the lease, due again
    sending = "sending"  # claimed by a sender; if it stays so past its lease, the sender died
    sent = "sent"
    delivered = "delivered"
    failed = "failed"
    bounced = "bounced"


class Message(SQLModel, table=True):
    """One email or SMS to one member, written in the transaction of the change that caused it
    and sent after commit by the sender job. ``idempotency_key`` names the message for good:
    the same key is never queued twice, and providers that take a key receive it."""

    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_message_provider_id", "provider_id"),
    )

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    member_id: UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    program_id: UUID = Field(foreign_key="program.id", ondelete="CASCADE")
    channel: Channel = Field(sa_type=String(10))
    kind: Kind = Field(sa_type=String(10))
    template: str = Field(max_length=60)
    locale: str = Field(max_length=8)
    recipient: str = Field(max_length=254)  # the address or phone when it was queued
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    idempotency_key: str = Field(max_length=120, unique=True)
    campaign_id: UUID | None = Field(default=None, index=True)
    # The request that queued it (None for a job's): the sender logs with it.
    request_id: str | None = Field(default_factory=request_id.get, max_length=64)
    status: Status = Field(default=Status.queued, sa_type=String(10))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    provider: str | None = Field(default=None, max_length=20)
    provider_id: str | None = Field(default=None, max_length=100)
    segments: int | None = None  # SMS parts billed
    error: str | None = Field(default=None, max_length=300)
    created_at: datetime = timestamp()
    sent_at: datetime | None = optional_timestamp()
    updated_at: datetime = timestamp()


class Purpose(StrEnum):
    marketing = "marketing"
    service = "service"


class ChannelConsent(SQLModel, table=True):
    """A member's consent, or its withdrawal, for one channel and purpose: an append-only log
    (38-FZ and GDPR want to know what was agreed, when and how); the latest row counts."""

    __tablename__ = "channel_consent"
    __table_args__ = (
        Index("ix_channel_consent_member_channel", "member_id", "channel", "purpose"),
    )

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    member_id: UUID = Field(foreign_key="member.id", ondelete="CASCADE")
    channel: Channel = Field(sa_type=String(10))
    purpose: Purpose = Field(sa_type=String(10))
    is_granted: bool
    text_version: str | None = Field(default=None, max_length=40)  # the consent text shown
    source: str = Field(max_length=30)  # join_page, console, api, unsubscribe_link, sms_stop
    # the store whose QR code the join page was opened from, where there was one
    store_id: UUID | None = Field(default=None, foreign_key="store.id", ondelete="SET NULL")
    recorded_at: datetime = timestamp()
