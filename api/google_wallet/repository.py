"""Queries for the Google Wallet side of the outbox: leases on cards, pending outbox rows,
the notification budget spent, and marking a card synced. Never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Table, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from api.google_wallet.models import GoogleClass, GoogleNotification, GoogleObject
from api.ledger.models import PointLot
from api.members.models import Card, Member
from api.outbox.models import OutboxEvent

_OBJECTS: Table = GoogleObject.__table__  # type: ignore[attr-defined]
_OUTBOX: Table = OutboxEvent.__table__  # type: ignore[attr-defined]
_NOTIFICATIONS: Table = GoogleNotification.__table__  # type: ignore[attr-defined]


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


# a batch of cards: a handful of statements per batch, not per card ------------------------------


def cards_with_members(session: Session, card_ids: Collection[UUID]) -> list[tuple[Member, Card]]:
    rows = session.execute(
        select(Member, Card)
        .join(Card, col(Card.member_id) == col(Member.id))
        .where(col(Card.id).in_(card_ids))
    ).all()
    return [(row[0], row[1]) for row in rows]


def add_objects(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Record the cards' objects (not yet on Google) unless recorded already."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(_OBJECTS).on_conflict_do_nothing(), list(rows))


def lease_many(
    session: Session, card_ids: Collection[UUID], *, now: datetime, until: datetime,
    only_due: bool,
) -> set[UUID]:  # fmt: skip
    """Hold each card no one holds (and, with ``only_due``, that is not waiting to retry)
    until ``until``; the cards we hold now."""
    claim = (
        update(_OBJECTS)
        .where(_OBJECTS.c.card_id.in_(card_ids), _unleased(now))
        .values(lease_until=until)
        .returning(_OBJECTS.c.card_id)
    )
    if only_due:
        claim = claim.where(_due(now))
    return set(session.execute(claim).scalars())


def object_states(session: Session, card_ids: Collection[UUID]) -> dict[UUID, Any]:
    """(card_id, synced_version, synced_points, body_digest) of each card's object."""
    c = _OBJECTS.c
    rows = session.execute(
        select(c.card_id, c.synced_version, c.synced_points, c.body_digest).where(
            c.card_id.in_(card_ids)
        )
    ).all()
    return {row.card_id: row for row in rows}


def pending_events_of(session: Session, card_ids: Collection[UUID]) -> dict[UUID, list[Any]]:
    """Each card's (id, kind, message, created_at, request_id) outbox rows not yet on Google,
    in order."""
    c = _OUTBOX.c
    rows = session.execute(
        select(c.card_id, c.id, c.kind, c.message, c.created_at, c.request_id)
        .where(c.card_id.in_(card_ids), c.google_done_at.is_(None))
        .order_by(c.id)
    ).all()
    events: dict[UUID, list[Any]] = defaultdict(list)
    for row in rows:
        events[row.card_id].append(row)
    return events


def next_expiries(
    session: Session, member_ids: Collection[UUID]
) -> dict[UUID, tuple[int, datetime]]:
    """Each member's points in the soonest-expiring lots, and when they expire (members
    with none are left out); ``members.repository.next_expiry`` for many."""
    c = PointLot.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(
        select(c.member_id, c.expires_at, func.sum(c.remaining))
        .where(c.member_id.in_(member_ids), c.remaining > 0, c.expires_at.is_not(None))
        .group_by(c.member_id, c.expires_at)
    ).all()
    soonest: dict[UUID, tuple[int, datetime]] = {}
    for member_id, expires_at, total in rows:
        if member_id not in soonest or expires_at < soonest[member_id][1]:
            soonest[member_id] = (int(total or 0), expires_at)
    return soonest


def notifications_since_of(
    session: Session, card_ids: Collection[UUID], since: datetime
) -> dict[UUID, int]:
    c = _NOTIFICATIONS.c
    rows = session.execute(
        select(c.card_id, func.count())
        .where(c.card_id.in_(card_ids), c.sent_at > since)
        .group_by(c.card_id)
    ).all()
    return {card_id: int(count) for card_id, count in rows}


def mark_many_synced(session: Session, synced: Sequence[Mapping[str, Any]], now: datetime) -> None:
    """``mark_synced`` for many cards, two statements: each item has ``card_id``,
    ``last_event_id``, ``version``, ``points`` and ``body_digest``."""
    if not synced:
        return
    done = (
        update(_OUTBOX)
        .where(
            _OUTBOX.c.card_id == bindparam("b_card"),
            _OUTBOX.c.id <= bindparam("b_last"),
            _OUTBOX.c.google_done_at.is_(None),
        )
        .values(google_done_at=now)
    )
    session.execute(done, [{"b_card": s["card_id"], "b_last": s["last_event_id"]} for s in synced])
    state = (
        update(_OBJECTS)
        .where(_OBJECTS.c.card_id == bindparam("b_card"))
        .values(
            synced_version=bindparam("b_version"),
            synced_points=bindparam("b_points"),
            body_digest=bindparam("b_digest"),
            synced_at=now,
            lease_until=None,
            retry_at=None,
            failures=0,
            last_error=None,
            stale_at=None,
        )  # fmt: skip
    )
    session.execute(state, [
        {"b_card": s["card_id"], "b_version": s["version"], "b_points": s["points"],
         "b_digest": s["body_digest"]} for s in synced
    ])  # fmt: skip


def add_notifications(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Notifications spent: each row has ``card_id``, ``kind``, ``event_id``, ``sent_at``."""
    if rows:
        session.execute(_NOTIFICATIONS.insert(), list(rows))


def release_many(session: Session, card_ids: Collection[UUID]) -> None:
    if card_ids:
        session.execute(
            update(_OBJECTS).where(_OBJECTS.c.card_id.in_(card_ids)).values(lease_until=None)
        )


def extend_leases(session: Session, card_ids: Collection[UUID], *, until: datetime) -> None:
    if card_ids:
        session.execute(
            update(_OBJECTS).where(_OBJECTS.c.card_id.in_(card_ids)).values(lease_until=until)
        )
