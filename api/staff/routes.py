"""HTTP routes for managing staff: who may sign in to the scanner, at which store."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from api.audit import service as audit
from api.deps import AdminCaller, SessionDep
from api.paging import Page, Paging
from api.staff import service as staff_service
from api.staff.lifecycle import get_staff, update_staff
from api.staff.schemas import StaffCreate, StaffPublic, StaffUpdate

router = APIRouter(prefix="/api/v1", tags=["staff"])


@router.post("/staff", status_code=status.HTTP_201_CREATED)
def create_staff(data: StaffCreate, session: SessionDep, caller: AdminCaller) -> StaffPublic:
    """Add a staff member to a store; they sign in to `/scan` with the returned `code` and
    their PIN."""
    staff = staff_service.create_staff(session, caller.merchant_id, data)
    audit.record(session, caller, "staff.created", "staff", staff.id, None, StaffPublic.of(staff))
    return StaffPublic.of(staff)


@router.get("/staff")
def list_staff(session: SessionDep, caller: AdminCaller, page: Paging) -> Page[StaffPublic]:
    """The merchant's staff, in the order they were added, a page at a time."""
    staff, total = staff_service.page_staff(session, caller.merchant_id, page)
    return Page.of([StaffPublic.of(s) for s in staff], total, page)


@router.get("/staff/{staff_id}")
def read_staff(staff_id: UUID, session: SessionDep, caller: AdminCaller) -> StaffPublic:
    """One staff member: store, role, whether active, last sign-in, a sign-in lockout."""
    return StaffPublic.of(get_staff(session, caller.merchant_id, staff_id))


@router.patch("/staff/{staff_id}")
def change_staff(
    staff_id: UUID, data: StaffUpdate, session: SessionDep, caller: AdminCaller
) -> StaffPublic:
    """Move a staff member, change their role, give a new PIN or code, or deactivate them
    (`{"is_active": false}` when they leave). Deactivating and a new PIN or code sign them
    out of every scanner at once."""
    before = StaffPublic.of(get_staff(session, caller.merchant_id, staff_id)).model_dump(
        mode="json"
    )
    staff = StaffPublic.of(update_staff(session, caller.merchant_id, staff_id, data))
    audit.record(session, caller, "staff.updated", "staff", staff_id, before, staff)
    return staff
