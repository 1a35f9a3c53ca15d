"""Aggregate queries for program analytics: every figure is computed by the database over
the program's rows (GROUP BY, SUM, COUNT), never by looping over members in Python. Always
scoped by merchant and program; never commits. Periods are ``[start, end)`` in UTC."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Subquery, and_, case, distinct, func, select
from sqlmodel import Session, col

from api.analytics.sql import epoch_days, month_number
from api.enrolment.models import MemberConsent
from api.ledger.models import Currency, EntryKind, LedgerEntry, Transaction, TransactionKind
from api.members.models import Member
from api.stores.models import Store

STAFF_ACTOR = "staff %"  # how the scanner signs its transactions: "staff <code>: <name>"


@dataclass(frozen=True, slots=True)
class Purchases:
    purchases: int
    buyers: int
    returning: int  # buyers with two purchases or more in the period
    revenue: Decimal  # net of refunds


@dataclass(frozen=True, slots=True)
class Points:
    issued: int
    redeemed: int
    expired: int
    outstanding: int  # now, over every member of the program


def _purchases(merchant_id: UUID, program_id: UUID) -> Any:
    """The program's purchases (a WHERE over transaction joined to member)."""
    return and_(
        col(Transaction.merchant_id) == merchant_id,
        col(Transaction.kind) == TransactionKind.purchase,
        col(Member.id) == col(Transaction.member_id),
        col(Member.program_id) == program_id,
    )


def _in(column: Any, start: datetime, end: datetime) -> Any:
    return and_(column >= start, column < end)


def purchases(
    session: Session, merchant_id: UUID, program_id: UUID, start: datetime, end: datetime
) -> Purchases:
    per_member = (
        select(
            col(Transaction.member_id).label("member_id"),
            func.count().label("n"),
            func.sum(col(Transaction.amount) - col(Transaction.refunded_amount)).label("spend"),
        )
        .where(_purchases(merchant_id, program_id), _in(col(Transaction.created_at), start, end))
        .group_by(col(Transaction.member_id))
        .subquery()
    )
    row = session.execute(
        select(
            func.coalesce(func.sum(per_member.c.n), 0),
            func.count(),
            func.coalesce(func.sum(case((per_member.c.n >= 2, 1), else_=0)), 0),
            func.coalesce(func.sum(per_member.c.spend), 0),
        )
    ).one()
    return Purchases(int(row[0]), int(row[1]), int(row[2]), Decimal(row[3]))


def ranked_purchases(merchant_id: UUID, program_id: UUID) -> Subquery:
    """The program's purchases, each with its place in its member's purchases (``rank`` 1
    is the first ever): ``member_id``, ``created_at``, ``actor``, ``rank``. One sorted pass
    (a window function), where joining each purchase to its member's first is quadratic."""
    rank = func.row_number().over(
        partition_by=col(Transaction.member_id),
        order_by=(col(Transaction.created_at), col(Transaction.id)),
    )
    return (
        select(
            col(Transaction.member_id).label("member_id"),
            col(Transaction.created_at).label("created_at"),
            col(Transaction.actor).label("actor"),
            rank.label("rank"),
        )
        .where(_purchases(merchant_id, program_id))
        .subquery()
    )


def came_back(
    session: Session, merchant_id: UUID, program_id: UUID, start: datetime, end: datetime,
    within_days: Sequence[int],
) -> tuple[int, list[int]]:  # fmt: skip
    """Members whose first purchase was in the period, and how many of them bought again
    within each of ``within_days`` days of it."""
    ranked = ranked_purchases(merchant_id, program_id)
    pairs = (
        select(
            func.min(case((ranked.c.rank == 1, ranked.c.created_at))).label("first_at"),
            func.min(case((ranked.c.rank == 2, ranked.c.created_at))).label("second_at"),
        )
        .where(ranked.c.rank <= 2)
        .group_by(ranked.c.member_id)
        .subquery()
    )
    gap = epoch_days(pairs.c.second_at) - epoch_days(pairs.c.first_at)
    row = session.execute(
        select(
            func.count(),
            *(func.coalesce(func.sum(case((gap <= days, 1), else_=0)), 0) for days in within_days),
        ).where(_in(pairs.c.first_at, start, end))
    ).one()
    return int(row[0]), [int(n) for n in row[1:]]


