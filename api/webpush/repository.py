"""Queries of Web Push: subscriptions, the outbox rows not yet turned into notifications,
leasing due notifications with what they show. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, func, or_, select, update
from sqlmodel import Session, col

from api.members.models import Card, Member
from api.outbox.models import OutboxEvent
from api.programs.models import Program
from api.webpush.models import WebPushSubscription

Sub = WebPushSubscription


def by_endpoint(session: Session, endpoint: str) -> WebPushSubscription | None:
    return session.execute(select(Sub).where(col(Sub.endpoint) == endpoint)).scalars().first()


def delete_for_card(session: Session, card_id: UUID, endpoint: str) -> int:
    result = session.execute(
        delete(Sub).where(col(Sub.card_id) == card_id, col(Sub.endpoint) == endpoint)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def count_for_card(session: Session, card_id: UUID) -> int:
    return len(session.execute(select(col(Sub.id)).where(col(Sub.card_id) == card_id)).all())


def due_outbox(session: Session, *, limit: int) -> Sequence[OutboxEvent]:
    """Outbox events not yet turned into notifications, oldest first, locked for us."""
    query = (
        select(OutboxEvent)
        .where(col(OutboxEvent.webpush_done_at).is_(None))
        .order_by(col(OutboxEvent.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.execute(query).scalars().all()


def mark_done(session: Session, event_ids: list[int], now: datetime) -> None:
    session.execute(
        update(OutboxEvent).where(col(OutboxEvent.id).in_(event_ids)).values(webpush_done_at=now)
    )


def set_pending(
    session: Session, card_ids: list[UUID], message: str | None, now: datetime, *, changes: int = 1
) -> None:
    """Coalesce ``changes`` more changes into the pending notification of every subscription
    of ``card_ids`` (``message``, when given, is the newest of them)."""
    values: dict[str, Any] = {
        "generation": col(Sub.generation) + changes,
        "pending_since": func.coalesce(col(Sub.pending_since), now),
        "next_attempt_at": func.coalesce(col(Sub.next_attempt_at), now),
    }
    if message is not None:
        values["pending_message"] = message
    session.execute(update(Sub).where(col(Sub.card_id).in_(card_ids)).values(**values))


def has_due(session: Session, now: datetime) -> bool:
    query = select(col(Sub.id)).where(*_due(now)).limit(1)
    return session.execute(query).first() is not None


def _due(now: datetime) -> list[Any]:
    return [
        col(Sub.pending_since).is_not(None),
        col(Sub.next_attempt_at) <= now,
        or_(col(Sub.leased_until).is_(None), col(Sub.leased_until) < now),
    ]


def lease(session: Session, *, now: datetime, lease: timedelta, limit: int) -> list[Any]:
    """Due subscriptions with their card's token, balance and program, leased to us."""
    query = (
        select(
            Sub,
            col(Card.public_token),
            col(Member.points),
            col(Member.stamps),
            col(Program.name),
            col(Program.design),
        )  # fmt: skip
        .join(Card, and_(col(Card.id) == col(Sub.card_id)))
        .join(Member, col(Member.id) == col(Card.member_id))
        .join(Program, col(Program.id) == col(Member.program_id))
        .where(*_due(now))
        .order_by(col(Sub.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True, of=Sub)
    )
    rows = session.execute(query).all()
    if rows:
        ids = [row[0].id for row in rows]
        session.execute(update(Sub).where(col(Sub.id).in_(ids)).values(leased_until=now + lease))
    return list(rows)


def delete_ids(session: Session, ids: list[UUID]) -> None:
    if ids:
        session.execute(delete(Sub).where(col(Sub.id).in_(ids)))
