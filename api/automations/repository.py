"""Queries for automations: the automations of a program, the members each sweep finds, and
the occasions already fired. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from api.automations.models import Automation, AutomationFired, AutomationKind
from api.db import insert_unless_conflict
from api.ledger import repository as ledger_repository
from api.ledger.models import PointLot
from api.members.models import Member
from api.paging import PageRequest, fetch_page
from api.rewards.models import Coupon, Reward


def get(session: Session, program_id: UUID, kind: AutomationKind) -> Automation | None:
    return session.get(Automation, (program_id, kind))


def page_for_program(
    session: Session, program_id: UUID, page: PageRequest
) -> tuple[Sequence[Automation], int]:
    """A page of the program's automations by kind (program and kind are the key)."""
    query = select(Automation).where(col(Automation.program_id) == program_id)
    return fetch_page(session, query, page, order_by=(col(Automation.kind),))


def enabled(session: Session) -> list[Automation]:
    query = select(Automation).where(col(Automation.enabled).is_(True))
    return list(session.execute(query).scalars())


def add_fired(session: Session, fired: AutomationFired) -> bool:
    """Record an occasion; False when it was recorded before (it fires once)."""
    return insert_unless_conflict(session, fired)


def get_member(session: Session, member_id: UUID) -> Member:
    return session.get_one(Member, member_id)


def members_with_birthday(session: Session, program_id: UUID) -> list[Member]:
    query = select(Member).where(
        col(Member.program_id) == program_id, col(Member.birthday).is_not(None)
    )
    return list(session.execute(query).scalars())


def expiring_points(
    session: Session, program_id: UUID, *, after: datetime, until: datetime
) -> Sequence[Any]:
    """(member id, first expiry, points) of the members whose points expire in the window."""
    return session.execute(
        select(
            col(PointLot.member_id),
            func.min(col(PointLot.expires_at)),
            func.sum(col(PointLot.remaining)),
        )  # fmt: skip
        .join(Member, col(Member.id) == col(PointLot.member_id))
        .where(
            col(Member.program_id) == program_id,
            col(PointLot.remaining) > 0,
            col(PointLot.expires_at) > after,
            col(PointLot.expires_at) <= until,
        )
        .group_by(col(PointLot.member_id))
    ).all()


def lapsed_members(
    session: Session, merchant_id: UUID, program_id: UUID, *, since: datetime
) -> Sequence[Any]:
    """(member id, enrolled at, last visit) of members enrolled before ``since`` who have not
    bought anything since then."""
    last = ledger_repository.purchase_stats(merchant_id)
    return session.execute(
        select(col(Member.id), col(Member.created_at), last.c.last_visit)
        .outerjoin(last, last.c.member_id == col(Member.id))
        .where(
            col(Member.program_id) == program_id,
            col(Member.created_at) <= since,
            or_(last.c.last_visit.is_(None), last.c.last_visit < since),
        )
    ).all()


def point_rewards(session: Session, program_id: UUID) -> list[Reward]:
    """The program's active rewards that cost points."""
    query = select(Reward).where(
        col(Reward.program_id) == program_id,
        col(Reward.is_active).is_(True),
        col(Reward.cost_points).is_not(None),
    )
    return list(session.execute(query).scalars())


def members_within_reach(session: Session, program_id: UUID, reward: Reward) -> Sequence[Any]:
    """(member id, coupons of this reward the member has) of members with enough points."""
    used = (
        select(func.count())
        .select_from(Coupon)
        .where(and_(col(Coupon.member_id) == col(Member.id), col(Coupon.reward_id) == reward.id))
        .scalar_subquery()
    )
    return session.execute(
        select(col(Member.id), used).where(
            col(Member.program_id) == program_id,
            col(Member.points) >= (reward.cost_points or 0),
        )
    ).all()
