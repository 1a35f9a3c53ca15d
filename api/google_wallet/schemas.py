"""What an operator sees of a card's Google Wallet object."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session, col

from api.google_wallet.models import GoogleNotification, GoogleObject
from api.google_wallet.sync import NOTIFICATION_LIMIT, NOTIFICATION_WINDOW
from api.members.models import Card


class GoogleDeliveryPublic(BaseModel):
    object_id: str
    synced_version: int
    is_current: bool
    synced_at: datetime | None
    in_wallet: bool
    saved_at: datetime | None
    removed_at: datetime | None
    notifications_left_today: int
    failures: int
    retry_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, session: Session, card: Card, now: datetime) -> GoogleDeliveryPublic | None:
        state = session.get(GoogleObject, card.id)
        if state is None:
            return None
        since = now - NOTIFICATION_WINDOW
        used = session.execute(
            select(func.count())
            .select_from(GoogleNotification)
            .where(
                col(GoogleNotification.card_id) == card.id,
                col(GoogleNotification.sent_at) > since,
            )
        ).scalar_one()
        return cls(
            object_id=state.object_id,
            synced_version=state.synced_version,
            is_current=state.synced_version == card.version,
            synced_at=state.synced_at,
            in_wallet=state.in_wallet,
            saved_at=state.saved_at,
            removed_at=state.removed_at,
            notifications_left_today=max(0, NOTIFICATION_LIMIT - used),
            failures=state.failures,
            retry_at=state.retry_at,
            last_error=state.last_error,
        )
