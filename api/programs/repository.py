"""Queries on programs; every one is scoped by merchant."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from uuid import UUID

from sqlmodel import Session, col, select

from api.paging import PageRequest, fetch_page
from api.programs.models import Program


def get(session: Session, merchant_id: UUID, program_id: UUID) -> Program | None:
    return session.exec(
        select(Program).where(Program.id == program_id, Program.merchant_id == merchant_id)
    ).first()


def many(session: Session, merchant_id: UUID, program_ids: Collection[UUID]) -> Sequence[Program]:
    if not program_ids:
        return []
    query = select(Program).where(
        Program.merchant_id == merchant_id, col(Program.id).in_(program_ids)
    )
    return session.exec(query).all()


def list_for_merchant(session: Session, merchant_id: UUID) -> Sequence[Program]:
    return session.exec(
        select(Program).where(Program.merchant_id == merchant_id).order_by(col(Program.created_at))
    ).all()


def page_for_merchant(
    session: Session, merchant_id: UUID, page: PageRequest
) -> tuple[Sequence[Program], int]:
    query = select(Program).where(Program.merchant_id == merchant_id)
    return fetch_page(session, query, page, order_by=(col(Program.created_at), col(Program.id)))


def slug_exists(session: Session, merchant_id: UUID, slug: str) -> bool:
    query = select(Program.id).where(Program.merchant_id == merchant_id, Program.slug == slug)
    return session.exec(query).first() is not None


def get_by_public_slug(session: Session, public_slug: str) -> Program | None:
    """The program behind a public join URL (not merchant-scoped: the slug is global)."""
    return session.exec(select(Program).where(Program.public_slug == public_slug)).first()
