"""Stored responses of writes sent with an ``Idempotency-Key``."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.columns import merchant_scope, timestamp


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("merchant_id", "key"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_scope()
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    status_code: int = 0
    body: dict[str, object] | list[object] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = timestamp()
