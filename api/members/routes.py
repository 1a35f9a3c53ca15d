"""HTTP routes for members."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response, status

from api.deps import CallerDep, SessionDep, SettingsDep
from api.ledger.postings import Actor
from api.members import service as member_service
from api.members.schemas import MemberCreate, MemberPage, MemberPublic, MemberTags
from api.merchants.models import Role

router = APIRouter(prefix="/api/v1", tags=["members"])


@router.post(
    "/programs/{program_id}/members",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "A member with this phone or email already exists"}},
)
def enrol_member(
    program_id: UUID,
    data: MemberCreate,
    response: Response,
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
) -> MemberPublic:
    """Enrol a member (phone or email required) and issue the card.

    Enrolling the same phone or email again returns the existing member with status 200.
    """
    caller.require(Role.pos)
    member, card, is_new = member_service.enrol(
        session, caller.merchant_id, program_id, data, actor=Actor(caller.label, caller.key_id)
    )
    if not is_new:
        response.status_code = status.HTTP_200_OK
    return member_service.public(
        session, member, card, public_url=settings.public_url, google=settings.google_enabled
    )


@router.get("/members")
def search_members(
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
    query: Annotated[
        str | None, Query(max_length=100, description="name, phone, email or card number")
    ] = None,
    program_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> MemberPage:
    """Find members by name, phone, email or card number, newest first."""
    caller.require(Role.pos, Role.read)
    return member_service.search(
        session,
        caller.merchant_id,
        query=query,
        program_id=program_id,
        limit=limit,
        offset=offset,
        public_url=settings.public_url,
        google=settings.google_enabled,
    )


@router.get("/members/by-barcode/{barcode}")
def member_by_barcode(
    barcode: Annotated[str, Path(min_length=1, max_length=64)],
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
) -> MemberPublic:
    """The member whose card shows this barcode (what the staff scanner reads)."""
    caller.require(Role.pos, Role.read)
    member, card = member_service.get_by_barcode(session, caller.merchant_id, barcode)
    return member_service.public(
        session, member, card, public_url=settings.public_url, google=settings.google_enabled
    )


@router.get("/members/{member_id}")
def get_member(
    member_id: UUID, session: SessionDep, caller: CallerDep, settings: SettingsDep
) -> MemberPublic:
    """One member with the card's URLs and the next points to expire."""
    caller.require(Role.pos, Role.read)
    member, card = member_service.get_member(session, caller.merchant_id, member_id)
    return member_service.public(
        session, member, card, public_url=settings.public_url, google=settings.google_enabled
    )


@router.put("/members/{member_id}/tags")
def set_member_tags(
    member_id: UUID,
    data: MemberTags,
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
) -> MemberPublic:
    """Replace the member's tags (send `[]` to clear them). Segments can select by tag."""
    caller.require(Role.pos)
    member, card = member_service.set_tags(session, caller.merchant_id, member_id, data.tags)
    return member_service.public(
        session, member, card, public_url=settings.public_url, google=settings.google_enabled
    )
