"""Outbound channels (APNs, Google Wallet), session-first: may we send with this credential,
what the other side said, and what an operator and the health check see.

A delivery is never dropped: the wallets keep an undelivered change pending and mark it
stale after their retry budget. A refused credential (APNs 403, Google 401/403) blocks the
channel, so no retries are burned on it, until the credential is replaced (a process starts
with another one) or an operator retries (``loyalpass deliveries retry``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from uuid import UUID

from sqlmodel import Session

from api.outbound import repository
from api.outbound.models import OutboundChannel

logger = logging.getLogger(__name__)

APNS = "apns"
GOOGLE = "google"
# Android wallet apps on Apple's web service: a channel each, named as their devices' client.
ANDROID_APPS = {"walletpasses": "Wallet Passes", "pass2u": "Pass2U", "passworks": "Passworks"}
WALLET_NAMES = {APNS: "Apple Wallet", GOOGLE: "Google Wallet", **ANDROID_APPS}


class Gate(Enum):
    OPEN = "open"
    BLOCKED = "blocked"  # our credential was refused: send nothing
    RESUMED = "resumed"  # the refused credential was replaced: the block is lifted now


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    """What the health check says about one channel: ``ok``, ``stale`` (changes still
    undelivered after the retry budget) or ``blocked`` (our credential was refused)."""

    name: str
    state: str
    stale: int
    reason: str | None = None
    blocked_since: datetime | None = None
    last_ok_at: datetime | None = None
    last_failure_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """A console banner: one merchant's cards are not reaching one wallet."""

    channel: str
    wallet: str
    blocked: bool
    stale: int


def gate(session: Session, name: str, *, credential: str) -> Gate:
    """May the channel send with ``credential``? A block for another credential is lifted."""
    row = repository.channel(session, name)
    if row is None or row.blocked_at is None:
        return Gate.OPEN
    if row.blocked_credential == credential:
        return Gate.BLOCKED
    repository.unblock(session, name)
    logger.warning("credential replaced: deliveries resume", extra={"channel": name})
    return Gate.RESUMED


def refused(session: Session, name: str, *, credential: str, reason: str, now: datetime) -> None:
    """The other side refused ``credential``: block the channel and alert (once)."""
    if repository.block(session, name, credential=credential, reason=reason, now=now):
        logger.error(
            "%s refused our credential: deliveries stop until it is replaced or an operator "
            "retries",
            WALLET_NAMES.get(name, name),
            extra={"channel": name, "reason": reason},
        )


def delivered(session: Session, name: str, *, now: datetime) -> None:
    """The other side accepted a delivery at ``now``."""
    repository.set_values(session, name, last_ok_at=now)


def failed(session: Session, name: str, *, reason: str, now: datetime) -> None:
    """A delivery failed at ``now`` (down, timed out, throttled)."""
    repository.set_values(session, name, last_failure_at=now, last_failure=reason[:300])


def answering_again(session: Session, name: str) -> bool:
    """True when the channel is not blocked and its latest answer was a delivery."""
    row = repository.channel(session, name)
    if row is None or row.blocked_at is not None or row.last_ok_at is None:
        return False
    return row.last_failure_at is None or row.last_ok_at >= row.last_failure_at


def retry(session: Session, name: str) -> bool:
    """An operator lifts the channel's block; True when there was one."""
    lifted = repository.unblock(session, name)
    if lifted:
        logger.warning("an operator lifted the block: deliveries resume", extra={"channel": name})
    return lifted


def status(session: Session) -> list[ChannelStatus]:
    """Every channel that has been used or has something stale, with what is stale on it."""
    stale = {APNS: repository.stale_apple_pushes(session),
             GOOGLE: repository.stale_google_objects(session),
             **{name: repository.stale_apple_pushes(session, client=name)
                for name in ANDROID_APPS}}  # fmt: skip
    rows = {row.name: row for row in repository.channels(session)}
    result = []
    for name in sorted(set(rows) | {name for name, count in stale.items() if count}):
        row = rows.get(name) or OutboundChannel(name=name)
        count = stale.get(name, 0)
        if row.blocked_at is not None:
            state, reason = "blocked", row.blocked_reason
        elif count:
            state, reason = "stale", row.last_failure
        else:
            state, reason = "ok", None
        result.append(
            ChannelStatus(
                name, state, count, reason, row.blocked_at, row.last_ok_at, row.last_failure_at
            )  # fmt: skip
        )
    return result


def merchant_alerts(session: Session, merchant_id: UUID) -> list[Alert]:
    """The wallets this merchant's card changes are not reaching: a blocked channel affects
    every merchant; otherwise only a merchant with stale changes."""
    blocked = {row.name for row in repository.channels(session) if row.blocked_at is not None}
    counts = {APNS: repository.stale_apple_pushes(session, merchant_id),
              GOOGLE: repository.stale_google_objects(session, merchant_id),
              **{name: repository.stale_apple_pushes(session, merchant_id, client=name)
                 for name in ANDROID_APPS}}  # fmt: skip
    return [
        Alert(name, WALLET_NAMES[name], name in blocked, count)
        for name, count in counts.items()
        if count or name in blocked
    ]
