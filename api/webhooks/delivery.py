"""Delivery steps, session first: lease the due events, then record each answer.

Retries back off exponentially (30 s, 1 min, 2 min, ... at most 12 h between attempts) for
:data:`RETRY_WINDOW` (3 days) after the event was written; a failure past it dead-letters the
event (``failed``: replay it through the API or the console). An endpoint failing for
:data:`DISABLE_AFTER` with no success is disabled with a reason the API and console show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlmodel import Session, col

from api.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.webhooks.service import signing_secrets

RETRY_WINDOW = timedelta(days=3)
DISABLE_AFTER = timedelta(days=5)
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=12)
LEASE = timedelta(minutes=2)
EXCERPT = 500


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one delivery needs, read in the lease's transaction."""

    event_id: UUID
    url: str
    secrets: tuple[str, ...]
    body: str
    request_id: str | None = None  # the request that caused the event


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    excerpt: str

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure (1-based): doubling from 30 s, at most 12 h."""
    delay: timedelta = FIRST_DELAY * 2 ** min(attempts - 1, 20)
    return min(delay, MAX_DELAY)


def msg_id(event_id: UUID) -> str:
    return f"msg_{event_id.hex}"


def lease_due(session: Session, *, now: datetime, limit: int = 50) -> list[Attempt]:
    """The due events of enabled endpoints, oldest first, leased for :data:`LEASE` (a
    crashed sender's lease runs out; another process skips them meanwhile)."""
    query = (
        select(WebhookEvent, WebhookEndpoint)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookEvent.endpoint_id))
        .where(
            col(WebhookEvent.status) == "pending",
            col(WebhookEvent.next_attempt_at) <= now,
            col(WebhookEndpoint.is_enabled).is_(True),
        )
        .order_by(col(WebhookEvent.created_at), col(WebhookEvent.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=WebhookEvent, skip_locked=True)
    attempts = []
    for event, endpoint in session.execute(query).all():
        event.next_attempt_at = now + LEASE
        session.add(event)
        secrets = tuple(signing_secrets(endpoint, now))
        attempts.append(Attempt(event.id, endpoint.url, secrets, event.body, event.request_id))
    session.flush()
    return attempts


def record(session: Session, event_id: UUID, outcome: Outcome, *, now: datetime) -> None:
    """Log the attempt; a success delivers the event and clears the endpoint's failure
    clock, a failure schedules the retry, dead-letters the event past the window, and
    disables an endpoint failing for :data:`DISABLE_AFTER`."""
    event = session.get(WebhookEvent, event_id)
    if event is None or event.status != "pending":
        return  # replayed, deleted or delivered meanwhile
    endpoint = session.get(WebhookEndpoint, event.endpoint_id)
    assert endpoint is not None  # noqa: S101 - the event's foreign key cascades
    session.add(
        WebhookDelivery(
            merchant_id=event.merchant_id, endpoint_id=event.endpoint_id, event_id=event.id,
            status_code=outcome.status_code, is_success=outcome.is_success,
            latency_ms=outcome.latency_ms, response_excerpt=outcome.excerpt[:EXCERPT],
            created_at=now,
        )
    )  # fmt: skip
    event.attempts += 1
    if outcome.is_success:
        event.status, event.delivered_at = "delivered", now
        endpoint.failing_since = None
    else:
        if now - event.created_at >= RETRY_WINDOW:
            event.status = "failed"
        else:
            event.next_attempt_at = now + retry_delay(event.attempts)
        if endpoint.failing_since is None:
            endpoint.failing_since = now
        elif now - endpoint.failing_since >= DISABLE_AFTER and endpoint.is_enabled:
            endpoint.is_enabled = False
            endpoint.disabled_at = now
            endpoint.disabled_reason = "failing since " + endpoint.failing_since.isoformat()
    session.add_all([event, endpoint])
    session.flush()
