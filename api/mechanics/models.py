"""The history of a program's rules: one row per change."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, timestamp


class RulesVersion(SQLModel, table=True):
    """One change of a program's rules: who made it, when, the document before and after, and
    which breaking changes they confirmed. Version 1 is the rules the program started with
    (recorded when they first change); the history only grows, a roll back is a new version."""

    __tablename__ = "rules_version"
    __table_args__ = (UniqueConstraint("program_id", "version"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", index=True, ondelete="CASCADE")
    version: int
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    confirmed: list[str] = Field(default_factory=list, sa_type=JSON)
    changed_by: UUID | None = None  # the API key; None for the rules the program started with
    changed_at: datetime = timestamp()
