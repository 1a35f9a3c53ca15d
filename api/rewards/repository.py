"""Queries on rewards and coupons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from api.paging import PageRequest, fetch_page
from api.rewards.models import Coupon, Reward


def get_reward(session: Session, merchant_id: UUID, reward_id: UUID) -> Reward | None:
    query = select(Reward).where(Reward.id == reward_id, Reward.merchant_id == merchant_id)
    return session.exec(query).first()


def list_rewards(session: Session, merchant_id: UUID, program_id: UUID) -> Sequence[Reward]:
    query = select(Reward).where(Reward.merchant_id == merchant_id, Reward.program_id == program_id)
    return session.exec(query.order_by(col(Reward.created_at))).all()


def page_rewards(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Sequence[Reward], int]:
    query = select(Reward).where(Reward.merchant_id == merchant_id, Reward.program_id == program_id)
    return fetch_page(session, query, page, order_by=(col(Reward.created_at), col(Reward.id)))


def count_coupons(session: Session, member_id: UUID, reward_id: UUID) -> int:
    query = (
        select(func.count())
        .select_from(Coupon)
        .where(Coupon.member_id == member_id, Coupon.reward_id == reward_id)
    )
    return int(session.exec(query).one())


def coupon_counts(session: Session, member_id: UUID) -> dict[UUID, int]:
    """How many coupons the member has had of each reward."""
    query = (
        select(Coupon.reward_id, func.count())
        .where(Coupon.member_id == member_id)
        .group_by(col(Coupon.reward_id))
    )
    return {reward_id: int(count) for reward_id, count in session.exec(query).all()}


def take_from_stock(session: Session, reward: Reward) -> bool:
    """One coupon out of a limited ``reward``'s stock, in one statement (the row stays locked
    until commit, so concurrent redemptions cannot both take the last); False when none left."""
    statement = (
        update(Reward)
        .where(col(Reward.id) == reward.id, col(Reward.stock) > 0)
        .values(stock=col(Reward.stock) - 1)
        .execution_options(synchronize_session=False)
    )
    taken = bool(session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]
    session.expire(reward, ["stock"])
    return taken


def code_exists(session: Session, code: str) -> bool:
    return session.exec(select(Coupon.id).where(Coupon.code == code)).first() is not None


def lock_coupon(session: Session, merchant_id: UUID, code: str) -> Coupon | None:
    """The coupon, locked until the transaction ends, read afresh: a copy this session loaded
    before the lock was granted would still say "unused" after another till used it."""
    query = select(Coupon).where(Coupon.code == code, Coupon.merchant_id == merchant_id)
    query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def page_member_coupons(
    session: Session, merchant_id: UUID, member_id: UUID, page: PageRequest
) -> tuple[Sequence[Coupon], int]:
    """A page of the member's coupons, newest first."""
    query = select(Coupon).where(Coupon.merchant_id == merchant_id, Coupon.member_id == member_id)
    order = (col(Coupon.created_at).desc(), col(Coupon.id))
    return fetch_page(session, query, page, order_by=order)


def usable_coupons(
    session: Session, merchant_id: UUID, member_id: UUID, *, now: datetime
) -> Sequence[tuple[Coupon, Reward]]:
    """The member's unused, unexpired coupons with their rewards, soonest to expire first."""
    query = (
        select(Coupon, Reward)
        .join(Reward, col(Reward.id) == col(Coupon.reward_id))
        .where(
            Coupon.merchant_id == merchant_id,
            Coupon.member_id == member_id,
            col(Coupon.used_at).is_(None),
            Coupon.valid_until > now,
        )
        .order_by(col(Coupon.valid_until))
    )
    return [(c, r) for c, r in session.exec(query).all()]


def coupon_with_reward(
    session: Session, merchant_id: UUID, code: str
) -> tuple[Coupon, Reward] | None:
    query = (
        select(Coupon, Reward)
        .join(Reward, col(Reward.id) == col(Coupon.reward_id))
        .where(Coupon.merchant_id == merchant_id, Coupon.code == code)
    )
    row = session.exec(query).first()
    return (row[0], row[1]) if row else None
