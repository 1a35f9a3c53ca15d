"""Console sign-ins."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlmodel import Field, SQLModel

from api.columns import UTCDateTime, merchant_fk, timestamp


class ConsoleSession(SQLModel, table=True):
    """A console signed in with an API key; the cookie carries the token, the table its
    SHA-256. Revoking the key ends its sessions (every request re-checks the key)."""

    __tablename__ = "console_session"

    token_hash: str = Field(max_length=64, primary_key=True)
    merchant_id: UUID = merchant_fk()
    api_key_id: UUID = Field(foreign_key="api_key.id", index=True, ondelete="CASCADE")
    expires_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = timestamp()
