"""Queries on idempotency records."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import update
from sqlmodel import Session, col, select

from api.idempotency.models import IdempotencyRecord


def get_by_key(session: Session, merchant_id: UUID, key: str) -> IdempotencyRecord:
    """The merchant's record for ``key`` (it must exist)."""
    query = select(IdempotencyRecord).where(
        IdempotencyRecord.merchant_id == merchant_id, IdempotencyRecord.key == key
    )
    return session.exec(query).one()


def save_reply(session: Session, record_id: UUID, *, status_code: int, body: Any) -> None:
    """Store the reply under the record's key."""
    session.execute(
        update(IdempotencyRecord)
        .where(col(IdempotencyRecord.id) == record_id)
        .values(status_code=status_code, body=body)
    )
