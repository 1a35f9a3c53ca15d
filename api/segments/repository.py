"""Queries for segments and RFM scores. Never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, func, insert, or_, select
from sqlmodel import Session, col

from api.ledger import repository as ledger_repository
from api.ledger.models import Transaction, TransactionKind
from api.members.models import Member
from api.paging import PageRequest, fetch_page
from api.programs.models import Program
from api.segments.models import MemberRfm, Segment


def get(session: Session, segment_id: UUID) -> Segment | None:
    return session.get(Segment, segment_id)


def list_for_program(session: Session, program_id: UUID) -> list[Segment]:
    query = select(Segment).where(col(Segment.program_id) == program_id)
    return list(session.execute(query.order_by(col(Segment.name))).scalars())


def page_for_program(
    session: Session, program_id: UUID, page: PageRequest
) -> tuple[Sequence[Segment], int]:
    query = select(Segment).where(col(Segment.program_id) == program_id)
    return fetch_page(session, query, page, order_by=(col(Segment.created_at), col(Segment.id)))


def count(session: Session, query: Select[Any]) -> int:
    """How many rows ``query`` selects."""
    return int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())


def ids(session: Session, query: Select[Any]) -> list[UUID]:
    """The ids ``query`` selects."""
    return list(session.execute(query).scalars())


def rfm_group_sizes(session: Session, program_id: UUID) -> dict[str, int]:
    rows = session.execute(
        select(col(MemberRfm.group), func.count())
        .where(col(MemberRfm.program_id) == program_id)
        .group_by(col(MemberRfm.group))
    ).all()
    return {group: int(n) for group, n in rows}


def member_purchases(session: Session, merchant_id: UUID, program_id: UUID) -> Sequence[Any]:
    """(member id, enrolled at, visits, spend, last visit) of every member of the program."""
    stats = ledger_repository.purchase_stats(merchant_id)
    return session.execute(
        select(
            col(Member.id),
            col(Member.created_at),
            stats.c.visits,
            stats.c.spend,
            stats.c.last_visit,
        )  # fmt: skip
        .outerjoin(stats, stats.c.member_id == col(Member.id))
        .where(col(Member.program_id) == program_id)
    ).all()


def lock_program_scores(session: Session, program_id: UUID) -> None:
    """Hold the program row until the transaction ends, so two recomputations of its scores
    (the daily job, a stale read) queue up instead of inserting the same rows twice. FOR NO
    KEY UPDATE: purchases referencing the program are not held up."""
    session.execute(
        select(col(Program.id)).where(col(Program.id) == program_id).with_for_update(key_share=True)
    )


def has_stale_rfm(session: Session, merchant_id: UUID, program_id: UUID) -> bool:
    """Whether a member of the program has no score, or bought after the score was computed."""
    last_purchase = (
        select(func.max(col(Transaction.created_at)))
        .where(
            col(Transaction.member_id) == col(Member.id),
            col(Transaction.kind) == TransactionKind.purchase,
        )
        .scalar_subquery()
    )
    query = (
        select(col(Member.id))
        .outerjoin(MemberRfm, col(MemberRfm.member_id) == col(Member.id))
        .where(
            col(Member.merchant_id) == merchant_id,
            col(Member.program_id) == program_id,
            or_(
                col(MemberRfm.member_id).is_(None),
                last_purchase > col(MemberRfm.computed_at),
            ),
        )
        .limit(1)
    )
    return session.execute(query).first() is not None


def programs(session: Session) -> Sequence[Program]:
    return session.execute(select(Program)).scalars().all()


def rfm_computed_at(session: Session) -> dict[UUID, datetime]:
    """When each program's scores were last computed."""
    rows = session.execute(
        select(col(MemberRfm.program_id), func.max(col(MemberRfm.computed_at))).group_by(
            col(MemberRfm.program_id)
        )
    ).all()
    return dict(rows)


def replace_rfm(session: Session, program_id: UUID, rows: Sequence[Mapping[str, Any]]) -> None:
    """The program's scores become ``rows``."""
    session.execute(delete(MemberRfm).where(col(MemberRfm.program_id) == program_id))
    if rows:
        session.execute(insert(MemberRfm), list(rows))
