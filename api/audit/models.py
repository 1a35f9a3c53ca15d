"""The audit log's one table."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, timestamp


class AuditEntry(SQLModel, table=True):
    """One admin or staff action. ``object_id`` is text with no foreign key, so the entry
    outlives the object it names (a deleted reward, an erased member)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_merchant_id_created_at", "merchant_id", "created_at"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    actor_kind: str = Field(max_length=10)  # key, account, staff, operator
    actor_id: UUID | None = None
    actor_label: str = Field(max_length=120)
    action: str = Field(max_length=60)  # "<object_type>.<verb>": reward.created
    object_type: str = Field(max_length=40)
    object_id: str | None = Field(default=None, max_length=64, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    address: str | None = Field(default=None, max_length=64)
    created_at: datetime = timestamp()
