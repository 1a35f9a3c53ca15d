"""Queries of the rules history; every one is scoped by merchant."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

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
