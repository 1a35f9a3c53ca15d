"""What the purchases of a program spent on surprises, per month."""

from __future__ import annotations

from uuid import UUID

from sqlmodel import Field, SQLModel


class SurpriseBudget(SQLModel, table=True):
    """Points a program's surprises granted in one calendar month (``YYYY-MM`` in the
    program's time zone); one atomic upsert per surprise keeps it within the budget."""

    __tablename__ = "surprise_budget"

    program_id: UUID = Field(foreign_key="program.id", primary_key=True, ondelete="CASCADE")
    month: str = Field(max_length=7, primary_key=True)
    spent_points: int = 0
    surprises: int = 0
