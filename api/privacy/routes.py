"""HTTP routes of personal data: a member's data export and their erasure (admins only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from api.clock import utcnow
from api.deps import AdminCaller, SessionDep
from api.members import service as member_service
from api.privacy import erasure, export
from api.privacy.schemas import ErasurePublic, ErasureRequest

router = APIRouter(prefix="/api/v1", tags=["privacy"])


@router.get("/members/{member_id}/personal-data")
def personal_data(member_id: UUID, session: SessionDep, caller: AdminCaller) -> dict[str, Any]:
    """Everything held about the member, for a subject-access request: the member, the card
    and every row of every table that names them (card and push tokens left out)."""
    return export.personal_data(session, caller.merchant_id, member_id)


@router.post("/members/{member_id}/erase")
def erase_member(
    member_id: UUID, data: ErasureRequest, session: SessionDep, caller: AdminCaller
) -> ErasurePublic:
    """Anonymise the member and void their card; the ledger and the program's totals stay.
    Erasing an erased member again changes nothing more."""
    member = erasure.erase(session, caller, member_id, reason=data.reason, now=utcnow())
    _, card = member_service.get_member(session, caller.merchant_id, member_id)
    return ErasurePublic(member_id=member.id, name=member.name, voided_at=card.voided_at)
