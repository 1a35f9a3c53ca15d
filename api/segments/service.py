"""Saved segments and audience counts."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlmodel import Session, col

from api.errors import NotFound
from api.programs import service as program_service
from api.segments.filters import SegmentFilter
from api.segments.models import MemberRfm, Segment


class SegmentNotFound(NotFound):
    code, title = "segment_not_found", "Segment not found"


def create(
    session: Session, merchant_id: UUID, program_id: UUID, name: str, segment: SegmentFilter,
    *, now: datetime,
) -> Segment:  # fmt: skip
    program = program_service.get_program(session, merchant_id, program_id)
    saved = Segment(
        merchant_id=merchant_id,
        program_id=program.id,
        name=name,
        filter=segment.model_dump(mode="json", exclude_none=True),
        created_at=now,
    )
    session.add(saved)
    session.flush()
    return saved


def get(session: Session, merchant_id: UUID, segment_id: UUID) -> Segment:
    saved = session.get(Segment, segment_id)
    if saved is None or saved.merchant_id != merchant_id:
        raise SegmentNotFound()
    return saved


def list_for_program(session: Session, merchant_id: UUID, program_id: UUID) -> list[Segment]:
    program = program_service.get_program(session, merchant_id, program_id)
    query = select(Segment).where(col(Segment.program_id) == program.id)
    return list(session.execute(query.order_by(col(Segment.name))).scalars())


def rfm_groups(session: Session, merchant_id: UUID, program_id: UUID) -> dict[str, int]:
    """Members per RFM group, as of the last daily computation."""
    program = program_service.get_program(session, merchant_id, program_id)
    rows = session.execute(
        select(col(MemberRfm.group), func.count())
        .where(col(MemberRfm.program_id) == program.id)
        .group_by(col(MemberRfm.group))
    ).all()
    return {group: int(count) for group, count in rows}
