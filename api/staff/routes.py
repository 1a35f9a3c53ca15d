"""HTTP routes for managing staff: who may sign in to the scanner, at which store."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import AdminCaller, SessionDep
from api.paging import Page, Paging
from api.staff import service as staff_service
from api.staff.schemas import StaffCreate, StaffPublic

router = APIRouter(prefix="/api/v1", tags=["staff"])


@router.post("/staff", status_code=status.HTTP_201_CREATED)
def create_staff(data: StaffCreate, session: SessionDep, caller: AdminCaller) -> StaffPublic:
    """Add a staff member to a store; they sign in to `/scan` with the returned `code` and
    their PIN."""
    return StaffPublic.of(staff_service.create_staff(session, caller.merchant_id, data))


@router.get("/staff")
def list_staff(session: SessionDep, caller: AdminCaller, page: Paging) -> Page[StaffPublic]:
    """The merchant's staff, in the order they were added, a page at a time."""
    staff, total = staff_service.page_staff(session, caller.merchant_id, page)
    return Page.of([StaffPublic.of(s) for s in staff], total, page)
