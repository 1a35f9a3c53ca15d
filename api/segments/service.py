"""Saved segments and audience counts: how many members a filter selects now."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlmodel import Session

from api.paging import PageRequest
from api.programs import service as program_service
from api.segments import repository as segment_repository
from api.segments import rfm
from api.segments.errors import SegmentNotFound
from api.segments.filters import SegmentFilter, members_query
from api.segments.models import Segment


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
    saved = segment_repository.get(session, segment_id)
    if saved is None or saved.merchant_id != merchant_id:
        raise SegmentNotFound()
    return saved


def list_for_program(session: Session, merchant_id: UUID, program_id: UUID) -> list[Segment]:
    program = program_service.get_program(session, merchant_id, program_id)
    return segment_repository.list_for_program(session, program.id)


def rfm_groups(
    session: Session, merchant_id: UUID, program_id: UUID, *, now: datetime
) -> dict[str, int]:
    """Members per RFM group, recomputed first when a member has no score or bought since.

    Raises: ProgramNotFound."""
    program = program_service.get_program(session, merchant_id, program_id)
    rfm.refresh_if_stale(session, program, now)
    return segment_repository.rfm_group_sizes(session, program.id)


def _fresh_scores(
    session: Session, merchant_id: UUID, program_id: UUID, segment: SegmentFilter, now: datetime
) -> None:
    """A filter on RFM groups reads scores that are current (see ``rfm.refresh_if_stale``)."""
    if segment.rfm_groups:
        program = program_service.get_program(session, merchant_id, program_id)
        rfm.refresh_if_stale(session, program, now)


def audience_count(
    session: Session, merchant_id: UUID, program_id: UUID, segment: SegmentFilter, now: datetime
) -> int:
    """How many members of the program ``segment`` selects now."""
    _fresh_scores(session, merchant_id, program_id, segment, now)
    return segment_repository.count(
        session, members_query(merchant_id, program_id, segment, now=now)
    )


def audience(
    session: Session, merchant_id: UUID, program_id: UUID, segment: SegmentFilter, now: datetime
) -> list[UUID]:
    """The members of the program ``segment`` selects now."""
    _fresh_scores(session, merchant_id, program_id, segment, now)
    return segment_repository.ids(session, members_query(merchant_id, program_id, segment, now=now))


def count_audience(
    session: Session, merchant_id: UUID, program_id: UUID, segment: SegmentFilter, *,
    now: datetime,
) -> int:  # fmt: skip
    """:func:`audience_count` of one of the merchant's programs.

    Raises:
        ProgramNotFound: not the merchant's program.
    """
    program = program_service.get_program(session, merchant_id, program_id)
    return audience_count(session, merchant_id, program.id, segment, now)


def create_counted(
    session: Session, merchant_id: UUID, program_id: UUID, name: str, segment: SegmentFilter,
    *, now: datetime,
) -> tuple[Segment, int]:  # fmt: skip
    """:func:`create`, with the members the new segment selects now."""
    saved = create(session, merchant_id, program_id, name, segment, now=now)
    return saved, audience_count(session, merchant_id, saved.program_id, segment, now)


def list_counted(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest, *, now: datetime
) -> tuple[list[tuple[Segment, int]], int]:
    """A page of the saved segments, oldest first, with the members each selects now.

    Raises: ProgramNotFound."""
    program = program_service.get_program(session, merchant_id, program_id)
    segments, total = segment_repository.page_for_program(session, program.id, page)
    return [
        (
            s,
            audience_count(
                session, merchant_id, s.program_id, SegmentFilter.model_validate(s.filter), now
            ),
        )  # fmt: skip
        for s in segments
    ], total
