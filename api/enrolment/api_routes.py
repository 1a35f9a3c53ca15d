"""HTTP route for enrolling a member with an API key (the join page is ``routes.py``)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status
from sqlmodel import Session

from api.deps import PosWork, SettingsDep
from api.enrolment import service as enrolment_service
from api.enrolment.schemas import MemberEnrol
from api.ledger.postings import Actor
from api.members import service as member_service
from api.members.schemas import MemberPublic
from api.merchants.service import Caller

router = APIRouter(prefix="/api/v1", tags=["members"])


@router.post(
    "/programs/{program_id}/members",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "A member with this phone or email already exists"}},
)
async def enrol_member(
    program_id: UUID,
    data: MemberEnrol,
    response: Response,
    work: PosWork,
    settings: SettingsDep,
) -> MemberPublic:
    """Enrol a member (phone or email required) and issue the card.

    Enrolling the same phone or email again returns the existing member with status 200 and
    changes nothing but adding tags (a ``marketing_consent`` is recorded for a new member only).
    """

    def write(session: Session, caller: Caller) -> MemberPublic:  # one thread hop: PosWork
        member, card, is_new = enrolment_service.enrol_with_consent(
            session, caller.merchant_id, program_id, data, actor=Actor(caller.label, caller.key_id)
        )
        if not is_new:
            response.status_code = status.HTTP_200_OK
        return member_service.public(
            session, member, card, public_url=settings.public_url, google=settings.google_enabled
        )

    return await work.run(write)
