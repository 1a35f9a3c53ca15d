"""Queries on merchants and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import Session, col, select

from api.merchants.models import ApiKey


def get_key_by_prefix(session: Session, prefix: str) -> ApiKey | None:
    return session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()


def get_key(session: Session, merchant_id: UUID, key_id: UUID) -> ApiKey | None:
    query = select(ApiKey).where(ApiKey.id == key_id, ApiKey.merchant_id == merchant_id)
    return session.exec(query).first()


def list_keys(session: Session, merchant_id: UUID) -> Sequence[ApiKey]:
    query = select(ApiKey).where(ApiKey.merchant_id == merchant_id)
    return session.exec(query.order_by(col(ApiKey.created_at))).all()
