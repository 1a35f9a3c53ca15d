"""The Apple push pipeline's coordinator: outbox rows become one pending push per registered
device (coalesced: many changes, one push), and pending pushes go to APNs in leased batches.

Nothing is lost: an outbox row is fanned out in the transaction that marks it done, and a
pending push is deleted only after APNs accepted it (past the retry budget it is marked stale
and kept; see ``pushes.record``). When APNs refuses the certificate (403), this pusher sends
nothing more with it until the certificate is replaced or an operator retries. A worker
that dies mid-batch leaves its lease to expire, so only the pushes that were in flight are
sent twice. Several workers can run at once: on PostgreSQL they claim rows with
``FOR UPDATE SKIP LOCKED``.

This is the task level of Apple delivery: each step is a session-first function of
``pushes`` in its own short transaction; APNs is called in between, never inside one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.apple_webservice import pushes, repository
from api.apple_webservice.models import ApplePush
from api.apple_webservice.pushes import PushReport
from api.clock import utcnow
from api.metrics import instruments
from api.outbound import service as outbound_service
from passes import PushResult

logger = logging.getLogger(__name__)
Send = Callable[[list[str]], list[PushResult]]

__all__ = ["ApplePusher", "PushReport", "Send"]


class ApplePusher:
    def __init__(
        self,
        engine: Engine,
        send: Send,
        *,
        batch_size: int = 500,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 12,
        credential: str = "",
        client: str = "apple",
        channel: str = outbound_service.APNS,
    ) -> None:
        """``max_attempts`` is the retry budget after which a push is stale; ``credential``
        names the certificate ``send`` uses (a refusal blocks that one only). ``client`` is
        the wallet app whose devices this pusher serves (``android_wallets.ClientKind``) and
        ``channel`` the ``outbound`` channel its answers are recorded on."""
        self.engine = engine
        self.send = send
        self.batch_size = batch_size
        self.lease = lease
        self.max_attempts = max_attempts
        self.credential = credential
        self.client = client
        self.channel = channel

    def has_work(self) -> bool:
        """Due work and a certificate APNs has not refused (a replaced one resumes here)."""
        with Session(self.engine) as session, session.begin():  # one short transaction
            if not pushes.may_send(session, credential=self.credential, now=utcnow(),
                                   channel=self.channel):  # fmt: skip
                return False
            return repository.has_due_work(session, utcnow(), self.client)

    def may_send(self, now: datetime) -> bool:
        """False while APNs's refusal of our certificate stands."""
        with Session(self.engine) as session, session.begin():
            return pushes.may_send(
                session, credential=self.credential, now=now, channel=self.channel
            )

    def run_once(self, now: Callable[[], datetime] = utcnow) -> PushReport:
        """Fan out every pending outbox row, then send every due push. The next batch is
        leased and sent while the previous batch's results are written; a refused certificate
        stops the round."""
        report = PushReport()
        if not self.may_send(now()):
            report.held = True
            return report
        while events := self.fan_out(now()):
            report.events += events
        with ThreadPoolExecutor(1, thread_name_prefix="apns-send") as pool:
            previous: tuple[list[ApplePush], Future[list[PushResult]], datetime] | None = None
            while True:
                moment = now()
                leased = [] if report.refused else self._lease(moment)
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
            return pushes.fan_out(session, now=now)

    def send_due(self, now: datetime) -> PushReport:
        """Lease one batch of due pushes, send it, and record what APNs said."""
        leased = self._lease(now)
        if not leased:
            return PushReport()
        results = self.send([push.push_token for push in leased])
        return self._record(leased, results, now)

    def _lease(self, now: datetime) -> list[ApplePush]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            return pushes.lease(session, now=now, lease=self.lease, limit=self.batch_size,
                                client=self.client)  # fmt: skip

    def _record(
        self, leased: list[ApplePush], results: list[PushResult], now: datetime
    ) -> PushReport:
        instruments.push_answers(self.client, [result.status for result in results])
        with Session(self.engine) as session, session.begin():
            return pushes.record(session, leased, results, now=now,
                                 max_attempts=self.max_attempts,
                                 credential=self.credential,
                                 channel=self.channel)  # fmt: skip
