"""Queries on the messages outbox and the consent log."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import update
from sqlmodel import Session, col, select

from api.members.models import Member
from api.messaging.models import Channel, ChannelConsent, Kind, Message, Purpose, Status

ACTIVE = (Status.queued, Status.claimed, Status.sending)


def latest_consent(
    session: Session, member_id: UUID, channel: Channel, purpose: Purpose
) -> ChannelConsent | None:
    query = (
        select(ChannelConsent)
        .where(
            ChannelConsent.member_id == member_id,
            ChannelConsent.channel == channel,
            ChannelConsent.purpose == purpose,
        )
        .order_by(col(ChannelConsent.recorded_at).desc(), col(ChannelConsent.id))
        .limit(1)
    )
    return session.exec(query).first()


def due_messages(
    session: Session, *, now: datetime, limit: int, channels: Collection[Channel]
) -> Sequence[Message]:
    """Queued messages of ``channels`` that are due, and claimed ones whose lease ran out
    (their sender died), oldest first; on PostgreSQL locked, skipping rows another sender
    holds."""
    query = (
        select(Message)
        .where(
            col(Message.status).in_(ACTIVE),
            col(Message.next_attempt_at) <= now,
            col(Message.channel).in_(list(channels)),
        )
        .order_by(col(Message.next_attempt_at), col(Message.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.exec(query).all()


def has_due(session: Session, *, now: datetime, channels: Collection[Channel]) -> bool:
    query = (
        select(Message.id)
        .where(
            col(Message.status).in_(ACTIVE),
            col(Message.next_attempt_at) <= now,
            col(Message.channel).in_(list(channels)),
        )
        .limit(1)
    )
    return session.exec(query).first() is not None


def update_if_unchanged(
    session: Session, message_id: UUID, *, status: Status, attempts: int, values: dict[str, Any]
) -> bool:
    """Write ``values`` only while the row is still in ``status`` after ``attempts`` (no
    other sender took it meanwhile); True when it was written."""
    result = session.execute(
        update(Message)
        .where(
            col(Message.id) == message_id,
            col(Message.status) == status,
            col(Message.attempts) == attempts,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def by_provider_id(session: Session, provider: str, provider_id: str) -> Message | None:
    query = select(Message).where(Message.provider == provider, Message.provider_id == provider_id)
    return session.exec(query).first()


def members_by_phone(session: Session, phone: str) -> Sequence[Member]:
    """Members whose phone is ``phone`` with or without its leading ``+`` (providers report
    numbers either way; we store what the member typed, normalised)."""
    digits = phone.lstrip("+")
    return session.exec(select(Member).where(col(Member.phone).in_([digits, f"+{digits}"]))).all()


def marketing_times(
    session: Session, member_id: UUID, *, since: datetime, besides: UUID
) -> list[datetime]:
    """When the member's marketing messages went out since ``since`` (oldest first), with the
    ones being sent right now (claimed, not yet answered) counted as going out at their claim;
    ``besides`` is the message being decided about, which does not count itself."""
    sent = select(Message.sent_at).where(
        Message.member_id == member_id,
        Message.kind == Kind.marketing,
        col(Message.sent_at) >= since,
    )
    sending = select(Message.updated_at).where(
        Message.member_id == member_id,
        Message.kind == Kind.marketing,
        col(Message.status).in_([Status.claimed, Status.sending]),
        col(Message.sent_at).is_(None),
        col(Message.id) != besides,
    )
    times = [t for t in session.exec(sent).all() if t is not None]
    return sorted([*times, *session.exec(sending).all()])
