"""A staff member's life at the merchant: moved to another store, made a manager, given a new
PIN or code, deactivated when they leave. Anything that changes how they sign in signs them
out of every scanner at once."""

from __future__ import annotations

import logging
from uuid import UUID

from sqlmodel import Session

from api.staff import repository
from api.staff.errors import StaffNotFound
from api.staff.models import Staff
from api.staff.schemas import StaffUpdate
from api.staff.service import hash_pin, new_code
from api.stores import repository as store_repository
from api.stores.errors import StoreNotFound

logger = logging.getLogger(__name__)


def get_staff(session: Session, merchant_id: UUID, staff_id: UUID) -> Staff:
    """Raises: StaffNotFound (also for another merchant's staff)."""
    staff = repository.get(session, merchant_id, staff_id)
    if staff is None:
        raise StaffNotFound()
    return staff


def update_staff(session: Session, merchant_id: UUID, staff_id: UUID, data: StaffUpdate) -> Staff:
    """Apply what ``data`` gives. Deactivating, a new PIN and a new code end every scanner
    session of the staff member before this returns; a new PIN also lifts a lockout.

    Raises:
        StaffNotFound: not this merchant's staff member.
        StoreNotFound: the new store is not this merchant's.
    """
    staff = repository.lock(session, merchant_id, staff_id)
    if staff is None:
        raise StaffNotFound()
    if data.store_id is not None and data.store_id != staff.store_id:
        if store_repository.get(session, merchant_id, data.store_id) is None:
            raise StoreNotFound()
        staff.store_id = data.store_id
    if data.name is not None:
        staff.name = data.name
    if data.role is not None:
        staff.role = data.role
    signs_out = False
    if data.is_active is not None and data.is_active != staff.is_active:
        staff.is_active = data.is_active
        signs_out = not data.is_active
    if data.pin is not None:
        staff.pin_hash = hash_pin(data.pin)
        staff.failed_attempts, staff.locked_until = 0, None
        signs_out = True
    if data.new_code:
        staff.code = new_code(session)
        signs_out = True
    session.add(staff)
    if signs_out:
        repository.end_sessions(session, staff.id)
        logger.info("staff signed out everywhere", extra={"staff_id": str(staff.id)})
    session.flush()
    return staff
