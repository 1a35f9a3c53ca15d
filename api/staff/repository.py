"""Queries on staff, their sessions and actions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete
from sqlmodel import Session, col, select

from api.paging import PageRequest, fetch_page
from api.staff.models import Staff, StaffAction, StaffSession
from api.stores.models import Store


def lock_by_code(session: Session, code: str) -> Staff | None:
    """The staff member with ``code``, their row locked until the transaction ends
    (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers anyway)."""
    query = select(Staff).where(Staff.code == code).with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).first()


def lock(session: Session, merchant_id: UUID, staff_id: UUID) -> Staff | None:
    """The merchant's staff member, locked until the transaction ends."""
    query = select(Staff).where(Staff.id == staff_id, Staff.merchant_id == merchant_id)
    query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def get(session: Session, merchant_id: UUID, staff_id: UUID) -> Staff | None:
    query = select(Staff).where(Staff.id == staff_id, Staff.merchant_id == merchant_id)
    return session.exec(query).first()


def end_sessions(session: Session, staff_id: UUID) -> None:
    """Sign the staff member out everywhere."""
    session.execute(delete(StaffSession).where(col(StaffSession.staff_id) == staff_id))


def code_exists(session: Session, code: str) -> bool:
    return session.exec(select(Staff.id).where(Staff.code == code)).first() is not None


def list_for_merchant(session: Session, merchant_id: UUID) -> Sequence[Staff]:
    query = select(Staff).where(Staff.merchant_id == merchant_id)
    return session.exec(query.order_by(col(Staff.created_at))).all()


def page_for_merchant(
    session: Session, merchant_id: UUID, page: PageRequest
) -> tuple[Sequence[Staff], int]:
    query = select(Staff).where(Staff.merchant_id == merchant_id)
    return fetch_page(session, query, page, order_by=(col(Staff.created_at), col(Staff.id)))


def signed_in(session: Session, token_hash: str, now: datetime) -> tuple[Staff, Store] | None:
    """The active staff member and their store behind an unexpired session."""
    query = (
        select(Staff, Store)
        .join(StaffSession, col(StaffSession.staff_id) == col(Staff.id))
        .join(Store, col(Store.id) == col(Staff.store_id))
        .where(
            StaffSession.token_hash == token_hash,
            StaffSession.expires_at > now,
            col(Staff.is_active).is_(True),
        )
    )
    row = session.exec(query).first()
    return (row[0], row[1]) if row else None


def get_session(session: Session, token_hash: str) -> StaffSession | None:
    return session.get(StaffSession, token_hash)


def action_by_nonce(session: Session, merchant_id: UUID, nonce: str) -> StaffAction | None:
    query = select(StaffAction).where(
        StaffAction.merchant_id == merchant_id, StaffAction.nonce == nonce
    )
    return session.exec(query).first()
