"""HTTP routes for programs."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from api.deps import AdminCaller, DesignsDep, ReaderCaller, SessionDep
from api.paging import Page, Paging
from api.programs import service as program_service
from api.programs.schemas import ProgramCreate, ProgramPublic

router = APIRouter(prefix="/api/v1/programs", tags=["programs"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_program(
    data: ProgramCreate,
    session: SessionDep,
    caller: AdminCaller,
    designs: DesignsDep,
) -> ProgramPublic:
    """Create a loyalty program (points, or stamps with `stamps_required`) with a card design."""
    program = program_service.create_program(
        session,
        caller.merchant_id,
        data,
        designs=designs.starters,
    )
    return ProgramPublic.of(program)


@router.get("")
def list_programs(session: SessionDep, caller: ReaderCaller, page: Paging) -> Page[ProgramPublic]:
    """The merchant's programs, oldest first, a page at a time."""
    programs, total = program_service.page_programs(session, caller.merchant_id, page)
    return Page.of([ProgramPublic.of(p) for p in programs], total, page)


@router.get("/{program_id}")
def get_program(program_id: UUID, session: SessionDep, caller: ReaderCaller) -> ProgramPublic:
    """One program. Another merchant's program is 404, like a missing one."""
    return ProgramPublic.of(program_service.get_program(session, caller.merchant_id, program_id))
