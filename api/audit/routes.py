"""HTTP route of the audit log (admins only: it names people and addresses)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from api.audit import service as audit_service
from api.audit.schemas import AuditEntryPublic
from api.deps import AdminCaller, SessionDep
from api.paging import Page, Paging

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit")
def list_audit(
    session: SessionDep,
    caller: AdminCaller,
    page: Paging,
    action: Annotated[str | None, Query(max_length=60)] = None,
    object_type: Annotated[str | None, Query(max_length=40)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEntryPublic]:
    """Who changed what, when and from where, with the object before and after; newest
    first. Entries stay when the object is deleted."""
    rows, total = audit_service.page_entries(
        session,
        caller.merchant_id,
        page,
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_id=actor_id,
        since=since,
        until=until,
    )
    items = [AuditEntryPublic.model_validate(row, from_attributes=True) for row in rows]
    return Page.of(items, total, page)
