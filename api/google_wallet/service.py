"""The Google Wallet side of a card, session-first: what one sync must write (read before any
call to Google), what a finished or failed sync records, and what a verified callback changes.

The calls to Google themselves are made by the coordinator (``sync.py``) between these
functions, each of which runs in its own short transaction there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlmodel import Session

from api.cards import service as card_service
from api.db import insert_unless_conflict
from api.delivery import repository as delivery_repository
from api.delivery import service as delivery_service
from api.google_wallet import budget
from api.google_wallet import repository as google_repository
from api.google_wallet.budget import Message
from api.google_wallet.models import GoogleCallbackNonce, GoogleClass, GoogleObject
from api.google_wallet.wallet import GoogleWallet
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


def claim_work(
    session: Session,
    card_id: UUID,
    *,
    wallet: GoogleWallet,
    now: datetime,
    lease: timedelta,
    message_lifetime: timedelta,
    force: bool = False,
) -> SyncWork | None:
    """Hold the card for ``lease`` and read everything its sync writes; None when the card is
    gone, another worker holds it or (unless ``force``) it waits to retry."""
    found = google_repository.card_with_member(session, card_id)
    if found is None:
        return None
    member, card = found
    view = card_service.view_of(session, member, card)
    program = view.program
    google_repository.add_object(
        session,
        GoogleObject(
            card_id=card.id,
            merchant_id=card.merchant_id,
            object_id=wallet.object_id(card.id),
            class_id=wallet.class_id(program.id),
        ),
    )
    if not google_repository.lease(session, card_id, now=now, until=now + lease,
                                   only_due=not force):  # fmt: skip
        return None
    state = delivery_repository.google_object(session, card_id, fresh=True)
    assert state is not None
    events = google_repository.pending_events(session, card_id)
    loyalty = card_service.card_state(session, view, web_service_url=None, now=now)
    class_state = google_repository.get_class(session, program.id)
    design = wallet.designs[program.design]

    def texts(message: str) -> dict[str, str] | None:
        """The card's current message in other languages (older ones have none kept)."""
        return card.message_translations if message == card.message else None

    work = SyncWork(
        card_id=card_id,
        merchant_id=card.merchant_id,
        program_id=program.id,
        version=card.version,
        last_event_id=max((e.id for e in events), default=0),
        wants_notification=budget.wants_notification(e.kind for e in events),
        synced_version=state.synced_version,
        synced_points=state.synced_points,
        object_digest=state.body_digest,
        notifications_left=delivery_service.google_notifications_left(session, card_id, now=now),
        object_body=wallet.object_body(
            loyalty, card_id=card.id, program_id=program.id, design_name=program.design
        ),
        class_body=wallet.class_body(program.id, program.design, loyalty.locations),
        class_digest=class_state.body_digest if class_state else None,
        header=design.organization_name,
        language=design.language,
        headers={
            design.language: design.organization_name,
            **design.translations.get("program.organization", {}),
        },  # fmt: skip
        new_messages=[
            Message(e.id, e.message, e.created_at, texts(e.message)) for e in events if e.message
        ],  # fmt: skip
    )
    if work.new_messages:
        shown = google_repository.shown_messages(
            session, card_id, since=now - message_lifetime, limit=budget.MAX_MESSAGES
        )
        work.kept_messages = [Message(r.id, r.message, r.created_at, texts(r.message))
                              for r in reversed(shown)]  # fmt: skip
    return work


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


def record_synced(
    session: Session,
    work: SyncWork,
    *,
    points: str,
    body_digest: str,
    notifications: list[tuple[str, int]],
    now: datetime,
) -> None:
    """The card is on Google as read in ``work``: its outbox rows are done, the lease is
    released and each notification spent (kind, the outbox row it was for) is counted."""
    google_repository.mark_synced(session, work.card_id, last_event_id=work.last_event_id,
                                  version=work.version, points=points,
                                  body_digest=body_digest, now=now)  # fmt: skip
    outbound_service.delivered(session, outbound_service.GOOGLE, now=now)
    for kind, event_id in notifications:
        google_repository.add_notification(session, work.card_id, kind=kind, event_id=event_id,
                                           now=now)  # fmt: skip


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


def release(session: Session, card_id: UUID) -> None:
    """Give up the card's lease without recording anything (the sync was interrupted)."""
    google_repository.release(session, card_id)


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
