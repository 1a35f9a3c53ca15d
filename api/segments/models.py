"""Saved segments of a program's members, and each member's RFM scores."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, timestamp


class Segment(SQLModel, table=True):
    """A named filter over member stats (see ``SegmentFilter``), evaluated when used."""

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    filter: dict[str, object] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = timestamp()


class MemberRfm(SQLModel, table=True):
    """Recency, frequency and monetary scores 1-5 (quintiles within the program) and the
    named group they put the member in; recomputed daily by the worker."""

    __tablename__ = "member_rfm"

    member_id: UUID = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    merchant_id: UUID = Field(index=True)
    program_id: UUID = Field(index=True)
    recency: int
    frequency: int
    monetary: int
    group: str = Field(max_length=20, index=True)
    computed_at: datetime = timestamp()
