"""Queries for the public card routes."""

from __future__ import annotations

from sqlmodel import Session, select

from api.programs.models import Program, ProgramKind


def stamp_total_in_use(session: Session, design: str, stamps_required: int) -> bool:
    """Whether some stamp program shows ``design`` with ``stamps_required`` stamps. Across
    merchants on purpose: it only bounds which public stamp pictures are drawn (a design's
    pictures are public, like its images), and reveals no merchant's data."""
    query = select(Program.id).where(
        Program.design == design,
        Program.kind == ProgramKind.stamps,
        Program.stamps_required == stamps_required,
    )
    return session.exec(query.limit(1)).first() is not None
