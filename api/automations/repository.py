"""Queries for automations: the automations of a program, the members each sweep finds, and
the occasions already fired. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import and_, bindparam, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from api.apple_webservice.models import AppleRegistration
from api.automations.models import (
    Automation,
    AutomationFired,
    AutomationKind,
    PurchaseMessagePending,
)
from api.db import insert_unless_conflict
from api.google_wallet.models import GoogleObject
from api.ledger import repository as ledger_repository
from api.ledger.models import PointLot
from api.members.models import Card, Member
from api.messaging.models import Channel, ChannelConsent, Purpose
from api.paging import PageRequest, fetch_page
from api.rewards.models import Coupon, Reward
from api.webpush.models import WebPushSubscription

# Every purchase asks this: one prepared column select, no ORM object.
_IS_ENABLED = select(col(Automation.enabled)).where(
    col(Automation.program_id) == bindparam("program_id"), col(Automation.kind) == bindparam("kind")
)


def is_enabled(session: Session, program_id: UUID, kind: AutomationKind) -> bool:
    """Whether the program has the automation on (False when it was never set up)."""
    return bool(session.execute(_IS_ENABLED, {"program_id": program_id, "kind": kind}).scalar())


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


def members(session: Session, member_ids: Sequence[UUID]) -> dict[UUID, Member]:
    """The members by id, in one query."""
    if not member_ids:
        return {}
    query = select(Member).where(col(Member.id).in_(set(member_ids)))
    return {m.id: m for m in session.execute(query).scalars()}


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


# --- channels -----------------------------------------------------------------------------


def installed_members(session: Session, member_ids: Sequence[UUID]) -> set[UUID]:
    """The members whose card is installed: an Apple device registered it, or it is saved in
    Google Wallet (the delivery read model's "installed")."""
    if not member_ids:
        return set()
    apple = (
        select(col(Card.member_id))
        .join(AppleRegistration, col(AppleRegistration.card_id) == col(Card.id))
        .where(col(Card.member_id).in_(member_ids))
    )
    google = (
        select(col(Card.member_id))
        .join(GoogleObject, col(GoogleObject.card_id) == col(Card.id))
        .where(col(Card.member_id).in_(member_ids), col(GoogleObject.in_wallet).is_(True))
    )
    return set(session.execute(apple.union(google)).scalars())


def push_subscribed_members(session: Session, member_ids: Sequence[UUID]) -> set[UUID]:
    """The members whose card page subscribed to Web Push."""
    if not member_ids:
        return set()
    query = (
        select(col(Card.member_id))
        .join(WebPushSubscription, col(WebPushSubscription.card_id) == col(Card.id))
        .where(col(Card.member_id).in_(member_ids))
    )
    return set(session.execute(query).scalars())


def consented(
    session: Session, member_ids: Sequence[UUID], channel: Channel, purpose: Purpose
) -> set[UUID]:
    """The members whose latest consent for ``channel`` and ``purpose`` allows it (as
    ``messaging.service.has_consent``: marketing once granted, service unless withdrawn)."""
    if not member_ids:
        return set()
    rows = session.execute(
        select(col(ChannelConsent.member_id), col(ChannelConsent.is_granted))
        .where(
            col(ChannelConsent.member_id).in_(member_ids),
            col(ChannelConsent.channel) == channel,
            col(ChannelConsent.purpose) == purpose,
        )
        .order_by(col(ChannelConsent.recorded_at), col(ChannelConsent.id).desc())
    ).all()
    latest = dict(rows)  # the last row of each member wins, as in latest_consent
    default = purpose == Purpose.service
    return {m for m in member_ids if latest.get(m, default)}


# --- the after-purchase message -----------------------------------------------------------


def add_purchase(
    session: Session, member: Member, *, points: int, now: datetime, send_after: datetime
) -> None:
    """Start the member's pending message, or add a purchase to it (one upsert: exact under
    concurrency, and a row the job deletes meanwhile is inserted afresh)."""
    table = PurchaseMessagePending.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(
        member_id=member.id, id=uuid4(), merchant_id=member.merchant_id,
        program_id=member.program_id, points=points, purchases=1, first_at=now,
        send_after=send_after,
    )  # fmt: skip
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.member_id],
            set_={
                "points": table.c.points + statement.excluded.points,
                "purchases": table.c.purchases + 1,
            },
        )
    )


def due_purchase_messages(session: Session, now: datetime, *, limit: int) -> list[UUID]:
    query = (
        select(col(PurchaseMessagePending.member_id))
        .where(col(PurchaseMessagePending.send_after) <= now)
        .order_by(col(PurchaseMessagePending.send_after))
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def lock_member(session: Session, member_id: UUID) -> Member | None:
    """The member row locked until commit, read afresh (purchases lock it first too)."""
    query = select(Member).where(col(Member.id) == member_id).with_for_update()
    return session.execute(query.execution_options(populate_existing=True)).scalars().first()


def take_purchase_message(
    session: Session, member_id: UUID, now: datetime
) -> tuple[UUID, int, int] | None:
    """Delete the member's due pending message and return (id, points, purchases); None when
    another worker took it first."""
    table = PurchaseMessagePending.__table__  # type: ignore[attr-defined]
    row = session.execute(
        delete(table)
        .where(table.c.member_id == member_id, table.c.send_after <= now)
        .returning(table.c.id, table.c.points, table.c.purchases)
    ).first()
    return None if row is None else (row[0], int(row[1]), int(row[2]))
