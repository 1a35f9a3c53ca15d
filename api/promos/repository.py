"""Queries of promos, their codes and redemptions; every one is scoped by merchant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import bindparam, func, insert, update
from sqlmodel import Session, col, select

from api.paging import PageRequest, fetch_page
from api.promos.models import Promo, PromoCode, PromoRedemption


def get_promo(session: Session, merchant_id: UUID, promo_id: UUID) -> Promo | None:
    query = select(Promo).where(Promo.id == promo_id, Promo.merchant_id == merchant_id)
    return session.exec(query).first()


def page_promos(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Sequence[Promo], int]:
    query = select(Promo).where(Promo.merchant_id == merchant_id, Promo.program_id == program_id)
    return fetch_page(session, query, page, order_by=(col(Promo.created_at), col(Promo.id)))


def find_code(session: Session, merchant_id: UUID, code: str) -> tuple[PromoCode, Promo] | None:
    query = (
        select(PromoCode, Promo)
        .join(Promo, col(Promo.id) == col(PromoCode.promo_id))
        .where(PromoCode.merchant_id == merchant_id, PromoCode.code == code)
    )
    row = session.exec(query).first()
    return (row[0], row[1]) if row else None


def taken_codes(session: Session, merchant_id: UUID, codes: Iterable[str]) -> set[str]:
    """Which of ``codes`` the merchant already uses."""
    wanted = list(codes)
    taken: set[str] = set()
    for start in range(0, len(wanted), 500):
        query = select(PromoCode.code).where(
            PromoCode.merchant_id == merchant_id,
            col(PromoCode.code).in_(wanted[start : start + 500]),
        )
        taken.update(session.exec(query).all())
    return taken


def insert_codes(
    session: Session, merchant_id: UUID, promo_id: UUID, codes: Iterable[str], *, now: datetime
) -> None:
    """A batch's codes in one multi-row INSERT (10,000 rows through the unit of work took
    seconds)."""
    rows = [
        {
            "id": uuid4(),
            "merchant_id": merchant_id,
            "promo_id": promo_id,
            "code": code,
            "uses": 0,
            "created_at": now,
        }  # fmt: skip
        for code in codes
    ]
    session.execute(insert(PromoCode), rows)


def codes_of(session: Session, promo_id: UUID) -> list[tuple[str, int]]:
    """The promo's codes and their uses (columns only: a batch may have 10,000)."""
    query = select(PromoCode.code, PromoCode.uses).where(PromoCode.promo_id == promo_id)
    rows = session.exec(query.order_by(col(PromoCode.created_at), col(PromoCode.code))).all()
    return [(code, uses) for code, uses in rows]


def code_stats(session: Session, promo_id: UUID) -> tuple[str | None, int, int]:
    """One of the promo's codes (its only one, when shared), how many, their uses in all."""
    query = select(
        func.min(PromoCode.code), func.count(), func.coalesce(func.sum(PromoCode.uses), 0)
    ).where(PromoCode.promo_id == promo_id)
    code, count, uses = session.exec(query).one()
    return code, int(count), int(uses)


def use_code(session: Session, code: PromoCode, limit: int | None) -> bool:
    """Count one use of ``code`` in one statement, unless it has reached ``limit``; the row
    stays locked until commit, so concurrent redemptions cannot both take the last use."""
    statement = update(PromoCode).where(col(PromoCode.id) == code.id)
    if limit is not None:
        statement = statement.where(col(PromoCode.uses) < limit)
    statement = statement.values(uses=col(PromoCode.uses) + 1).execution_options(
        synchronize_session=False
    )
    used = bool(session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]
    session.expire(code, ["uses"])
    return used


def redemption(session: Session, code_id: UUID, member_id: UUID) -> PromoRedemption | None:
    query = select(PromoRedemption).where(
        PromoRedemption.code_id == code_id, PromoRedemption.member_id == member_id
    )
    return session.exec(query).first()


def count_member_redemptions(session: Session, promo_id: UUID, member_id: UUID) -> int:
    query = select(func.count()).where(
        PromoRedemption.promo_id == promo_id, PromoRedemption.member_id == member_id
    )
    return int(session.exec(query).one())


def page_redemptions(
    session: Session, merchant_id: UUID, promo_id: UUID, page: PageRequest
) -> tuple[Sequence[PromoRedemption], int]:
    query = select(PromoRedemption).where(
        PromoRedemption.merchant_id == merchant_id, PromoRedemption.promo_id == promo_id
    )
    order = (col(PromoRedemption.created_at), col(PromoRedemption.id))
    return fetch_page(session, query, page, order_by=order)


# Every purchase asks this (and finds nothing, mostly): built once.
_PENDING_DISCOUNT = (
    select(PromoRedemption)
    .where(
        col(PromoRedemption.merchant_id) == bindparam("merchant_id"),
        col(PromoRedemption.member_id) == bindparam("member_id"),
        col(PromoRedemption.discount_percent).is_not(None),
        col(PromoRedemption.discount_used_at).is_(None),
    )
    .order_by(col(PromoRedemption.created_at), col(PromoRedemption.id))
)


def pending_discount(
    session: Session, merchant_id: UUID, member_id: UUID
) -> PromoRedemption | None:
    """The member's oldest discount grant no purchase has taken yet."""
    params = {"merchant_id": merchant_id, "member_id": member_id}
    return session.exec(_PENDING_DISCOUNT, params=params).first()


def discount_of_purchase(session: Session, transaction_id: UUID) -> PromoRedemption | None:
    query = select(PromoRedemption).where(PromoRedemption.discount_transaction_id == transaction_id)
    return session.exec(query).first()


def code_values(session: Session, ids: Iterable[UUID]) -> dict[UUID, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    query = select(PromoCode.id, PromoCode.code).where(col(PromoCode.id).in_(wanted))
    return {row[0]: row[1] for row in session.exec(query).all()}


def mark_discount_used(
    session: Session, row: PromoRedemption, transaction_id: UUID, now: datetime
) -> None:
    row.discount_used_at, row.discount_transaction_id = now, transaction_id
    session.add(row)
