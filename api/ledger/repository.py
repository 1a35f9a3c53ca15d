"""Queries on the ledger: locking a member, lots, daily sums, transactions, and the programs
and members its scheduled work goes through."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Subquery, func
from sqlmodel import Session, col, select

from api.ledger.models import (
    Currency,
    EntryKind,
    LedgerEntry,
    PointLot,
    Transaction,
    TransactionKind,
)
from api.members.models import Member
from api.programs.models import Program


def lock_member(session: Session, merchant_id: UUID, member_id: UUID) -> Member | None:
    """The member row, locked until commit, and read afresh: a copy loaded before the lock (a
    card page's view) may be stale. SQLite transactions start with ``BEGIN IMMEDIATE``, which
    serialises writers already.

    PostgreSQL: ``FOR NO KEY UPDATE``, not ``FOR UPDATE``. Updating a member row twice in one
    transaction makes PostgreSQL re-check its foreign key, taking ``FOR KEY SHARE`` on the
    referrer's row; ``FOR UPDATE`` of the referrer then deadlocked against every other referee
    doing the same (40 first purchases of one referrer's referees at once)."""
    query = select(Member).where(Member.id == member_id, Member.merchant_id == merchant_id)
    locked = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    return session.exec(locked).first()


def lock_member_with_program(
    session: Session, merchant_id: UUID, member_id: UUID
) -> tuple[Member, Program] | None:
    """:func:`lock_member`, fetching the member's program in the same round trip."""
    query = (
        select(Member, Program)
        .join(Program, col(Program.id) == col(Member.program_id))
        .where(Member.id == member_id, Member.merchant_id == merchant_id)
        .with_for_update(of=Member, key_share=True)
        .execution_options(populate_existing=True)
    )
    row = session.exec(query).first()
    return (row[0], row[1]) if row else None


def open_lots(session: Session, member_id: UUID) -> Sequence[PointLot]:
    """Lots with points left, soonest expiry first (never-expiring last), then oldest."""
    query = (
        select(PointLot)
        .where(PointLot.member_id == member_id, col(PointLot.remaining) > 0)
        .order_by(
            col(PointLot.expires_at).is_(None),
            col(PointLot.expires_at),
            col(PointLot.created_at),
            col(PointLot.id),
        )
    )
    return session.exec(query).all()


def lots_of_transaction(session: Session, transaction_id: UUID) -> Sequence[PointLot]:
    query = select(PointLot).where(
        PointLot.transaction_id == transaction_id, col(PointLot.remaining) > 0
    )
    return session.exec(query).all()


def earned_since(session: Session, member_id: UUID, currency: Currency, since: datetime) -> int:
    """Sum of ``earn`` entries (caps count purchases, not bonuses) since ``since``."""
    query = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.member_id == member_id,
        LedgerEntry.currency == currency,
        LedgerEntry.kind == EntryKind.earn,
        col(LedgerEntry.created_at) >= since,
    )
    return int(session.exec(query).one())


def expired_lots(session: Session, now: datetime, *, limit: int) -> Sequence[PointLot]:
    query = (
        select(PointLot)
        .where(col(PointLot.remaining) > 0, col(PointLot.expires_at) <= now)
        .order_by(col(PointLot.member_id))
        .limit(limit)
    )
    return session.exec(query).all()


def get_transaction(
    session: Session, merchant_id: UUID, transaction_id: UUID
) -> Transaction | None:
    query = select(Transaction).where(
        Transaction.id == transaction_id, Transaction.merchant_id == merchant_id
    )
    return session.exec(query).first()


def find_receipt(session: Session, merchant_id: UUID, receipt_id: str) -> Transaction | None:
    query = select(Transaction).where(
        Transaction.merchant_id == merchant_id, Transaction.receipt_id == receipt_id
    )
    return session.exec(query).first()


#: The order of a member's ledger: its sequence (older entries have none and sort by time).
ENTRY_ORDER = (
    func.coalesce(col(LedgerEntry.sequence), 0),
    col(LedgerEntry.created_at),
    col(LedgerEntry.id),
)


def entries_of(session: Session, transaction_id: UUID) -> Sequence[LedgerEntry]:
    query = select(LedgerEntry).where(LedgerEntry.transaction_id == transaction_id)
    return session.exec(query.order_by(*ENTRY_ORDER)).all()


def entries_of_transactions(
    session: Session, member_id: UUID, transaction_ids: Sequence[UUID]
) -> Sequence[LedgerEntry]:
    """The member's entries of these transactions, in ledger order."""
    if not transaction_ids:
        return []
    query = select(LedgerEntry).where(
        LedgerEntry.member_id == member_id, col(LedgerEntry.transaction_id).in_(transaction_ids)
    )
    return session.exec(query.order_by(*ENTRY_ORDER)).all()


def page_movements(
    session: Session, merchant_id: UUID, member_id: UUID, *, limit: int, offset: int
) -> tuple[Sequence[tuple[LedgerEntry, Transaction | None]], int]:
    """The member's entries with their transactions, newest first."""
    where = (LedgerEntry.merchant_id == merchant_id, LedgerEntry.member_id == member_id)
    total = session.exec(select(func.count()).select_from(LedgerEntry).where(*where)).one()
    query = (
        select(LedgerEntry, Transaction)
        .join(Transaction, col(Transaction.id) == col(LedgerEntry.transaction_id), isouter=True)
        .where(*where)
        .order_by(*(part.desc() for part in ENTRY_ORDER))
        .limit(limit)
        .offset(offset)
    )
    return session.exec(query).all(), int(total)


def list_transactions(
    session: Session, merchant_id: UUID, member_id: UUID, *, limit: int, offset: int
) -> tuple[Sequence[Transaction], int]:
    where = (Transaction.merchant_id == merchant_id, Transaction.member_id == member_id)
    total = session.exec(select(func.count()).select_from(Transaction).where(*where)).one()
    rows = session.exec(
        select(Transaction)
        .where(*where)
        .order_by(col(Transaction.created_at).desc(), col(Transaction.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)


def purchase_stats(merchant_id: UUID) -> Subquery:
    """Per member of the merchant: ``member_id``, ``visits`` (purchases), ``spend`` (net of
    refunds) and ``last_visit``; members who never bought have no row (outer-join it)."""
    return (
        select(
            col(Transaction.member_id).label("member_id"),
            func.count().label("visits"),
            func.sum(col(Transaction.amount) - col(Transaction.refunded_amount)).label("spend"),
            func.max(col(Transaction.created_at)).label("last_visit"),
        )
        .where(
            col(Transaction.merchant_id) == merchant_id,
            col(Transaction.kind) == TransactionKind.purchase,
        )
        .group_by(col(Transaction.member_id))
        .subquery()
    )


def has_purchase(session: Session, member_id: UUID, *, excluding: UUID) -> bool:
    query = select(Transaction.id).where(
        Transaction.member_id == member_id,
        Transaction.kind == TransactionKind.purchase,
        Transaction.id != excluding,
    )
    return session.exec(query.limit(1)).first() is not None


def spend_since(session: Session, member_id: UUID, since: datetime | None) -> Decimal:
    query = select(
        func.coalesce(func.sum(col(Transaction.amount) - col(Transaction.refunded_amount)), 0)
    ).where(Transaction.member_id == member_id, Transaction.kind == TransactionKind.purchase)
    if since is not None:
        query = query.where(col(Transaction.created_at) >= since)
    return Decimal(session.exec(query).one() or 0)


def visits_since(session: Session, member_id: UUID, since: datetime | None) -> int:
    query = (
        select(func.count())
        .select_from(Transaction)
        .where(
            Transaction.member_id == member_id,
            Transaction.kind == TransactionKind.purchase,
            col(Transaction.refunded_amount) < col(Transaction.amount),
        )
    )
    if since is not None:
        query = query.where(col(Transaction.created_at) >= since)
    return int(session.exec(query).one())


def points_earned_since(session: Session, member_id: UUID, since: datetime | None) -> int:
    query = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.member_id == member_id,
        LedgerEntry.currency == Currency.points,
        col(LedgerEntry.kind).in_([EntryKind.earn, EntryKind.reverse]),
    )
    if since is not None:
        query = query.where(col(LedgerEntry.created_at) >= since)
    return int(session.exec(query).one())


def ledger_sum(session: Session, member_id: UUID, currency: Currency) -> int:
    query = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.member_id == member_id, LedgerEntry.currency == currency
    )
    return int(session.exec(query).one())


def list_programs(session: Session) -> Sequence[Program]:
    return session.exec(select(Program)).all()


def list_birthday_candidates(session: Session, program_id: UUID, *, today: date) -> list[UUID]:
    """The program's members with a birthday who have not had the bonus of ``today``'s year."""
    query = select(Member.id).where(
        Member.program_id == program_id,
        col(Member.birthday).is_not(None),
        (col(Member.birthday_bonus_year).is_(None))
        | (col(Member.birthday_bonus_year) < today.year),
    )
    return list(session.exec(query).all())


def list_tiered_members(session: Session, program_id: UUID) -> list[UUID]:
    """The program's members who hold a tier."""
    query = select(Member.id).where(Member.program_id == program_id, col(Member.tier).is_not(None))
    return list(session.exec(query).all())
