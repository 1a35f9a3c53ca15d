"""Actions that earn points without a purchase: a program's rules, what members did, and
their feedback on purchases."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, timestamp


class ActionRule(SQLModel, table=True):
    """``points`` for an action of ``kind`` (feedback, review, share, profile_completed,
    custom:<name>), at most ``cap`` awarded per member per ``period`` (day, week, month in
    the program's time zone, or ever; no cap when ``cap`` is None)."""

    __tablename__ = "action_rule"
    __table_args__ = (UniqueConstraint("program_id", "kind"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=50)
    points: int
    cap: int | None = None
    period: str = Field(default="day", sa_type=String(10))
    is_active: bool = True
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class ActionEvent(SQLModel, table=True):
    """One action a member did, once per (member, kind, reference): a retry with the same
    reference is the same action. ``points`` is 0 when the cap was reached."""

    __tablename__ = "action_event"
    __table_args__ = (UniqueConstraint("member_id", "kind", "reference"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    member_id: UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=50)
    reference: str = Field(max_length=100)
    points: int = 0
    transaction_id: UUID | None = Field(default=None, foreign_key="transaction.id")
    created_at: datetime = timestamp(index=True)


class Feedback(SQLModel, table=True):
    """A member's rating (1-5) and comment on one of their purchases, once per purchase."""

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", index=True, ondelete="CASCADE")
    member_id: UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    transaction_id: UUID = Field(foreign_key="transaction.id", unique=True, ondelete="CASCADE")
    rating: int
    comment: str | None = Field(default=None, max_length=500)
    points: int = 0
    created_at: datetime = timestamp(index=True)
