"""The Google Wallet side of a card, session-first: what one sync must write (``SyncWork``,
read by ``claims`` before any call to Google), what a finished or failed sync records, and
what a verified callback changes.

The calls to Google themselves are made by the coordinator (``sync.py``) between these
functions, each of which runs in its own short transaction there.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlmodel import Session

from api.db import insert_unless_conflict
from api.delivery import repository as delivery_repository
from api.google_wallet import budget
from api.google_wallet import repository as google_repository
from api.google_wallet.budget import Message
from api.google_wallet.models import GoogleCallbackNonce, GoogleClass
from api.outbound import service as outbound_service
from api.outbound.service import Gate
from api.webhooks import service as webhook_service
from passes import CallbackEvent, GoogleWalletError

logger = logging.getLogger(__name__)
REFUSED_STATUSES = frozenset({401, 403})  # our key is not (or no longer) let in


@dataclass(slots=True)
class SyncWork:
    """One card's sync, read in one short transaction before any call to Google."""

    card_id: UUID
    merchant_id: UUID
    program_id: UUID
    version: int
    last_event_id: int
    wants_notification: bool
    synced_version: int
    synced_points: str | None
    object_digest: str | None  # of the body Google has (None: unknown, written before)
    notifications_left: int
    object_body: dict[str, Any]
    class_body: dict[str, Any]
    class_digest: str | None
    header: str
    # The design's language and the header (the organisation) in each of its languages.
    language: str = "en-US"
    headers: dict[str, str] = field(default_factory=dict)
    new_messages: list[Message] = field(default_factory=list)
    kept_messages: list[Message] = field(default_factory=list)
    request_id: str | None = None  # of the latest change a request made: logged, sent along


def record_class(session: Session, work: SyncWork, class_digest: str, *, now: datetime) -> None:
    """The program's class on Google now has the body with ``class_digest``."""
    row = google_repository.get_class(session, work.program_id)
    if row is None:
        session.add(
            GoogleClass(
                program_id=work.program_id,
                merchant_id=work.merchant_id,
                class_id=work.class_body["id"],
                body_digest=class_digest,
                synced_at=now,
            )
        )
    else:
        row.body_digest, row.synced_at = class_digest, now


def record_batch(
    session: Session,
    synced: Sequence[tuple[SyncWork, str, str, Sequence[tuple[str, int]]]],
    *,
    now: datetime,
) -> None:
    """Each card is on Google as read in its ``SyncWork``: (work, points key, body digest,
    notifications spent as (kind, the outbox row it was for)). Its outbox rows are done, its
    lease is released and each notification is counted; a few statements for all."""
    if not synced:
        return
    google_repository.mark_many_synced(session, [
        {"card_id": w.card_id, "last_event_id": w.last_event_id, "version": w.version,
         "points": points, "body_digest": body_digest}
        for w, points, body_digest, _ in synced
    ], now)  # fmt: skip
    outbound_service.delivered(session, outbound_service.GOOGLE, now=now)
    google_repository.add_notifications(session, [
        {"card_id": w.card_id, "kind": kind, "event_id": event_id, "sent_at": now}
        for w, _, _, notices in synced for kind, event_id in notices
    ])  # fmt: skip


@dataclass(frozen=True, slots=True)
class Failure:
    """What a failed sync recorded: the wait before the card's next try (None: held until
    the refused credential is replaced or an operator retries), and whether the card has
    just become stale."""

    retry_in: timedelta | None
    newly_stale: bool
    refused: bool


def record_failure(
    session: Session,
    card_id: UUID,
    error: GoogleWalletError,
    *,
    credential: str,
    now: datetime,
    stale_after: int,
) -> Failure:
    """Google refused or is down: release the card, keep its changes pending and retry it
    after a growing delay; after ``stale_after`` failures in a row it is stale (the operator
    alert). A refused credential (401, 403) blocks the channel instead, without counting a
    failure: nothing is tried again with it."""
    state = delivery_repository.google_object(session, card_id)
    assert state is not None
    state.lease_until = None
    state.last_error = f"{error.status} {error.reason}: {error}"[:300]
    reason = f"{error.status} {error.reason}"
    refused = error.status in REFUSED_STATUSES
    if refused:
        hint = getattr(error, "HINT", None)  # a 403 says what to do in the console
        if hint:
            reason = f"{reason}: {hint}"
        outbound_service.refused(session, outbound_service.GOOGLE, credential=credential,
                                 reason=reason, now=now)  # fmt: skip
        state.retry_at = None
        delay = None
    else:
        outbound_service.failed(session, outbound_service.GOOGLE, reason=reason, now=now)
        state.failures += 1
        delay = budget.retry_delay(state.failures)
        state.retry_at = now + delay
    newly_stale = state.stale_at is None and (refused or state.failures >= stale_after)
    if newly_stale:
        state.stale_at = now
    return Failure(delay, newly_stale, refused)


def may_send(session: Session, *, credential: str, now: datetime) -> bool:
    """False while Google's refusal of ``credential`` stands; when the refused key was
    replaced, the block is lifted and every stale card is due again."""
    gate = outbound_service.gate(session, outbound_service.GOOGLE, credential=credential)
    if gate is Gate.RESUMED:
        google_repository.release_stale(session, now)
    return gate is not Gate.BLOCKED


def release_stale(session: Session, *, now: datetime) -> int:
    """The re-sync step: once Google answers again, every stale card is due now (not in up
    to an hour). Returns how many were waiting."""
    if not outbound_service.answering_again(session, outbound_service.GOOGLE):
        return 0
    return google_repository.release_stale(session, now)


def retry_refused(session: Session, *, now: datetime) -> bool:
    """An operator retries after a refused key: the block is lifted and every stale card is
    due now. True when there was a block."""
    lifted = outbound_service.retry(session, outbound_service.GOOGLE)
    google_repository.release_stale(session, now)
    return lifted


def release(session: Session, card_ids: Collection[UUID]) -> None:
    """Give up the cards' leases without recording anything (their sync was interrupted,
    or never started after Google refused our key)."""
    google_repository.release_many(session, card_ids)


def needs_insert(session: Session, card_id: UUID) -> bool:
    """True when the card's object is not on Google yet: a save link to it would fail, so it
    is synced first."""
    state = delivery_repository.google_object(session, card_id)
    return state is None or state.synced_version == 0


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
    found = google_repository.mark_saved(session, event.object_id, values)
    if found is not None:
        webhook_service.enqueue(
            session,
            found[0],
            "card.installed" if saved else "card.removed",
            {"card_id": found[1], "wallet": "google"},
        )
    return True
