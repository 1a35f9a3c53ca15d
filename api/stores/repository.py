"""Queries on stores."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import Session, col, select

from api.stores.models import Store


def list_open(session: Session, merchant_id: UUID) -> Sequence[Store]:
    query = select(Store).where(Store.merchant_id == merchant_id, col(Store.closed_at).is_(None))
    return session.exec(query.order_by(col(Store.created_at), col(Store.name))).all()


def list_default(session: Session, merchant_id: UUID, *, limit: int) -> Sequence[Store]:
    """Open stores, flagships first, then in the order they were added."""
    query = (
        select(Store)
        .where(Store.merchant_id == merchant_id, col(Store.closed_at).is_(None))
        .order_by(col(Store.is_flagship).desc(), col(Store.created_at), col(Store.name))
    )
    return session.exec(query.limit(limit)).all()


def get_many(session: Session, merchant_id: UUID, ids: Sequence[UUID]) -> Sequence[Store]:
    query = select(Store).where(Store.merchant_id == merchant_id, col(Store.id).in_(ids))
    return session.exec(query).all()


def get(session: Session, merchant_id: UUID, store_id: UUID) -> Store | None:
    query = select(Store).where(Store.id == store_id, Store.merchant_id == merchant_id)
    return session.exec(query).first()
