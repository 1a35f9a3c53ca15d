"""Web Push rules, session-first: subscribing a card, and the notification queue (outbox
events become one pending notification per subscription, coalesced; leased batches; what the
push service answered). Never commits."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlmodel import Session

from api.cards.service import CardView
from api.delivery.budgets import NOTIFICATION_LIMIT, NOTIFICATION_WINDOW
from api.outbound.addresses import Resolver, system_resolver
from api.webpush import repository
from api.webpush.errors import SubscriptionNotFound
from api.webpush.models import WebPushSubscription
from api.webpush.schemas import SubscriptionCreate
from api.webpush.validation import check_endpoint, check_keys

logger = logging.getLogger(__name__)

FAN_OUT_BATCH = 1000
MAX_ATTEMPTS = 12
# Changes no one needs to be told about: the card still updates when it is opened.
SILENT_KINDS = frozenset({"design", "stores", "enrol", "handover", "geo_start", "geo_end"})

_TEXTS = {
    "ru": {"points": "У вас {n} баллов", "stamps": "У вас {n} штампов"},
    "en": {"points": "You have {n} points", "stamps": "You have {n} stamps"},
}


def subscribe(
    session: Session,
    view: CardView,
    data: SubscriptionCreate,
    *,
    language: str,
    allow_hosts: Collection[str],
    now: datetime,
    resolve: Resolver = system_resolver,
) -> WebPushSubscription:
    """Store (or move to this card) the browser's subscription.

    Raises:
        EndpointNotHttps, EndpointPrivate, EndpointUnresolvable: the endpoint is refused.
        InvalidP256dh, InvalidAuth: a key is not what RFC 8291 requires.
    """
    check_endpoint(data.endpoint, allow_hosts, resolve)
    check_keys(data.keys.p256dh, data.keys.auth)
    found = repository.by_endpoint(session, data.endpoint)
    if found is None:
        found = WebPushSubscription(
            merchant_id=view.card.merchant_id, card_id=view.card.id, endpoint=data.endpoint,
            p256dh=data.keys.p256dh, auth=data.keys.auth, language=language, created_at=now,
        )  # fmt: skip
    else:  # a browser keeps its endpoint; the keys or the card may change
        found.merchant_id, found.card_id = view.card.merchant_id, view.card.id
        found.p256dh, found.auth, found.language = data.keys.p256dh, data.keys.auth, language
    session.add(found)
    session.flush()
    return found


def unsubscribe(session: Session, view: CardView, endpoint: str) -> None:
    """Raises:
    SubscriptionNotFound: the card has no subscription with this endpoint.
    """
    if repository.delete_for_card(session, view.card.id, endpoint) == 0:
        raise SubscriptionNotFound()


def fan_out(session: Session, *, now: datetime) -> int:
    """Turn up to a thousand outbox rows into pending notifications; returns how many rows."""
    events = repository.due_outbox(session, limit=FAN_OUT_BATCH)
    if not events:
        return 0
    # Per card: how many changes and the newest message. Cards that end the same way share
    # one UPDATE (a campaign's thousand cards: one statement, not a thousand).
    changes: dict[UUID, tuple[int, str | None]] = {}
    for event in events:
        if event.message is not None or event.kind not in SILENT_KINDS:
            count, message = changes.get(event.card_id, (0, None))
            newest = event.message if event.message is not None else message
            changes[event.card_id] = (count + 1, newest)
            logger.debug("card queued for web push", extra={"card_id": str(event.card_id),
                         "kind": event.kind, "request_id": event.request_id})  # fmt: skip
    groups: dict[tuple[int, str | None], list[UUID]] = {}
    for card_id, change in changes.items():
        groups.setdefault(change, []).append(card_id)
    for (count, message), card_ids in groups.items():
        repository.set_pending(session, card_ids, message, now, changes=count)
    repository.mark_done(session, [e.id for e in events if e.id is not None], now)
    return len(events)


@dataclass(frozen=True)
class Notification:
    """One leased notification: where it goes and what it shows (JSON payload)."""

    subscription_id: UUID
    generation: int
    attempts: int
    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    over_budget: bool


@dataclass
class WebPushReport:
    events: int = 0
    sent: int = 0
    retried: int = 0
    removed: int = 0
    dropped: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def add(self, other: WebPushReport) -> None:
        self.events += other.events
        self.sent += other.sent
        self.retried += other.retried
        self.removed += other.removed
        self.dropped += other.dropped


def lease(
    session: Session, *, now: datetime, lease: timedelta, limit: int, public_url: str
) -> list[Notification]:
    """Lease up to ``limit`` due notifications and build what each shows."""
    leased = []
    for sub, token, points, stamps, program_name, design in repository.lease(
        session, now=now, lease=lease, limit=limit
    ):
        window_open = sub.window_start is not None and now - sub.window_start < NOTIFICATION_WINDOW
        used = sub.window_sent if window_open else 0
        body = sub.pending_message or balance_text(sub.language, points, stamps)
        payload = {
            "title": program_name,
            "body": body,
            "icon": f"{public_url}/designs/{design}/icon.png",
            "url": f"{public_url}/cards/{token}",
            "tag": str(sub.card_id),
        }
        leased.append(Notification(
            subscription_id=sub.id, generation=sub.generation, attempts=sub.attempts,
            endpoint=sub.endpoint, p256dh=sub.p256dh, auth=sub.auth,
            payload=json.dumps(payload, ensure_ascii=False).encode(),
            over_budget=used >= NOTIFICATION_LIMIT,
        ))  # fmt: skip
    return leased


def balance_text(language: str, points: int, stamps: int) -> str:
    """ "You have 120 points" in the subscription's language (ru or en)."""
    texts = _TEXTS.get(language, _TEXTS["en"])
    if stamps and not points:
        return texts["stamps"].format(n=stamps)
    return texts["points"].format(n=points)


