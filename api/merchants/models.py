"""Merchants (tenants) and their API keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, optional_timestamp, timestamp


class Role(StrEnum):
    admin = "admin"
    pos = "pos"
    read = "read"


class Merchant(SQLModel, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    name: str = Field(max_length=200)
    created_at: datetime = timestamp()


class ApiKey(SQLModel, table=True):
    """An API key, stored as a SHA-256 hash of its secret; shown in full only once."""

    __tablename__ = "api_key"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    name: str = Field(max_length=100)
    role: Role = Field(sa_type=String(10))
    prefix: str = Field(max_length=16, unique=True)
    secret_hash: str = Field(max_length=64)
    created_at: datetime = timestamp()
    revoked_at: datetime | None = optional_timestamp()
