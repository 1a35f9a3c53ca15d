"""The scanner's sign-in dependency: which staff member is signed in, at which store."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.clock import utcnow
from api.deps import SessionDep
from api.pages.sessions import SessionCookie, SignInRequired
from api.staff import service as staff_service
from api.staff.service import SignedInStaff

COOKIE = SessionCookie("lp_staff", "/scan", staff_service.SESSION_LENGTH)


def get_staff_user(request: Request, session: SessionDep) -> SignedInStaff | None:
    return staff_service.signed_in(session, COOKIE.token(request), now=utcnow())


MaybeStaffUser = Annotated[SignedInStaff | None, Depends(get_staff_user)]


async def require_staff_user(user: MaybeStaffUser) -> SignedInStaff:
    """The signed-in staff member; anyone else is sent to the sign-in form."""
    if user is None:
        raise SignInRequired(COOKIE.path)
    return user


StaffUser = Annotated[SignedInStaff, Depends(require_staff_user)]
