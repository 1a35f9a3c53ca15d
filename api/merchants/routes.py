"""HTTP routes for API keys (admin only)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from api.audit import service as audit
from api.clock import utcnow
from api.deps import AdminCaller, SessionDep
from api.merchants import service as merchant_service
from api.merchants.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from api.paging import Page, Paging

router = APIRouter(prefix="/api/v1/keys", tags=["api keys"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_key(data: ApiKeyCreate, session: SessionDep, caller: AdminCaller) -> ApiKeyCreated:
    """Create a key with a role: `admin` (programs, rewards, keys), `pos` (transactions,
    member lookup) or `read` (reports). The key is in this response only."""
    key, secret = merchant_service.create_api_key(
        session, caller.merchant_id, name=data.name, role=data.role
    )
    audit.record(session, caller, "key.created", "api_key", key.id, None, ApiKeyPublic.of(key))
    return ApiKeyCreated(**ApiKeyPublic.of(key).model_dump(), api_key=secret)


@router.get("")
def list_keys(session: SessionDep, caller: AdminCaller, page: Paging) -> Page[ApiKeyPublic]:
    """The merchant's keys, without their secrets, oldest first, a page at a time."""
    keys, total = merchant_service.list_api_keys(session, caller.merchant_id, page)
    return Page.of([ApiKeyPublic.of(k) for k in keys], total, page)


@router.delete("/{key_id}")
def revoke_key(key_id: UUID, session: SessionDep, caller: AdminCaller) -> ApiKeyPublic:
    """Revoke a key; requests with it are refused from now on."""
    key = merchant_service.revoke_api_key(session, caller.merchant_id, key_id, now=utcnow())
    audit.record(session, caller, "key.revoked", "api_key", key.id, None, ApiKeyPublic.of(key))
    return ApiKeyPublic.of(key)
