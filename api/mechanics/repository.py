"""Queries of the rules history; every one is scoped by merchant."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select  # sqlmodel's select takes at most four columns
from sqlmodel import Session, col, select

from api.ledger.models import Transaction, TransactionKind
from api.mechanics.models import RulesVersion
from api.members.models import Member
from api.paging import PageRequest, fetch_page
from api.programs.models import Program


def lock_program(session: Session, merchant_id: UUID, program_id: UUID) -> Program | None:
    """The program, locked until the transaction ends (changes of its rules queue up)."""
    query = select(Program).where(Program.id == program_id, Program.merchant_id == merchant_id)
    query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def latest_version(session: Session, program_id: UUID) -> int:
    query = select(func.max(RulesVersion.version)).where(RulesVersion.program_id == program_id)
    return session.exec(query).one() or 0


def version(
    session: Session, merchant_id: UUID, program_id: UUID, number: int
) -> RulesVersion | None:
    query = select(RulesVersion).where(
        RulesVersion.merchant_id == merchant_id,
        RulesVersion.program_id == program_id,
        RulesVersion.version == number,
    )
    return session.exec(query).first()


def page_versions(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Sequence[RulesVersion], int]:
    query = select(RulesVersion).where(
        RulesVersion.merchant_id == merchant_id, RulesVersion.program_id == program_id
    )
    return fetch_page(
        session, query, page, order_by=(col(RulesVersion.version), col(RulesVersion.id))
    )


def has_balances(session: Session, merchant_id: UUID, program_id: UUID) -> bool:
    """Whether any member of the program holds points or stamps."""
    query = select(Member.id).where(
        Member.merchant_id == merchant_id,
        Member.program_id == program_id,
        or_(col(Member.points) != 0, col(Member.stamps) != 0),
    )
    return session.exec(query.limit(1)).first() is not None


def stream_purchases(
    session: Session,
    merchant_id: UUID,
    program_id: UUID,
    since: datetime | None,
    *,
    until: datetime,
) -> Iterator[tuple[UUID, datetime, Decimal, Decimal, int, int]]:
    """The program's purchases from ``since`` (None: all) to ``until``, oldest first, as
    (member, time, amount, refunded, points earned, stamps earned), streamed in batches."""
    query = (
        sa_select(
            col(Transaction.member_id),
            col(Transaction.created_at),
            col(Transaction.amount),
            col(Transaction.refunded_amount),
            col(Transaction.points_earned),
            col(Transaction.stamps_earned),
        )
        .join(Member, col(Member.id) == col(Transaction.member_id))
        .where(
            col(Transaction.merchant_id) == merchant_id,
            col(Member.program_id) == program_id,
            col(Transaction.kind) == TransactionKind.purchase,
            col(Transaction.amount).is_not(None),
            col(Transaction.created_at) <= until,
        )
        .order_by(col(Transaction.created_at), col(Transaction.id))
    )
    if since is not None:
        query = query.where(col(Transaction.created_at) >= since)
    rows = session.execute(query.execution_options(yield_per=5000))
    yield from rows


def balances(
    session: Session, merchant_id: UUID, program_id: UUID, *, stamps: bool
) -> dict[UUID, int]:
    """Every member's points (or stamps) now."""
    column = Member.stamps if stamps else Member.points
    query = select(Member.id, column).where(
        Member.merchant_id == merchant_id, Member.program_id == program_id
    )
    return {member_id: balance for member_id, balance in session.execute(query)}
