"""Queries of designs: drafts and versions always scoped by merchant; images by hash."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.designs.models import DesignDraft, DesignImage, DesignVersion
from api.members.models import Member
from api.merchants.models import Merchant
from api.paging import PageRequest, fetch_page
from api.programs.models import Program


def save_images(session: Session, images: dict[str, bytes]) -> None:
    """Store image bytes by hash (``images``: sha256 -> bytes); present ones are kept."""
    if not images:
        return
    present = set(
        session.exec(select(DesignImage.sha256).where(col(DesignImage.sha256).in_(images))).all()
    )
    for digest, data in images.items():
        if digest not in present:
            session.add(DesignImage(sha256=digest, data=data))
    session.flush()


def images(session: Session, digests: Iterable[str]) -> dict[str, bytes]:
    wanted = set(digests)
    if not wanted:
        return {}
    rows = session.exec(select(DesignImage).where(col(DesignImage.sha256).in_(wanted))).all()
    return {row.sha256: row.data for row in rows}


def draft(session: Session, merchant_id: UUID, program_id: UUID) -> DesignDraft | None:
    found = session.get(DesignDraft, program_id)
    return found if found is not None and found.merchant_id == merchant_id else None


def version(
    session: Session, program_id: UUID, number: int, *, merchant_id: UUID | None = None
) -> DesignVersion | None:
    query = select(DesignVersion).where(
        DesignVersion.program_id == program_id, DesignVersion.version == number
    )
    if merchant_id is not None:
        query = query.where(DesignVersion.merchant_id == merchant_id)
    return session.exec(query).first()


def latest_version(session: Session, program_id: UUID) -> int:
    query = select(func.max(DesignVersion.version)).where(DesignVersion.program_id == program_id)
    return int(session.exec(query).one() or 0)


def page_versions(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Sequence[DesignVersion], int]:
    query: Any = select(DesignVersion).where(
        DesignVersion.merchant_id == merchant_id, DesignVersion.program_id == program_id
    )
    return fetch_page(
        session, query, page, order_by=[col(DesignVersion.version), col(DesignVersion.id)]
    )


def names(session: Session, program_id: UUID) -> tuple[str, str, int | None] | None:
    """(merchant name, program name, stamps required) of the program, for its neutral design."""
    query = (
        select(Merchant.name, Program.name, Program.stamps_required)
        .join(Merchant, col(Merchant.id) == col(Program.merchant_id))
        .where(Program.id == program_id)
    )
    row = session.exec(query).first()
    return None if row is None else (row[0], row[1], row[2])


def member_ids(session: Session, merchant_id: UUID, program_id: UUID) -> Sequence[UUID]:
    query = select(Member.id).where(
        Member.merchant_id == merchant_id, Member.program_id == program_id
    )
    return session.exec(query.order_by(col(Member.id))).all()
