"""HTTP routes for members: search, read, tags (enrolling is ``api/enrolment/api_routes.py``)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query

from api.deps import PosCaller, ReaderCaller, SessionDep, SettingsDep
from api.members import service as member_service
from api.members.schemas import MemberPage, MemberPublic, MemberTags
from api.paging import Paging

router = APIRouter(prefix="/api/v1", tags=["members"])


@router.get("/members")
def search_members(
    session: SessionDep,
    caller: ReaderCaller,
    settings: SettingsDep,
    page: Paging,
    query: Annotated[
        str | None, Query(max_length=100, description="name, phone, email or card number")
    ] = None,
    program_id: UUID | None = None,
) -> MemberPage:
    """Find members by name, phone, email or card number, newest first."""
    return member_service.search(
        session,
        caller.merchant_id,
        query=query,
        program_id=program_id,
        limit=page.limit,
        offset=page.offset,
        public_url=settings.public_url,
        google=settings.google_enabled,
    )


@router.get("/members/by-barcode/{barcode}")
def member_by_barcode(
    barcode: Annotated[str, Path(min_length=1, max_length=64)],
    session: SessionDep,
    caller: ReaderCaller,
    settings: SettingsDep,
) -> MemberPublic:
    """The member whose card shows this barcode (what the staff scanner reads)."""
    member, card = member_service.get_by_barcode(session, caller.merchant_id, barcode)
    return member_service.public(
        session, member, card, public_url=settings.public_url, google=settings.google_enabled
    )


@router.get("/programs/{program_id}/members/by-external-id/{external_id}")
def member_by_external_id(
    program_id: UUID,
    external_id: Annotated[str, Path(min_length=1, max_length=64)],
    session: SessionDep,
    caller: ReaderCaller,
    settings: SettingsDep,
) -> MemberPublic:
    """The member the merchant's own system (a POS, a CRM) knows by ``external_id``."""
    member, card = member_service.get_by_external_id(
        session, caller.merchant_id, program_id, external_id
    )
    return member_service.public(
        session, member, card, public_url=settings.public_url, google=settings.google_enabled
    )


@router.get("/members/{member_id}")
def get_member(
    member_id: UUID, session: SessionDep, caller: ReaderCaller, settings: SettingsDep
) -> MemberPublic:
    """One member with the card's URLs and the next points to expire."""
    member, card = member_service.get_member(session, caller.merchant_id, member_id)
    return member_service.public(
        session, member, card, public_url=settings.public_url, google=settings.google_enabled
    )


@router.put("/members/{member_id}/tags")
def set_member_tags(
    member_id: UUID,
    data: MemberTags,
    session: SessionDep,
    caller: PosCaller,
    settings: SettingsDep,
) -> MemberPublic:
    """Replace the member's tags (send `[]` to clear them). Segments can select by tag."""
    member, card = member_service.set_tags(session, caller.merchant_id, member_id, data.tags)
    return member_service.public(
        session, member, card, public_url=settings.public_url, google=settings.google_enabled
    )
