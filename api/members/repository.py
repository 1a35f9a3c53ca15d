"""Queries on members and cards; merchant-scoped except the public-token lookup."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, delete, func, or_
from sqlmodel import Session, col, select

from api.ledger.models import PointLot  # a shared table: the card shows the next expiry
from api.members.models import Card, Member, MemberTag


def get(session: Session, merchant_id: UUID, member_id: UUID) -> tuple[Member, Card] | None:
    query = (
        select(Member, Card)
        .join(Card, col(Card.member_id) == col(Member.id))
        .where(Member.id == member_id, Member.merchant_id == merchant_id)
    )
    row = session.exec(query).first()
    return (row[0], row[1]) if row else None


def find_by_contact(
    session: Session,
    program_id: UUID,
    *,
    phone: str | None,
    email: str | None,
    external_id: str | None = None,
) -> tuple[Member, Card] | None:
    matches = []
    if phone:
        matches.append(col(Member.phone) == phone)
    if email:
        matches.append(col(Member.email) == email)
    if external_id:
        matches.append(col(Member.external_id) == external_id)
    if not matches:
        return None
    query = (
        select(Member, Card)
        .join(Card, col(Card.member_id) == col(Member.id))
        .where(Member.program_id == program_id, or_(*matches))
        .order_by(col(Member.created_at))
    )
    row = session.exec(query).first()
    return (row[0], row[1]) if row else None


def find_by_external_id(
    session: Session, merchant_id: UUID, program_id: UUID, external_id: str
) -> tuple[Member, Card] | None:
    query = (
        select(Member, Card)
        .join(Card, col(Card.member_id) == col(Member.id))
        .where(
            Member.merchant_id == merchant_id,
            Member.program_id == program_id,
            Member.external_id == external_id,
        )
    )
    row = session.exec(query).first()
    return (row[0], row[1]) if row else None


def get_by_public_token(session: Session, token: str) -> tuple[Member, Card] | None:
    query = select(Member, Card).join(Card, col(Card.member_id) == col(Member.id))
    row = session.exec(query.where(Card.public_token == token)).first()
    return (row[0], row[1]) if row else None


def find_by_referral_code(session: Session, program_id: UUID, code: str) -> Member | None:
    query = select(Member).where(
        Member.program_id == program_id, Member.referral_code == code.strip().upper()
    )
    return session.exec(query).first()


def get_by_serial(session: Session, merchant_id: UUID, serial: str) -> tuple[Member, Card] | None:
    query = (
        select(Member, Card)
        .join(Card, col(Card.member_id) == col(Member.id))
        .where(Card.serial_number == serial, Card.merchant_id == merchant_id)
    )
    row = session.exec(query).first()
    return (row[0], row[1]) if row else None


def search(
    session: Session,
    merchant_id: UUID,
    *,
    query: str | None,
    program_id: UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Member, Card]], int]:
    """Members matching ``query`` in name, phone, email or card number, newest first."""
    base = (
        select(Member, Card)
        .join(Card, col(Card.member_id) == col(Member.id))
        .where(Member.merchant_id == merchant_id)
    )
    if program_id is not None:
        base = base.where(Member.program_id == program_id)
    if query:
        text = query.strip().lower()
        digits = "".join(ch for ch in text if ch.isdigit())
        matches: list[ColumnElement[bool]] = [
            func.lower(Member.name).contains(text, autoescape=True),
            func.lower(Member.email).contains(text, autoescape=True),
            col(Card.serial_number) == text,
        ]
        if len(digits) >= 4:
            matches.append(col(Member.phone).contains(digits, autoescape=True))
        base = base.where(or_(*matches))
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    rows = session.exec(
        base.order_by(col(Member.created_at).desc(), col(Member.id)).limit(limit).offset(offset)
    ).all()
    return [(m, c) for m, c in rows], int(total)


def tags_of(session: Session, member_ids: Iterable[UUID]) -> dict[UUID, list[str]]:
    """Each member's tags, sorted (members without tags are left out)."""
    ids = list(member_ids)
    if not ids:
        return {}
    query = (
        select(MemberTag.member_id, MemberTag.tag)
        .where(col(MemberTag.member_id).in_(ids))
        .order_by(col(MemberTag.tag))
    )
    tags: dict[UUID, list[str]] = {}
    for member_id, tag in session.exec(query):
        tags.setdefault(member_id, []).append(tag)
    return tags


def insert_tags(session: Session, member: Member, tags: Iterable[str]) -> None:
    """Insert ``tags``, none of which the member has yet."""
    for tag in sorted(tags):
        session.add(MemberTag(member_id=member.id, tag=tag, merchant_id=member.merchant_id))
    session.flush()


def remove_tags(session: Session, member_id: UUID, tags: Iterable[str]) -> None:
    session.execute(
        delete(MemberTag).where(
            col(MemberTag.member_id) == member_id, col(MemberTag.tag).in_(list(tags))
        )
    )


def next_expiry(session: Session, member_id: UUID) -> tuple[int, datetime] | None:
    """Points in the soonest-expiring lots, and when they expire."""
    first = session.exec(
        select(func.min(PointLot.expires_at)).where(
            PointLot.member_id == member_id,
            col(PointLot.remaining) > 0,
            col(PointLot.expires_at).is_not(None),
        )
    ).one()
    if first is None:
        return None
    total = session.exec(
        select(func.sum(PointLot.remaining)).where(
            PointLot.member_id == member_id,
            col(PointLot.remaining) > 0,
            PointLot.expires_at == first,
        )
    ).one()
    return int(total or 0), first
