"""Queries of the console's design editor."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, select

from api.members.models import Member


def cards_of(session: Session, merchant_id: UUID, program_id: UUID) -> int:
    """How many cards a publish changes: one per member of the program."""
    query = select(func.count()).where(
        Member.merchant_id == merchant_id, Member.program_id == program_id
    )
    return int(session.exec(query).one())
