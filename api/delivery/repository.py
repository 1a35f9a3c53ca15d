"""Counting queries of the delivery read model: a campaign's outbox rows on each wallet."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlmodel import Session, col

from api.apple_webservice.models import AppleDevice, AppleRegistration
from api.google_wallet.models import GoogleNotification, GoogleObject
from api.members.models import Card
from api.outbox.models import OutboxEvent
from api.webpush.models import WebPushSubscription


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


def campaign_web_push_count(session: Session, campaign_id: UUID) -> int:
    """Cards with a browser subscription whose last notification, sent after the campaign's
    change, a push service accepted (several browsers on one card count once)."""
    delivered = (
        select(col(WebPushSubscription.id))
        .where(
            col(WebPushSubscription.card_id) == col(OutboxEvent.card_id),
            col(WebPushSubscription.last_status) == "delivered",
            col(WebPushSubscription.last_sent_at) >= col(OutboxEvent.created_at),
        )
        .exists()
    )
    query = (
        select(func.count())
        .select_from(OutboxEvent)
        .where(col(OutboxEvent.campaign_id) == campaign_id, delivered)
    )
    return int(session.execute(query).scalar_one())


def registrations_by_client(session: Session, card_id: UUID) -> dict[str, int]:
    """Devices that hold the card through Apple's web service, by wallet app."""
    query = (
        select(col(AppleDevice.client), func.count())
        .join(AppleRegistration, col(AppleRegistration.device_id) == col(AppleDevice.id))
        .where(col(AppleRegistration.card_id) == card_id)
        .group_by(col(AppleDevice.client))
    )
    return {client: int(count) for client, count in session.execute(query).all()}


def google_object(session: Session, card_id: UUID, *, fresh: bool = False) -> GoogleObject | None:
    """The card's Google Wallet object as the sync last left it."""
    return session.get(GoogleObject, card_id, populate_existing=fresh)


def notifications_since(session: Session, card_id: UUID, since: datetime) -> int:
    """Notifications asked of Google for the card after ``since``."""
    query = (
        select(func.count())
        .select_from(GoogleNotification)
        .where(col(GoogleNotification.card_id) == card_id, col(GoogleNotification.sent_at) > since)
    )
    return int(session.execute(query).scalar_one())
