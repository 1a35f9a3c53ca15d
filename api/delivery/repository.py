"""Counting queries of the delivery read model: a campaign's outbox rows on each wallet."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlmodel import Session, col

from api.google_wallet.models import GoogleNotification, GoogleObject
from api.members.models import Card
from api.outbox.models import OutboxEvent


def campaign_apple_counts(session: Session, campaign_id: UUID) -> tuple[int, int]:
    """(cards whose last push after the campaign was delivered, cards whose new version a
    device downloaded)."""

    def count(*conditions: object) -> int:
        query = (
            select(func.count())
            .select_from(OutboxEvent)
            .join(Card, col(Card.id) == col(OutboxEvent.card_id))
        )
        query = query.where(col(OutboxEvent.campaign_id) == campaign_id, *conditions)  # type: ignore[arg-type]
        return int(session.execute(query).scalar_one())

    pushed = count(
        col(Card.last_push_status) == "delivered",
        col(Card.last_push_at) >= col(OutboxEvent.created_at),
    )
    fetched = count(col(Card.last_fetched_version) >= col(OutboxEvent.card_version))
    return pushed, fetched


def campaign_google_counts(session: Session, campaign_id: UUID) -> tuple[int, int]:
    """(Google objects that have the campaign's message, messages that notified)."""
    synced = session.execute(
        select(func.count())
        .select_from(OutboxEvent)
        .join(GoogleObject, col(GoogleObject.card_id) == col(OutboxEvent.card_id))
        .where(
            col(OutboxEvent.campaign_id) == campaign_id,
            col(OutboxEvent.google_done_at).is_not(None),
        )
    ).scalar_one()
    notified = session.execute(
        select(func.count())
        .select_from(GoogleNotification)
        .join(OutboxEvent, col(OutboxEvent.id) == col(GoogleNotification.event_id))
        .where(col(OutboxEvent.campaign_id) == campaign_id)
    ).scalar_one()
    return int(synced), int(notified)
