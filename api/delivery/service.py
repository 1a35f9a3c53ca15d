"""The delivery read model: did a card's changes reach the phones, on Apple (devices
registered, last push, last fetch) and on Google (object synced, saved, notifications left),
and how far did a campaign get. One place serves the member delivery view, the campaign stats
and the console."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlmodel import Session

from api.delivery import repository as delivery_repository
from api.delivery.budgets import NOTIFICATION_WINDOW, notifications_left
from api.delivery.schemas import CampaignDelivery, DeliveryPublic, GoogleDeliveryPublic
from api.members.models import Card
from api.members.service import get_member


def member_delivery(
    session: Session, merchant_id: UUID, member_id: UUID, *, now: datetime
) -> DeliveryPublic:
    """The delivery state of a member's card.

    Raises:
        MemberNotFound: no such member for this merchant.
    """
    _, card = get_member(session, merchant_id, member_id)
    return card_delivery(session, card, now=now)


def card_delivery(session: Session, card: Card, *, now: datetime) -> DeliveryPublic:
    by_client = delivery_repository.registrations_by_client(session, card.id)
    return DeliveryPublic(
        version=card.version,
        update_tag=str(card.update_tag),
        updated_at=card.updated_at,
        registered_devices=sum(by_client.values()),
        devices_by_client=by_client,
        last_push_at=card.last_push_at,
        last_push_status=card.last_push_status,
        last_fetched_at=card.last_fetched_at,
        last_fetched_version=card.last_fetched_version,
        is_current_on_devices=card.last_fetched_version == card.version,
        google=google_delivery(session, card, now=now),
    )


def google_delivery(session: Session, card: Card, *, now: datetime) -> GoogleDeliveryPublic | None:
    """The card's Google Wallet object, or None before the sync first saw the card."""
    state = delivery_repository.google_object(session, card.id)
    if state is None:
        return None
    return GoogleDeliveryPublic(
        object_id=state.object_id,
        synced_version=state.synced_version,
        is_current=state.synced_version == card.version,
        synced_at=state.synced_at,
        in_wallet=state.in_wallet,
        saved_at=state.saved_at,
        removed_at=state.removed_at,
        notifications_left_today=google_notifications_left(session, card.id, now=now),
        failures=state.failures,
        retry_at=state.retry_at,
        last_error=state.last_error,
    )


def google_notifications_left(session: Session, card_id: UUID, *, now: datetime) -> int:
    """What is left of the card's Google notification budget in the window ending ``now``."""
    used = delivery_repository.notifications_since(session, card_id, now - NOTIFICATION_WINDOW)
    return notifications_left(used)


def campaign_delivery(session: Session, campaign_id: UUID) -> CampaignDelivery:
    """How far a campaign's cards got on each wallet."""
    pushed, fetched = delivery_repository.campaign_apple_counts(session, campaign_id)
    synced, notified = delivery_repository.campaign_google_counts(session, campaign_id)
    web_push = delivery_repository.campaign_web_push_count(session, campaign_id)
    return CampaignDelivery(
        apple_pushes_delivered=pushed,
        apple_devices_fetched=fetched,
        google_synced=synced,
        google_notified=notified,
        web_push_delivered=web_push,
    )
