"""The Apple push queue, session-first: outbox rows become one pending push per registered
device (coalesced: many changes, one push), due pushes are leased in batches, and APNs's
answers are recorded. The coordinator that opens the transactions and talks to APNs in
between is ``pusher.ApplePusher``."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel import Session

from api.apple_webservice import repository
from api.apple_webservice.models import ApplePush
from passes import PushResult

logger = logging.getLogger(__name__)
FAN_OUT_BATCH = 1000


@dataclass
class PushReport:
    events: int = 0
    sent: int = 0
    delivered: int = 0
    removed_registrations: int = 0
    retried: int = 0
    dropped: int = 0

    def add(self, other: PushReport) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


def fan_out(session: Session, *, now: datetime) -> int:
    """Turn up to a thousand outbox rows into pending pushes; returns how many rows."""
    events = repository.due_outbox(session, limit=FAN_OUT_BATCH)
    if not events:
        return 0
    repository.enqueue_pushes(session, {event.card_id for event in events}, now)
    repository.mark_fanned_out(session, [e.id for e in events if e.id is not None], now)
    return len(events)


def lease(session: Session, *, now: datetime, lease: timedelta, limit: int) -> list[ApplePush]:
    """Claim up to ``limit`` due pushes until ``now + lease``."""
    return list(repository.lease_pushes(session, now=now, lease_until=now + lease, limit=limit))


def record(
    session: Session,
    leased: Sequence[ApplePush],
    results: Sequence[PushResult],
    *,
    now: datetime,
    max_attempts: int,
) -> PushReport:
    """What APNs said about a leased batch: delivered pushes go, dead tokens lose their
    registration, retryable ones wait (growing, jittered delay) until ``max_attempts``, and
    each card notes its last push and result."""
    report = PushReport(sent=len(leased))
    done: list[ApplePush] = []
    dead: list[UUID] = []
    retry: list[ApplePush] = []
    statuses: dict[UUID, str] = {}
    for push, result in zip(leased, results, strict=True):
        statuses[push.card_id] = _describe(result)
        if result.is_delivered:
            done.append(push)
        elif result.is_permanent_failure:
            dead.append(push.registration_id)
            logger.info("apns token gone", extra={"status": result.status, "reason": result.reason})
        elif result.is_retryable or result.is_certificate_problem:
            if result.is_certificate_problem:
                logger.error("APNs refused our certificate (403): check the pass certificate",
                             extra={"reason": result.reason})  # fmt: skip
            retry.append(push)
        else:
            logger.error("apns rejected a push", extra={"status": result.status,
                         "reason": result.reason})  # fmt: skip
            done.append(push)
            report.dropped += 1
    # Delete the delivered pushes, unless a change arrived while they were in flight (their
    # generation moved on): those stay, due now, or that change would never reach the phone.
    repository.delete_delivered(session, [(p.id or 0, p.generation) for p in done])
    repository.make_due(session, [p.id or 0 for p in done], now)
    repository.delete_registrations(session, dead)
    for push in retry:
        if push.attempts + 1 >= max_attempts:
            repository.delete_pushes(session, [push.id] if push.id else [])
            report.dropped += 1
            continue
        delay = min(2 ** (push.attempts + 1), 3600) * random.uniform(0.5, 1.5)
        repository.retry_push(session, push.id or 0, attempts=push.attempts + 1,
                              due_at=now + timedelta(seconds=delay))  # fmt: skip
    by_status: dict[str, list[UUID]] = {}
    for card_id, status in statuses.items():
        by_status.setdefault(status, []).append(card_id)
    for status, card_ids in by_status.items():  # usually one: "delivered"
        repository.record_push_status(session, card_ids, status, now)
    report.delivered = sum(1 for r in results if r.is_delivered)
    report.removed_registrations = len(dead)
    report.retried = len(retry)
    return report


def _describe(result: PushResult) -> str:
    if result.is_delivered:
        return "delivered"
    return f"{result.status} {result.reason or ''}".strip()[:60]