def points(
    session: Session, merchant_id: UUID, program_id: UUID, start: datetime, end: datetime
) -> Points:
    amount = col(LedgerEntry.amount)
    kind = col(LedgerEntry.kind)
    issued = case((and_(kind.in_([EntryKind.earn, EntryKind.bonus]), amount > 0), amount), else_=0)
    row = session.execute(
        select(
            func.coalesce(func.sum(issued), 0),
            func.coalesce(func.sum(case((kind == EntryKind.redeem, -amount), else_=0)), 0),
            func.coalesce(func.sum(case((kind == EntryKind.expire, -amount), else_=0)), 0),
        ).where(
            col(LedgerEntry.merchant_id) == merchant_id,
            col(LedgerEntry.currency) == Currency.points,
            col(Member.id) == col(LedgerEntry.member_id),
            col(Member.program_id) == program_id,
            _in(col(LedgerEntry.created_at), start, end),
        )
    ).one()
    outstanding = session.execute(
        select(func.coalesce(func.sum(col(Member.points)), 0)).where(
            col(Member.merchant_id) == merchant_id, col(Member.program_id) == program_id
        )
    ).scalar_one()
    return Points(int(row[0]), int(row[1]), int(row[2]), int(outstanding))


def enrolments(
    session: Session, merchant_id: UUID, program_id: UUID, start: datetime, end: datetime
) -> int:
    return int(
        session.execute(
            select(func.count()).where(
                col(Member.merchant_id) == merchant_id,
                col(Member.program_id) == program_id,
                _in(col(Member.created_at), start, end),
            )
        ).scalar_one()
    )


def enrolments_by_store(
    session: Session, merchant_id: UUID, program_id: UUID, start: datetime, end: datetime
) -> list[tuple[UUID, str, int]]:
    """(store id, name, members) of the members who joined by a store's QR code."""
    rows = session.execute(
        select(col(Store.id), col(Store.name), func.count(distinct(col(Member.id))))
        .join(MemberConsent, col(MemberConsent.store_id) == col(Store.id))
        .join(Member, col(Member.id) == col(MemberConsent.member_id))
        .where(
            col(Store.merchant_id) == merchant_id,
            col(MemberConsent.is_new_member).is_(True),
            col(Member.program_id) == program_id,
            _in(col(Member.created_at), start, end),
        )
        .group_by(col(Store.id), col(Store.name))
        .order_by(func.count(distinct(col(Member.id))).desc(), col(Store.name))
    ).all()
    return [(store_id, name, int(n)) for store_id, name, n in rows]


def staff_purchases(
    session: Session, merchant_id: UUID, program_id: UUID, start: datetime, end: datetime
) -> list[tuple[str, int, int, int]]:
    """(staff, purchases, members, first purchases) the scanner recorded, per staff member."""
    ranked = ranked_purchases(merchant_id, program_id)
    rows = session.execute(
        select(
            ranked.c.actor,
            func.count(),
            func.count(distinct(ranked.c.member_id)),
            func.sum(case((ranked.c.rank == 1, 1), else_=0)),
        )
        .where(_in(ranked.c.created_at, start, end), ranked.c.actor.like(STAFF_ACTOR))
        .group_by(ranked.c.actor)
        .order_by(func.count().desc(), ranked.c.actor)
    ).all()
    return [(actor, int(n), int(m), int(f)) for actor, n, m, f in rows]


def cohort_sizes(
    session: Session, merchant_id: UUID, program_id: UUID, start: datetime, end: datetime
) -> dict[int, int]:
    """Members who joined in the period, per month of joining (``month_number``)."""
    month = month_number(col(Member.created_at))
    rows = session.execute(
        select(month, func.count())
        .where(
            col(Member.merchant_id) == merchant_id,
            col(Member.program_id) == program_id,
            _in(col(Member.created_at), start, end),
        )
        .group_by(month)
    ).all()
    return {int(m): int(n) for m, n in rows}


def cohort_activity(
    session: Session, merchant_id: UUID, program_id: UUID, start: datetime, end: datetime
) -> dict[tuple[int, int], int]:
    """(month joined, months since) -> members of that cohort who bought in that month."""
    bought = (
        select(
            col(Transaction.member_id).label("member_id"),
            month_number(col(Transaction.created_at)).label("month"),
        )
        .where(
            col(Transaction.merchant_id) == merchant_id,
            col(Transaction.kind) == TransactionKind.purchase,
            col(Transaction.created_at) < end,
        )
        .distinct()
        .subquery()
    )
    joined = month_number(col(Member.created_at))
    since = bought.c.month - joined
    rows = session.execute(
        select(joined, since, func.count())
        .select_from(Member)
        .join(bought, bought.c.member_id == col(Member.id))
        .where(
            col(Member.merchant_id) == merchant_id,
            col(Member.program_id) == program_id,
            _in(col(Member.created_at), start, end),
        )
        .group_by(joined, since)
    ).all()
    return {(int(m), int(k)): int(n) for m, k, n in rows}
