"""Queries for the Google Wallet side of the outbox: leases on cards, pending outbox rows,
the notification budget spent, and marking a card synced. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlmodel import Session, col

from api.db import insert_unless_conflict
from api.google_wallet.models import GoogleClass, GoogleNotification, GoogleObject
from api.members.models import Card, Member
from api.outbox.models import OutboxEvent


def pending_cards(session: Session, *, now: datetime, limit: int) -> list[UUID]:
    """Cards with unsynced changes that no one holds and that are not waiting to retry,
    oldest change first."""
    pending = (
        select(col(OutboxEvent.card_id), func.min(col(OutboxEvent.id)).label("first"))
        .where(col(OutboxEvent.google_done_at).is_(None))
        .group_by(col(OutboxEvent.card_id))
        .subquery()
    )
    query = (
        select(pending.c.card_id)
        .outerjoin(GoogleObject, col(GoogleObject.card_id) == pending.c.card_id)
        .where(_unleased(now), _due(now))
        .order_by(pending.c.first)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def card_with_member(session: Session, card_id: UUID) -> tuple[Member, Card] | None:
    card = session.get(Card, card_id)
    if card is None:
        return None
    return session.get_one(Member, card.member_id), card


def add_object(session: Session, row: GoogleObject) -> None:
    """Record the card's object (not yet on Google) unless it is recorded already."""
    insert_unless_conflict(session, row)


def lease(
    session: Session, card_id: UUID, *, now: datetime, until: datetime, only_due: bool
) -> bool:
    """Hold the card until ``until`` unless another worker holds it (or, with ``only_due``,
    it waits to retry). True when we hold it now."""
    claim = (
        update(GoogleObject)
        .where(col(GoogleObject.card_id) == card_id, _unleased(now))
        .values(lease_until=until)
    )
    if only_due:
        claim = claim.where(_due(now))
    return bool(session.execute(claim).rowcount == 1)  # type: ignore[attr-defined]


def release(session: Session, card_id: UUID) -> None:
    session.execute(
        update(GoogleObject).where(col(GoogleObject.card_id) == card_id).values(lease_until=None)
    )


def pending_events(session: Session, card_id: UUID) -> Sequence[Any]:
    """(id, kind, message, created_at) of the card's outbox rows not yet on Google, in order."""
    return session.execute(
        select(
            col(OutboxEvent.id),
            col(OutboxEvent.kind),
            col(OutboxEvent.message),
            col(OutboxEvent.created_at),
        )  # fmt: skip
        .where(col(OutboxEvent.card_id) == card_id, col(OutboxEvent.google_done_at).is_(None))
        .order_by(col(OutboxEvent.id))
    ).all()


def shown_messages(
    session: Session, card_id: UUID, *, since: datetime, limit: int
) -> Sequence[Any]:
    """(id, message, created_at) of the newest messages already on the object that are still
    shown, newest first (we are their only writer)."""
    return session.execute(
        select(col(OutboxEvent.id), col(OutboxEvent.message), col(OutboxEvent.created_at))
        .where(
            col(OutboxEvent.card_id) == card_id,
            col(OutboxEvent.message).is_not(None),
            col(OutboxEvent.google_done_at).is_not(None),
            col(OutboxEvent.created_at) > since,
        )
        .order_by(col(OutboxEvent.id).desc())
        .limit(limit)
    ).all()


def get_class(session: Session, program_id: UUID) -> GoogleClass | None:
    return session.get(GoogleClass, program_id)


def mark_synced(
    session: Session,
    card_id: UUID,
    *,
    last_event_id: int,
    version: int,
    points: str,
    body_digest: str,
    now: datetime,
) -> None:
    """The card's outbox rows up to ``last_event_id`` are on Google, and so is ``version``
    (its object body has ``body_digest``)."""
    session.execute(
        update(OutboxEvent)
        .where(
            col(OutboxEvent.card_id) == card_id,
            col(OutboxEvent.id) <= last_event_id,
            col(OutboxEvent.google_done_at).is_(None),
        )
        .values(google_done_at=now)
    )
    session.execute(
        update(GoogleObject)
        .where(col(GoogleObject.card_id) == card_id)
        .values(
            synced_version=version,
            synced_points=points,
            body_digest=body_digest,
            synced_at=now,
            lease_until=None,
            retry_at=None,
            failures=0,
            last_error=None,
            stale_at=None,
        )
    )


def release_stale(session: Session, now: datetime) -> int:
    """Make every stale card due now; returns how many were waiting."""
    result = session.execute(
        update(GoogleObject)
        .where(
            col(GoogleObject.stale_at).is_not(None),
            or_(col(GoogleObject.retry_at).is_(None), col(GoogleObject.retry_at) > now),
        )
        .values(retry_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def add_notification(
    session: Session, card_id: UUID, *, kind: str, event_id: int, now: datetime
) -> None:
    session.add(GoogleNotification(card_id=card_id, kind=kind, event_id=event_id, sent_at=now))


def mark_saved(
    session: Session, object_id: str, values: dict[str, Any]
) -> tuple[UUID, UUID] | None:
    """Set the "in Google Wallet" state of the object ``object_id``; its (merchant, card)."""
    row = session.execute(
        update(GoogleObject)
        .where(col(GoogleObject.object_id) == object_id)
        .values(**values)
        .returning(col(GoogleObject.merchant_id), col(GoogleObject.card_id))
    ).first()
    return None if row is None else (row[0], row[1])


def _unleased(now: datetime) -> ColumnElement[bool]:
    return or_(col(GoogleObject.lease_until).is_(None), col(GoogleObject.lease_until) < now)


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(col(GoogleObject.retry_at).is_(None), col(GoogleObject.retry_at) <= now)
