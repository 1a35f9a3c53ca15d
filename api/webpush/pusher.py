"""The Web Push loop, like the Apple pusher: outbox rows become one pending notification per
subscription (coalesced), and due notifications go to the push services in leased batches.
Each step is a short transaction of ``service``; push services are called between them.
A worker that dies mid-batch leaves its lease to expire: those are sent again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.clock import utcnow
from api.db import reading
from api.metrics import instruments
from api.webpush import repository, service
from api.webpush.service import Notification, Outcome, WebPushReport

Send = Callable[[Sequence[Notification]], list[Outcome]]


class WebPushPusher:
    def __init__(
        self,
        engine: Engine,
        send: Send,
        *,
        public_url: str,
        batch_size: int = 500,
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self.engine = engine
        self.send = send
        self.public_url = public_url
        self.batch_size = batch_size
        self.lease = lease

    def has_work(self) -> bool:
        with reading(self.engine) as session, session.begin():
            if repository.has_due(session, utcnow()):
                return True
            return bool(repository.due_outbox(session, limit=1))

    def run_once(self, now: Callable[[], datetime] = utcnow) -> WebPushReport:
        """Fan out every pending outbox row, then send every due notification."""
        report = WebPushReport()
        while events := self._fan_out(now()):
            report.events += events
        while True:
            moment = now()
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                leased = service.lease(
                    session, now=moment, lease=self.lease, limit=self.batch_size,
                    public_url=self.public_url,
                )  # fmt: skip
            if not leased:
                return report
            sendable = [note for note in leased if not note.over_budget]
            outcomes = self.send(sendable) if sendable else []
            instruments.push_answers("webpush", [outcome.status for outcome in outcomes])
            with Session(self.engine) as session, session.begin():
                for note in leased:
                    if note.over_budget:
                        service.skip_over_budget(session, note, moment)
                        report.dropped += 1
                report.add(service.record(session, sendable, outcomes, now=moment))

    def _fan_out(self, now: datetime) -> int:
        with Session(self.engine) as session, session.begin():
            return service.fan_out(session, now=now)
