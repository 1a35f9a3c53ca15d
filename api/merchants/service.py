"""Creating merchants and API keys, and authenticating requests by key.

A key looks like ``lp_<prefix>_<secret>``: the prefix finds the row, the SHA-256 of the whole
key is compared in constant time. Keys have 190 bits of entropy, so a fast hash is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlmodel import Session

from api.errors import Forbidden, Unauthorized
from api.merchants import repository
from api.merchants.errors import ApiKeyNotFound
from api.merchants.models import ApiKey, Merchant, Role
from api.paging import PageRequest


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made a request: the merchant and the key (recorded on every write)."""

    merchant_id: UUID
    key_id: UUID
    role: Role
    key_prefix: str = ""

    @property
    def label(self) -> str:
        """How ledger entries name who made them."""
        return f"api_key:{self.key_prefix}"

    def require(self, *roles: Role) -> None:
        """Raises Forbidden unless the key has one of ``roles`` (admin may do anything)."""
        if self.role != Role.admin and self.role not in roles:
            raise Forbidden(f"this needs a key with role {' or '.join(roles) or 'admin'}")


def create_merchant(session: Session, *, name: str) -> tuple[Merchant, str]:
    """A new merchant and its first admin key (returned in clear text once)."""
    merchant = Merchant(name=name)
    session.add(merchant)
    session.flush()
    _, secret = create_api_key(session, merchant.id, name="initial admin key", role=Role.admin)
    return merchant, secret


def create_api_key(
    session: Session, merchant_id: UUID, *, name: str, role: Role
) -> tuple[ApiKey, str]:
    prefix = secrets.token_hex(6)
    secret = f"lp_{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey(
        merchant_id=merchant_id, name=name, role=role, prefix=prefix, secret_hash=_hash(secret)
    )
    session.add(key)
    session.flush()
    return key, secret


def authenticate(session: Session, authorization: str | None) -> Caller:
    """The caller behind an ``Authorization: Bearer <key>`` header.

    Raises:
        Unauthorized: no header, a malformed or unknown key, or a revoked key.
    """
    token = bearer_token(authorization)
    parts = token.split("_", 2)
    key = repository.get_key_by_prefix(session, parts[1]) if len(parts) == 3 else None
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(token)):
        raise Unauthorized("unknown API key")
    if key.revoked_at is not None:
        raise Unauthorized("this API key has been revoked")
    return Caller(
        merchant_id=key.merchant_id, key_id=key.id, role=Role(key.role), key_prefix=key.prefix
    )


def bearer_token(authorization: str | None) -> str:
    """The key of an ``Authorization: Bearer <key>`` header, without looking it up.

    Raises:
        Unauthorized: no header, or not a bearer token.
    """
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send 'Authorization: Bearer <api key>'")
    return token


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def list_api_keys(
    session: Session, merchant_id: UUID, page: PageRequest
) -> tuple[Sequence[ApiKey], int]:
    """A page of the merchant's keys (revoked ones too), oldest first."""
    return repository.page_keys(session, merchant_id, page)


def revoke_api_key(session: Session, merchant_id: UUID, key_id: UUID, *, now: datetime) -> ApiKey:
    """Raises: ApiKeyNotFound."""
    key = repository.get_key(session, merchant_id, key_id)
    if key is None:
        raise ApiKeyNotFound()
    if key.revoked_at is None:
        key.revoked_at = now
        session.add(key)
    return key
