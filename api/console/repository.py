"""Queries for the console: sessions, stores, and the daily counts the charts draw."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.console.models import ConsoleSession
from api.ledger.models import Transaction, TransactionKind
from api.members.models import Member
from api.merchants.models import ApiKey
from api.stores.models import Store


def signed_in(session: Session, token_hash: str, now: datetime) -> ApiKey | None:
    """The unrevoked API key behind an unexpired console session."""
    query = (
        select(ApiKey)
        .join(ConsoleSession, col(ConsoleSession.api_key_id) == col(ApiKey.id))
        .where(
            ConsoleSession.token_hash == token_hash,
            ConsoleSession.expires_at > now,
            col(ApiKey.revoked_at).is_(None),
        )
    )
    return session.exec(query).first()


def get_session(session: Session, token_hash: str) -> ConsoleSession | None:
    return session.get(ConsoleSession, token_hash)


def stores(session: Session, merchant_id: UUID) -> Sequence[Store]:
    query = select(Store).where(Store.merchant_id == merchant_id)
    return session.exec(query.order_by(col(Store.name)).limit(1000)).all()


def enrolments_by_day(session: Session, merchant_id: UUID, since: datetime) -> dict[date, int]:
    day = func.date(Member.created_at)  # UTC days: timestamps are stored in UTC
    query = (
        select(day, func.count())
        .where(Member.merchant_id == merchant_id, Member.created_at >= since)
        .group_by(day)
    )
    return {_as_date(d): int(n) for d, n in session.exec(query).all()}


def purchases_by_day(
    session: Session, merchant_id: UUID, since: datetime
) -> tuple[dict[date, int], dict[date, int]]:
    """Purchases per day, and the members who bought that day (the active members)."""
    day = func.date(Transaction.created_at)
    query = (
        select(day, func.count(), func.count(func.distinct(Transaction.member_id)))
        .where(
            Transaction.merchant_id == merchant_id,
            Transaction.kind == TransactionKind.purchase,
            Transaction.created_at >= since,
        )
        .group_by(day)
    )
    rows = session.exec(query).all()
    return {_as_date(d): int(n) for d, n, _ in rows}, {_as_date(d): int(m) for d, _, m in rows}


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
