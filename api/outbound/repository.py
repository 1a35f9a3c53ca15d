"""Queries for the outbound channels, and the counts of what is stale on each (read from the
wallets' own tables). Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, or_, select, update
from sqlmodel import Session, col

from api.apple_webservice.models import ApplePush, AppleRegistration
from api.db import insert_unless_conflict
from api.google_wallet.models import GoogleObject
from api.outbound.models import OutboundChannel


def channel(session: Session, name: str) -> OutboundChannel | None:
    return session.get(OutboundChannel, name, populate_existing=True)


def channels(session: Session) -> list[OutboundChannel]:
    return list(session.execute(select(OutboundChannel)).scalars())


def set_values(session: Session, name: str, **values: Any) -> None:
    """Write these values on the channel's row (made on first use)."""
    insert_unless_conflict(session, OutboundChannel(name=name))
    session.execute(
        update(OutboundChannel).where(col(OutboundChannel.name) == name).values(**values)
    )


def block(session: Session, name: str, *, credential: str, reason: str, now: datetime) -> bool:
    """Block the channel for ``credential``; True unless it was blocked for it already."""
    insert_unless_conflict(session, OutboundChannel(name=name))
    result = session.execute(
        update(OutboundChannel)
        .where(
            col(OutboundChannel.name) == name,
            or_(
                col(OutboundChannel.blocked_at).is_(None),
                col(OutboundChannel.blocked_credential) != credential,
            ),
        )
        .values(blocked_at=now, blocked_credential=credential, blocked_reason=reason[:300])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def unblock(session: Session, name: str) -> bool:
    """Lift the block; True when there was one."""
    result = session.execute(
        update(OutboundChannel)
        .where(col(OutboundChannel.name) == name, col(OutboundChannel.blocked_at).is_not(None))
        .values(blocked_at=None, blocked_credential=None, blocked_reason=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def stale_apple_pushes(
    session: Session, merchant_id: UUID | None = None, *, client: str = "apple"
) -> int:
    """Pending pushes to ``client``'s devices (Apple Wallet or an Android wallet app) marked
    stale (of one merchant's cards, or of all)."""
    query = (
        select(func.count())
        .select_from(ApplePush)
        .where(col(ApplePush.stale_at).is_not(None), col(ApplePush.client) == client)
    )
    if merchant_id is not None:
        query = query.join(
            AppleRegistration, col(AppleRegistration.id) == col(ApplePush.registration_id)
        ).where(col(AppleRegistration.merchant_id) == merchant_id)
    return int(session.execute(query).scalar_one())


def stale_google_objects(session: Session, merchant_id: UUID | None = None) -> int:
    """Google objects whose pending changes are marked stale (of one merchant, or of all)."""
    query = (
        select(func.count())
        .select_from(GoogleObject)
        .where(col(GoogleObject.stale_at).is_not(None))
    )
    if merchant_id is not None:
        query = query.where(col(GoogleObject.merchant_id) == merchant_id)
    return int(session.execute(query).scalar_one())