@dataclass(frozen=True)
class Outcome:
    """What the push service answered: a status (0: no answer) and its Retry-After."""

    status: int
    retry_after: float | None = None
    refused: str | None = None  # not sent, for good (the endpoint's host is not public)


def record(
    session: Session,
    leased: Sequence[Notification],
    outcomes: Sequence[Outcome],
    *,
    now: datetime,
) -> WebPushReport:
    """Write what the push service said: delivered (the budget counts it), gone (404/410:
    the subscription is removed), later (429, 5xx, no answer: backoff or Retry-After), or
    refused for good (other 4xx, or not sent because the endpoint's host now resolves to a
    private address: the notification is dropped, the subscription kept)."""
    report = WebPushReport()
    gone: list[UUID] = []
    for note, outcome in zip(leased, outcomes, strict=True):
        sub = session.get(WebPushSubscription, note.subscription_id, with_for_update=True)
        if sub is None:
            continue
        key = str(outcome.status)
        report.statuses[key] = report.statuses.get(key, 0) + 1
        sub.leased_until = None
        if outcome.refused is not None:
            _settle(sub, note, now, status=f"refused: {outcome.refused}")
            report.dropped += 1
        elif outcome.status in (404, 410):
            gone.append(sub.id)
            report.removed += 1
            continue
        elif outcome.status == 0 or outcome.status == 429 or outcome.status >= 500:
            if note.attempts + 1 >= MAX_ATTEMPTS:
                _settle(sub, note, now, status=f"gave up after {outcome.status}")
                report.dropped += 1
            else:
                sub.attempts = note.attempts + 1
                sub.next_attempt_at = now + backoff(sub.attempts, outcome.retry_after)
                sub.last_status = f"retry after {outcome.status}"
                report.retried += 1
        elif outcome.status < 300:
            if sub.window_start is None or now - sub.window_start >= NOTIFICATION_WINDOW:
                sub.window_start, sub.window_sent = now, 0
            sub.window_sent += 1
            sub.last_sent_at = now
            _settle(sub, note, now, status="delivered")
            report.sent += 1
        else:
            _settle(sub, note, now, status=f"refused {outcome.status}")
            report.dropped += 1
        session.add(sub)
    repository.delete_ids(session, gone)
    session.flush()
    return report


def skip_over_budget(session: Session, note: Notification, now: datetime) -> None:
    """The card's budget is spent: the page shows the change, no notification is shown."""
    sub = session.get(WebPushSubscription, note.subscription_id, with_for_update=True)
    if sub is not None:
        sub.leased_until = None
        _settle(sub, note, now, status="over budget")
        session.add(sub)


def _settle(sub: WebPushSubscription, note: Notification, now: datetime, *, status: str) -> None:
    sub.attempts = 0
    sub.last_status = status
    if sub.generation == note.generation:
        sub.pending_since = sub.pending_message = sub.next_attempt_at = None
    else:  # a change arrived while this one was in flight: tell that one too
        sub.next_attempt_at = now


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """5 s doubling per attempt up to an hour, or the push service's Retry-After."""
    if retry_after is not None:
        return timedelta(seconds=min(max(retry_after, 1.0), 3600.0))
    return timedelta(seconds=min(5.0 * 2 ** (attempts - 1), 3600.0))


def subscription_count(session: Session, card_id: UUID) -> int:
    return repository.count_for_card(session, card_id)


def as_extra(report: WebPushReport) -> dict[str, Any]:
    return {"sent": report.sent, "retried": report.retried, "removed": report.removed}
