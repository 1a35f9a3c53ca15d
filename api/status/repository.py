"""Queries over every merchant's delivery tables (the operator's view): no merchant scope."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import distinct, func, or_
from sqlmodel import Session, col, select

from api.apple_webservice.models import ApplePush
from api.google_wallet.models import GoogleNotification, GoogleObject
from api.outbox.models import OutboxEvent
from api.webpush.models import WebPushSubscription

_DONE = {
    "apple": OutboxEvent.apple_done_at,
    "google": OutboxEvent.google_done_at,
    "webpush": OutboxEvent.webpush_done_at,
}


def oldest_pending_change(session: Session, channel: str) -> datetime | None:
    """When the oldest card change not yet taken up by ``channel``'s sender was made (the
    first by id: rows are numbered as they are written, and the primary key is indexed)."""
    query = (
        select(col(OutboxEvent.created_at))
        .where(col(_DONE[channel]).is_(None))
        .order_by(col(OutboxEvent.id))
        .limit(1)
    )
    return session.exec(query).first()


def apple_pushes(session: Session) -> dict[tuple[str, bool], int]:
    """Pending pushes by (client, stale): Apple Wallet and the Android wallet apps."""
    is_stale = col(ApplePush.stale_at).is_not(None)
    query = select(col(ApplePush.client), is_stale, func.count()).group_by(
        col(ApplePush.client), is_stale
    )
    return {(client, bool(stale)): count for client, stale, count in session.execute(query)}


def google_pending_cards(session: Session) -> int:
    query = select(func.count(distinct(col(OutboxEvent.card_id)))).where(
        col(OutboxEvent.google_done_at).is_(None)
    )
    return int(session.execute(query).scalar_one())


def google_stale_objects(session: Session) -> int:
    query = (
        select(func.count())
        .select_from(GoogleObject)
        .where(col(GoogleObject.stale_at).is_not(None))
    )
    return int(session.execute(query).scalar_one())


def google_notifications_since(session: Session, since: datetime, *, limit: int) -> tuple[int, int]:
    """Notifications asked of Google since ``since``, and the cards that used ``limit``."""
    per_card = (
        select(func.count().label("used"))
        .where(col(GoogleNotification.sent_at) >= since)
        .group_by(col(GoogleNotification.card_id))
        .subquery()
    )
    query = select(func.coalesce(func.sum(per_card.c.used), 0),
                   func.count().filter(per_card.c.used >= limit))  # fmt: skip
    sent, at_limit = session.execute(query).one()
    return int(sent), int(at_limit)


def webpush_subscriptions(session: Session) -> tuple[int, int]:
    """Subscriptions with a notification pending, and those whose last one failed for good."""
    failed = or_(
        col(WebPushSubscription.last_status).like("gave up%"),
        col(WebPushSubscription.last_status).like("refused%"),
    )
    pending = col(WebPushSubscription.pending_since).is_not(None)
    query = select(func.count().filter(pending), func.count().filter(failed)).select_from(
        WebPushSubscription
    )
    waiting, given_up = session.execute(query).one()
    return int(waiting), int(given_up)
