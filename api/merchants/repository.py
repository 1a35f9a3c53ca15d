"""Queries on merchants and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from sqlalchemy import bindparam
from sqlalchemy import select as columns_select
from sqlmodel import Session, col, select

from api.merchants.models import ApiKey
from api.paging import PageRequest, fetch_page


class KeyRow(NamedTuple):
    id: UUID
    merchant_id: UUID
    role: str
    prefix: str
    secret_hash: str
    revoked_at: datetime | None


# Every API request runs this: a plain column select, without loading an ORM object.
_KEY_BY_PREFIX = columns_select(
    col(ApiKey.id), col(ApiKey.merchant_id), col(ApiKey.role), col(ApiKey.prefix),
    col(ApiKey.secret_hash), col(ApiKey.revoked_at),
).where(col(ApiKey.prefix) == bindparam("prefix"))  # fmt: skip


def get_key_by_prefix(session: Session, prefix: str) -> KeyRow | None:
    row = session.execute(_KEY_BY_PREFIX, {"prefix": prefix}).first()
    return KeyRow(*row) if row is not None else None


def get_key(session: Session, merchant_id: UUID, key_id: UUID) -> ApiKey | None:
    query = select(ApiKey).where(ApiKey.id == key_id, ApiKey.merchant_id == merchant_id)
    return session.exec(query).first()


def page_keys(
    session: Session, merchant_id: UUID, page: PageRequest
) -> tuple[Sequence[ApiKey], int]:
    query = select(ApiKey).where(ApiKey.merchant_id == merchant_id)
    return fetch_page(session, query, page, order_by=(col(ApiKey.created_at), col(ApiKey.id)))
