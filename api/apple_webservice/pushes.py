"""The Apple push queue, session-first: outbox rows become one pending push per registered
device (coalesced: many changes, one push), due pushes are leased in batches, and APNs's
answers are recorded. A push is deleted only once delivered (or when its device is gone):
past the retry budget it is marked stale and kept. The coordinator that opens the
transactions and talks to APNs in between is ``pusher.ApplePusher``."""

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
from api.outbound import service as outbound_service
from api.outbound.service import Gate
from passes import PushResult

logger = logging.getLogger(__name__)
FAN_OUT_BATCH = 1000
MAX_DELAY_S = 3600  # the longest wait between two tries of a push, stale ones included
HOLD = timedelta(hours=1)  # a held push (refused certificate, rejected) is looked at again
# APNs answers these (400 or 403) when the certificate or its topic is wrong: every push
# would fail the same way, so the channel stops instead of burning retries.
CREDENTIAL_REASONS = frozenset({"BadCertificate", "BadCertificateEnvironment", "BadTopic",
                                "TopicDisallowed", "MissingTopic"})  # fmt: skip


@dataclass
class PushReport:
    events: int = 0
    sent: int = 0
    delivered: int = 0
    removed_registrations: int = 0
    retried: int = 0
    stale: int = 0  # pushes that became stale in this round
    refused: int = 0  # pushes held because APNs refused our certificate
    held: bool = False  # nothing sent: the certificate was refused before

    def add(self, other: PushReport) -> None:
        for name, value in asdict(other).items():
            if isinstance(value, bool):
                setattr(self, name, getattr(self, name) or value)
            else:
                setattr(self, name, getattr(self, name) + value)


def fan_out(session: Session, *, now: datetime) -> int:
    """Turn up to a thousand outbox rows into pending pushes; returns how many rows."""
    events = repository.due_outbox(session, limit=FAN_OUT_BATCH)
    if not events:
        return 0
    repository.enqueue_pushes(session, {event.card_id for event in events}, now)
    if logger.isEnabledFor(logging.DEBUG):  # each change logged as the request that made it
        for event in events:
            logger.debug("card queued for Apple push", extra={"card_id": str(event.card_id),
                         "kind": event.kind, "request_id": event.request_id})  # fmt: skip
    repository.mark_fanned_out(session, [e.id for e in events if e.id is not None], now)
    return len(events)


def lease(
    session: Session, *, now: datetime, lease: timedelta, limit: int, client: str = "apple"
) -> list[ApplePush]:
    """Claim up to ``limit`` due pushes to ``client``'s devices until ``now + lease``."""
    return list(repository.lease_pushes(session, now=now, lease_until=now + lease, limit=limit,
                                        client=client))  # fmt: skip


def may_send(
    session: Session, *, credential: str, now: datetime, channel: str = outbound_service.APNS
) -> bool:
    """False while APNs's (or a wallet app's) refusal of ``credential`` stands; when the
    refused certificate or key was replaced, the block is lifted and every stale push is due
    again."""
    gate = outbound_service.gate(session, channel, credential=credential)
    if gate is Gate.RESUMED:
        repository.release_stale(session, now)
    return gate is not Gate.BLOCKED


def release_stale(session: Session, *, now: datetime) -> int:
    """The re-push step: once APNs answers again, every stale push is due now (not in up to
    an hour). Returns how many were waiting."""
    if not outbound_service.answering_again(session, outbound_service.APNS):
        return 0
    return repository.release_stale(session, now)


def retry_refused(session: Session, *, now: datetime) -> bool:
    """An operator retries after a refused certificate (or an Android wallet app's refused
    key): every such block is lifted and every stale push is due now. True when APNs's
    channel was blocked."""
    lifted = outbound_service.retry(session, outbound_service.APNS)
    for app in outbound_service.ANDROID_APPS:
        outbound_service.retry(session, app)
    repository.release_stale(session, now)
    return lifted


