"""The transactional outbox: rows written in the same transaction as a card change, and
consumed after commit by the wallet pushers (Apple, Google). A crash loses nothing: an
unprocessed row is picked up again."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Integer, String
from sqlmodel import Field, SQLModel

from api.columns import merchant_scope, optional_timestamp, timestamp
from api.logs import request_id


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_event"

    id: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),  # SQLite autoincrements INTEGER
    )
    merchant_id: UUID = merchant_scope()
    card_id: UUID = Field(foreign_key="card.id", index=True, ondelete="CASCADE")
    kind: str = Field(sa_type=String(30))
    card_version: int
    message: str | None = Field(default=None, max_length=500)
    campaign_id: UUID | None = Field(default=None, index=True)
    # The request that made the change (None for a job's own): the pushers log with it.
    request_id: str | None = Field(default_factory=request_id.get, max_length=64)
    created_at: datetime = timestamp()
    apple_done_at: datetime | None = optional_timestamp()
    google_done_at: datetime | None = optional_timestamp()
    webpush_done_at: datetime | None = optional_timestamp()
