"""What a member agreed to on the join page."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, timestamp


class MemberConsent(SQLModel, table=True):
    """One accepted consent: the exact text version shown, in which language, when, and from
    which store's QR code. A form sent again with a known contact adds nothing: whoever sent it
    has not proven the contact is theirs."""

    __tablename__ = "member_consent"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    member_id: UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    text_version: str = Field(max_length=40)
    locale: str = Field(max_length=8)
    channel: str = Field(default="join_page", max_length=20)
    store_id: UUID | None = Field(default=None, foreign_key="store.id", ondelete="SET NULL")
    is_new_member: bool = True
    accepted_at: datetime = timestamp()