def record(
    session: Session,
    leased: Sequence[ApplePush],
    results: Sequence[PushResult],
    *,
    now: datetime,
    max_attempts: int,
    credential: str = "",
    channel: str = outbound_service.APNS,
) -> PushReport:
    """What APNs said about a leased batch. Delivered pushes go and dead tokens lose their
    registration; nothing else is ever deleted. Retryable ones wait (growing, jittered delay,
    at most an hour) and become stale after ``max_attempts``; a refused certificate blocks
    the channel and holds its pushes without spending an attempt; a push APNs rejects as
    malformed is held too. Stale pushes raise the operator alert (health, console, ERROR
    log) and stay until APNs accepts them. Each card notes its last push and result.
    ``channel`` is the ``outbound`` channel the batch went through (a wallet app's own for
    Android wallet apps, whose answers their sender words as APNs's)."""
    report = PushReport(sent=len(leased))
    done: list[ApplePush] = []
    dead: list[UUID] = []
    retry: list[ApplePush] = []
    refused: list[tuple[ApplePush, PushResult]] = []
    rejected: list[tuple[ApplePush, PushResult]] = []
    statuses: dict[UUID, str] = {}
    for push, result in zip(leased, results, strict=True):
        statuses[push.card_id] = _describe(result)
        if result.is_delivered:
            done.append(push)
        elif result.is_permanent_failure:
            dead.append(push.registration_id)
            logger.info("apns token gone", extra={"status": result.status, "reason": result.reason})
        elif result.is_certificate_problem or result.reason in CREDENTIAL_REASONS:
            refused.append((push, result))
        elif result.is_retryable:
            retry.append(push)
        else:
            rejected.append((push, result))
    # Delete the delivered pushes, unless a change arrived while they were in flight (their
    # generation moved on): those stay, due now, or that change would never reach the phone.
    repository.delete_delivered(session, [(p.id or 0, p.generation) for p in done])
    repository.make_due(session, [p.id or 0 for p in done], now)
    repository.delete_registrations(session, dead)
    stale: list[ApplePush] = []
    for push in retry:
        attempts = push.attempts + 1
        if attempts >= max_attempts:
            stale.append(push)
        delay = min(2 ** min(attempts, 12) * random.uniform(0.5, 1.5), MAX_DELAY_S)
        repository.retry_push(session, push.id or 0, attempts=attempts,
                              due_at=now + timedelta(seconds=delay))  # fmt: skip
    held = [push for push, _ in refused + rejected]
    repository.make_due(session, [p.id or 0 for p in held], now + HOLD)
    repository.mark_stale(session, [p.id or 0 for p in stale + held], now)
    if refused:
        first = refused[0][1]
        outbound_service.refused(session, channel, credential=credential,
                                 reason=_describe(first), now=now)  # fmt: skip
    if rejected:  # our request was wrong (a bug): one line for the batch
        push, result = rejected[0]
        logger.error("APNs rejected %d pushes: kept, marked stale", len(rejected),
                     extra={"status": result.status, "reason": result.reason,
                            "card_id": str(push.card_id)})  # fmt: skip
    newly_stale = [p for p in stale if p.stale_at is None]
    if newly_stale:
        logger.error(
            "%d Apple pushes still undelivered after %d attempts: marked stale, retried hourly",
            len(newly_stale), max_attempts, extra={"stale": len(newly_stale)},
        )  # fmt: skip
    if done:
        outbound_service.delivered(session, channel, now=now)
    if retry:
        reason = statuses[retry[0].card_id]
        outbound_service.failed(session, channel, reason=reason, now=now)
    by_status: dict[str, list[UUID]] = {}
    for card_id, status in statuses.items():
        by_status.setdefault(status, []).append(card_id)
    for status, card_ids in by_status.items():  # usually one: "delivered"
        repository.record_push_status(session, card_ids, status, now)
    report.delivered = len(done)
    report.removed_registrations = len(dead)
    report.retried = len(retry)
    report.stale = len(newly_stale) + sum(1 for p in held if p.stale_at is None)
    report.refused = len(refused)
    return report


def _describe(result: PushResult) -> str:
    if result.is_delivered:
        return "delivered"
    return f"{result.status} {result.reason or ''}".strip()[:60]
