"""What a verified Google callback changes: the card's "in Google Wallet" state, once per
nonce."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from api.db import insert_unless_conflict
from api.google_wallet.models import GoogleCallbackNonce, GoogleObject
from passes import CallbackEvent


def record_callback(session: Session, event: CallbackEvent, *, now: datetime) -> bool:
    """Mark the object saved (``save``) or removed (``del``). False for a nonce seen before:
    Google may deliver a callback twice, and it acts once."""
    fresh = insert_unless_conflict(
        session,
        GoogleCallbackNonce(
            nonce=event.nonce[:200],
            object_id=event.object_id[:160],
            event_type=event.event_type,
            received_at=now,
        ),
    )
    if not fresh:
        return False
    saved = event.event_type == "save"
    values: dict[str, Any] = {"in_wallet": saved, "saved_at" if saved else "removed_at": now}
    session.execute(
        update(GoogleObject).where(col(GoogleObject.object_id) == event.object_id).values(**values)
    )
    return True
