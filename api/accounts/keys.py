"""API keys from the console: integrations keep their keys, and only an owner makes or
revokes one (a manager edits programs, but does not hand out the merchant's power)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlmodel import Session

from api.accounts.service import AccountCaller
from api.audit import service as audit
from api.errors import Forbidden, InvalidRequest
from api.merchants import service as merchant_service
from api.merchants.models import ApiKey, Role
from api.paging import PageRequest

MAX_LISTED = 200


def list_keys(session: Session, owner: AccountCaller) -> Sequence[ApiKey]:
    """The merchant's keys, revoked ones too, oldest first.

    Raises:
        Forbidden: the caller is not an owner.
    """
    _require_owner(owner)
    keys, _ = merchant_service.list_api_keys(session, owner.merchant_id, PageRequest(MAX_LISTED))
    return keys


def create_key(session: Session, owner: AccountCaller, *, name: str, role: str) -> str:
    """A new key; its secret is returned once.

    Raises:
        Forbidden: the caller is not an owner.
        InvalidRequest: no name, or an unknown role.
    """
    _require_owner(owner)
    name = name.strip()[:100]
    if not name or role not in set(Role):
        raise InvalidRequest("a key needs a name and a role (admin, pos or read)")
    key, secret = merchant_service.create_api_key(session, owner.merchant_id, name=name,
                                                  role=Role(role))  # fmt: skip
    audit.record(
        session, owner, "key.created", "api_key", key.id, None, {"name": name, "role": role}
    )
    return secret


def revoke_key(session: Session, owner: AccountCaller, key_id: UUID, *, now: datetime) -> None:
    """Raises: Forbidden (not an owner), ApiKeyNotFound."""
    _require_owner(owner)
    key = merchant_service.revoke_api_key(session, owner.merchant_id, key_id, now=now)
    audit.record(session, owner, "key.revoked", "api_key", key.id, None, {"name": key.name})


def _require_owner(caller: AccountCaller) -> None:
    if not caller.is_owner:
        raise Forbidden("only an owner manages API keys")
