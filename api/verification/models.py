"""A one-time code sent to a contact, waiting to be typed in."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, optional_timestamp, timestamp


class ContactChallenge(SQLModel, table=True):
    """One code sent (or, for a contact with no card, pretended to be sent: the row is the same
    so the two cases cannot be told apart). The code itself is never stored, only an HMAC of it
    keyed by the row's id; ``attempts`` counts typed codes, right or wrong."""

    __tablename__ = "contact_challenge"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", ondelete="CASCADE")
    member_id: UUID | None = Field(default=None, foreign_key="member.id", ondelete="CASCADE")
    channel: str = Field(max_length=10)
    masked_contact: str = Field(max_length=80)
    code_hash: str = Field(max_length=64)
    attempts: int = 0
    expires_at: datetime = timestamp()
    used_at: datetime | None = optional_timestamp()
    created_at: datetime = timestamp(index=True)
