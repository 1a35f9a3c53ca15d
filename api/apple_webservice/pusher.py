"""The Apple push pipeline: outbox rows become one pending push per registered device
(coalesced: many changes, one push), and pending pushes go to APNs in leased batches.

Nothing is lost: an outbox row is fanned out in the transaction that marks it done, and a
pending push is deleted only after APNs accepted it. A worker that dies mid-batch leaves its
lease to expire, so only the pushes that were in flight are sent twice. Several workers can
run at once: on PostgreSQL they claim rows with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import Executable, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from api.apple_webservice import repository
from api.apple_webservice.models import AppleDevice, ApplePush, AppleRegistration
from api.clock import utcnow
from api.columns import UTCDateTime
from api.members.models import Card
from api.outbox.models import OutboxEvent
from passes import PushResult

logger = logging.getLogger(__name__)
Send = Callable[[list[str]], list[PushResult]]


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


class ApplePusher:
    def __init__(
        self,
        engine: Engine,
        send: Send,
        *,
        batch_size: int = 500,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 12,
    ) -> None:
        self.engine = engine
        self.send = send
        self.batch_size = batch_size
        self.lease = lease
        self.max_attempts = max_attempts

    def has_work(self) -> bool:
        with Session(self.engine) as session:
            return repository.has_due_work(session, utcnow())

    def run_once(self, now: Callable[[], datetime] = utcnow) -> PushReport:
        """Fan out every pending outbox row, then send every due push. The next batch is
        leased and sent while the previous batch's results are written."""
        report = PushReport()
        while events := self.fan_out(now()):
            report.events += events
        with ThreadPoolExecutor(1, thread_name_prefix="apns-send") as pool:
            previous: tuple[list[ApplePush], Future[list[PushResult]], datetime] | None = None
            while True:
                moment = now()
                leased = self._lease(moment)
                current = None
                if leased:
                    tokens = [push.push_token for push in leased]
                    current = (leased, pool.submit(self.send, tokens), moment)
                if previous is not None:
                    report.add(self._record(previous[0], previous[1].result(), previous[2]))
                if current is None:
                    return report
                previous = current

    def fan_out(self, now: datetime) -> int:
        """Turn up to a thousand outbox rows into pending pushes; returns how many rows."""
        with Session(self.engine) as session, session.begin():
            events = repository.due_outbox(session, limit=1000)
            if not events:
                return 0
            session.execute(_enqueue(session, {event.card_id for event in events}, now))
            session.execute(
                update(OutboxEvent)
                .where(col(OutboxEvent.id).in_([e.id for e in events]))
                .values(apple_done_at=now)
            )
            return len(events)

    def send_due(self, now: datetime) -> PushReport:
        """Lease one batch of due pushes, send it, and record what APNs said."""
        leased = self._lease(now)
        if not leased:
            return PushReport()
        results = self.send([push.push_token for push in leased])
        return self._record(leased, results, now)

    def _lease(self, now: datetime) -> list[ApplePush]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            return list(
                repository.lease_pushes(
                    session, now=now, lease_until=now + self.lease, limit=self.batch_size
                )
            )

    def _record(
        self, leased: list[ApplePush], results: list[PushResult], now: datetime
    ) -> PushReport:
        report = PushReport(sent=len(leased))
        done: list[ApplePush] = []
        dead: list[UUID] = []
        retry: list[tuple[ApplePush, PushResult]] = []
        statuses: dict[UUID, str] = {}
        for push, result in zip(leased, results, strict=True):
            statuses[push.card_id] = _describe(result)
            if result.is_delivered:
                done.append(push)
            elif result.is_permanent_failure:
                dead.append(push.registration_id)
                logger.info(
                    "apns token gone", extra={"status": result.status, "reason": result.reason}
                )
            elif result.is_retryable or result.is_certificate_problem:
                if result.is_certificate_problem:
                    logger.error("APNs refused our certificate (403): check the pass certificate",
                                 extra={"reason": result.reason})  # fmt: skip
                retry.append((push, result))
            else:
                logger.error("apns rejected a push", extra={"status": result.status,
                             "reason": result.reason})  # fmt: skip
                done.append(push)
                report.dropped += 1
        with Session(self.engine) as session, session.begin():
            # Delete the delivered pushes, unless a change arrived while they were in flight
            # (their generation moved on): those stay, due now, or that change would never
            # reach the phone.
            repository.delete_delivered(session, [(p.id or 0, p.generation) for p in done])
            repository.make_due(session, [p.id or 0 for p in done], now)
            repository.delete_registrations(session, dead)
            for push, _result in retry:
                if push.attempts + 1 >= self.max_attempts:
                    repository.delete_pushes(session, [push.id] if push.id else [])
                    report.dropped += 1
                    continue
                delay = min(2 ** (push.attempts + 1), 3600) * random.uniform(0.5, 1.5)
                session.execute(
                    update(ApplePush)
                    .where(col(ApplePush.id) == push.id)
                    .values(attempts=push.attempts + 1, due_at=now + timedelta(seconds=delay))
                )
            by_status: dict[str, list[UUID]] = {}
            for card_id, status in statuses.items():
                by_status.setdefault(status, []).append(card_id)
            for status, card_ids in by_status.items():  # usually one: "delivered"
                session.execute(
                    update(Card)
                    .where(col(Card.id).in_(card_ids))
                    .values(last_push_at=now, last_push_status=status)
                    .execution_options(synchronize_session=False)
                )
        report.delivered = sum(1 for r in results if r.is_delivered)
        report.removed_registrations = len(dead)
        report.retried = len(retry)
        return report


def _enqueue(session: Session, card_ids: set[UUID], now: datetime) -> Executable:
    """One pending push per device registered for these cards, made inside the database
    (INSERT ... SELECT). A push already pending for a registration gets its generation bumped
    instead: the change is coalesced into the push already queued."""
    table = ApplePush.__table__  # type: ignore[attr-defined]
    registrations = AppleRegistration.__table__  # type: ignore[attr-defined]
    devices = AppleDevice.__table__  # type: ignore[attr-defined]
    rows = (
        select(
            registrations.c.id,
            registrations.c.card_id,
            devices.c.push_token,
            literal(0),
            literal(0),
            literal(now, UTCDateTime()),
            literal(now, UTCDateTime()),
        )
        .join(devices, devices.c.id == registrations.c.device_id)
        .where(registrations.c.card_id.in_(card_ids))
    )
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    columns = ["registration_id", "card_id", "push_token", "generation", "attempts", "due_at",
               "created_at"]  # fmt: skip
    return (
        insert(table)
        .from_select(columns, rows)
        .on_conflict_do_update(
            index_elements=[table.c.registration_id],
            set_={"generation": table.c.generation + 1},
        )
    )


def _describe(result: PushResult) -> str:
    if result.is_delivered:
        return "delivered"
    return f"{result.status} {result.reason or ''}".strip()[:60]
