"""The Google Wallet side of the outbox: every change of a card reaches its LoyaltyObject.

One round takes a batch of cards with unsynced outbox rows, oldest first. It holds them under
a short lease (so two workers never sync one card at once) and reads their current state in
one transaction, a handful of queries for the whole batch (``claims``); then makes it so on
Google: each program's class first when its body changed (one call per program), then each
object (inserted the first time, patched after that: one PATCH however many changes piled up,
none when its body is the one Google has, as after a design change only the class shows), then
any new messages (``steps``). Bulk work, ``batch_min`` cards or more (a design publish, a
campaign, the backlog after an outage), goes through Google's batch endpoint (``batch``); a
smaller round sends card by card, a few cards at once. The client's limiter spaces every call
either way, each call inside a batch included. Only then, in one transaction, are the outbox
rows of the cards Google accepted marked done, so a crash or a Google outage loses nothing:
the rows stay pending and the card is retried with a growing delay (at most an hour). After
``stale_after`` failures in a row the card is stale, which alerts the operator (the status
degraded, a console banner, an ERROR line); a key Google refuses (401, 403, or a token
endpoint refusing it) stops the sync until the key is replaced or an operator retries.

This is the coordinator, the task level of Google delivery: it opens a short transaction
around each session-first step of ``service`` and ``claims`` and makes the calls to Google in
between, never inside a transaction. Who is notified and which messages stay is decided in
``budget``; the message JSON comes from ``passes``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from google.auth.exceptions import GoogleAuthError
from sqlalchemy import Engine
from sqlmodel import Session

from api.cards import service as card_service
from api.clock import utcnow
from api.google_wallet import repository as google_repository
from api.google_wallet import service as google_service
from api.google_wallet.claims import claim_batch
from api.google_wallet.pacing import SharedPacer
from api.google_wallet.service import SyncWork
from api.google_wallet.steps import CardPush, as_wallet_error, card_push, send_alone, send_batched
from api.google_wallet.wallet import GoogleWallet, digest
from api.metrics import instruments
from passes import GoogleNotFound, GoogleWalletError

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class SyncReport:
    cards: int = 0
    synced: int = 0
    failed: int = 0
    notified: int = 0
    stale: int = 0  # cards that became stale in this round
    refused: bool = False  # Google refused our key: the round stopped
    held: bool = False  # nothing tried: Google refused this key before


class GoogleSync:
    def __init__(
        self,
        engine: Engine,
        wallet: GoogleWallet,
        *,
        batch_size: int = 200,
        lease: timedelta = timedelta(seconds=60),
        message_days: int = 7,
        stale_after: int = 7,
        clock: Callable[[], datetime] = utcnow,
        shared_pacing: bool = True,
        concurrency: int = 4,
        batch_min: int = 20,
    ) -> None:
        """``stale_after`` failures in a row (about an hour of back-off) make a card stale.
        ``shared_pacing`` paces the wallet's client across processes (``pacing``). A round of
        ``batch_min`` cards or more uses Google's batch endpoint (0: never); a smaller one
        sends ``concurrency`` cards at a time."""
        self.engine = engine
        self.concurrency = concurrency
        self.batch_min = batch_min
        self.wallet = wallet
        self.batch_size = batch_size
        self.lease = lease
        self.message_lifetime = timedelta(days=message_days)
        self.stale_after = stale_after
        self.clock = clock
        # names the key: a refusal blocks this one only, a new key file resumes
        self.credential = f"{wallet.issuer_email}/{getattr(wallet.signer, 'key_id', '')}"
        client = wallet.client
        local = client.limiter.local if isinstance(client.limiter, SharedPacer) else client.limiter
        client.limiter = local
        if shared_pacing:  # Google's limit is per issuer, not per process
            client.limiter = SharedPacer(engine, wallet.issuer_id, local,
                                         per_second=client.per_second)  # fmt: skip

    # rounds ----------------------------------------------------------------------------------

    def pending_cards(self, limit: int) -> list[UUID]:
        with Session(self.engine) as session:
            return google_repository.pending_cards(session, now=self.clock(), limit=limit)

    def has_work(self) -> bool:
        """Pending cards and a key Google has not refused (a replaced one resumes here)."""
        with Session(self.engine) as session, session.begin():  # one short transaction
            now = self.clock()
            if not google_service.may_send(session, credential=self.credential, now=now):
                return False
            return bool(google_repository.pending_cards(session, now=now, limit=1))

    def may_send(self) -> bool:
        """False while Google's refusal of our key stands."""
        with Session(self.engine) as session, session.begin():
            return google_service.may_send(session, credential=self.credential,
                                           now=self.clock())  # fmt: skip

    def run_once(self) -> SyncReport:
        report = SyncReport()
        if not self.may_send():
            report.held = True
            return report
        card_ids = self.pending_cards(self.batch_size)
        report.cards = len(card_ids)
        if card_ids:
            self._sync(card_ids, report=report)
        return report

    # a batch of cards ------------------------------------------------------------------------

    def _sync(
        self, card_ids: list[UUID], *, force: bool = False, report: SyncReport
    ) -> list[CardPush]:
        """Claim the cards (one transaction), write each program's class that changed, send
        every card's calls, record what Google accepted (one transaction)."""
        now = self.clock()
        works = self._claim(card_ids, now=now, force=force)
        pushes = [card_push(self.wallet.client, w, message_lifetime=self.message_lifetime)
                  for w in works]  # fmt: skip
        self._hold_for_the_round(pushes, now=now)
        classes: list[tuple[SyncWork, str]] = []
        try:
            classes = self._write_classes(pushes)
            self._send([p for p in pushes if p.error is None and p.steps])
        finally:  # whatever happened, nothing stays held longer than needed
            self._record(pushes, classes, now=now, report=report)
        return pushes

    def _claim(self, card_ids: list[UUID], *, now: datetime, force: bool) -> list[SyncWork]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            return claim_batch(
                session, card_ids, wallet=self.wallet, now=now, lease=self.lease,
                message_lifetime=self.message_lifetime, force=force,
            )  # fmt: skip

    def _hold_for_the_round(self, pushes: list[CardPush], *, now: datetime) -> None:
        """The whole round holds every card: when its calls, at the client's pace, may take
        longer than half the lease, the leases are extended (one statement) so that no other
        worker claims a card this round has not sent yet."""
        calls = len(pushes) + sum(len(p.steps) for p in pushes)  # a card's own, one to spare
        needed = timedelta(seconds=calls / self.wallet.client.per_second)
        if needed * 2 > self.lease:
            with Session(self.engine) as session, session.begin():
                google_repository.extend_leases(
                    session, [p.work.card_id for p in pushes], until=now + self.lease + needed * 2
                )

    def _send(self, pushes: list[CardPush]) -> None:
        """Bulk work (at least ``batch_min`` cards) goes through Google's batch endpoint, the
        rest card by card, ``concurrency`` at a time."""
        if self.batch_min and len(pushes) >= self.batch_min:
            send_batched(self.wallet.client, pushes, concurrency=self.concurrency)
        else:
            send_alone(pushes, concurrency=self.concurrency)

    def _write_classes(self, pushes: list[CardPush]) -> list[tuple[SyncWork, str]]:
        """Each program's class first, once, when its body changed; a class Google did not
        take fails its program's cards (their objects need it)."""
        written: list[tuple[SyncWork, str]] = []
        failed: dict[UUID, GoogleWalletError] = {}
        seen: set[UUID] = set()
        for push in pushes:
            work = push.work
            if work.program_id not in seen:
                seen.add(work.program_id)
                class_digest = digest(work.class_body)
                if class_digest != work.class_digest:
                    try:
                        try:
                            self._write_class(work)
                        except GoogleAuthError as auth_error:
                            raise as_wallet_error(auth_error) from auth_error
                    except GoogleWalletError as exc:
                        failed[work.program_id] = exc
                    else:
                        written.append((work, class_digest))
            push.error = failed.get(work.program_id)
        return written

    def _record(
        self,
        pushes: list[CardPush],
        classes: list[tuple[SyncWork, str]],
        *,
        now: datetime,
        report: SyncReport,
    ) -> None:
        """One transaction: the classes written, the cards Google has now (their outbox rows
        done, notifications counted), the failures (each card retried later), the leases of
        cards never tried given back."""
        failures: list[tuple[CardPush, google_service.Failure]] = []
        with Session(self.engine) as session, session.begin():
            for work, class_digest in classes:
                google_service.record_class(session, work, class_digest, now=now)
            google_service.record_batch(session, [
                (p.work, p.points, p.body_digest, p.notices) for p in pushes if p.is_finished
            ], now=now)  # fmt: skip
            for push in pushes:
                if push.error is not None:
                    failures.append((push, google_service.record_failure(
                        session, push.work.card_id, push.error, credential=self.credential,
                        now=now, stale_after=self.stale_after,
                    )))  # fmt: skip
            google_service.release(session, [p.work.card_id for p in pushes
                                             if p.error is None and not p.is_finished])  # fmt: skip
        for push in pushes:
            if push.is_finished:
                report.synced += 1
                report.notified += len(push.notices)
                instruments.GOOGLE_ANSWERS.labels("200").inc()
                for kind, _ in push.notices:
                    instruments.GOOGLE_NOTIFICATIONS.labels(kind).inc()
        for push, failure in failures:
            assert push.error is not None
            instruments.GOOGLE_ANSWERS.labels(str(push.error.status)).inc()
            self._log_failure(push, failure)
            report.failed += 1
            report.stale += failure.newly_stale
            report.refused = report.refused or failure.refused

    def _log_failure(self, push: CardPush, failure: google_service.Failure) -> None:
        error = push.error
        assert error is not None
        retry_in = failure.retry_in
        extra = {"card_id": str(push.work.card_id), "status": error.status, "reason": error.reason,
                 "retry_in_s": int(retry_in.total_seconds()) if retry_in else None,
                 "request_id": push.work.request_id}  # fmt: skip
        logger.warning("google wallet sync failed", extra=extra)
        if failure.newly_stale and not failure.refused:
            logger.error("Google Wallet card still unsynced after %d failures: marked "
                         "stale, retried hourly", self.stale_after, extra=extra)  # fmt: skip

    # one card --------------------------------------------------------------------------------

    def save_url(self, token: str) -> str:
        """The signed "Add to Google Wallet" link of the card behind ``token``; its object is
        put on Google first when the sync has not done it yet.

        Raises:
            CardNotFound: no card has this token.
            GoogleWalletError: the object had to be inserted and Google refused or is down
                (or refused our key before).
        """
        with Session(self.engine) as session:
            view = card_service.get_card(session, token)
            must_insert = google_service.needs_insert(session, view.card.id)
        if must_insert:
            if not self.may_send():  # not even for a click: the key stays refused until fixed
                raise GoogleWalletError(403, "keyRefused", "Google refused the service's key")
            self.sync_card(view.card.id, force=True)
        return self.wallet.save_url(card_id=view.card.id, program_id=view.program.id,
                                    now=utcnow())  # fmt: skip

    def sync_card(self, card_id: UUID, *, force: bool = False) -> int | None:
        """Bring one card's Google object up to date. Returns the notifications it used, or
        None when another worker holds the card (or, unless ``force``, it waits to retry).

        Raises:
            GoogleWalletError: Google refused or is down; the card is retried later.
        """
        pushes = self._sync([card_id], force=force, report=SyncReport())
        if not pushes:
            return None
        if pushes[0].error is not None:
            raise pushes[0].error
        return len(pushes[0].notices)

    def _write_class(self, work: SyncWork) -> None:
        """One call: a class we wrote before is patched (an insert would be refused as a
        duplicate first, two calls against the pace), a new one inserted."""
        client = self.wallet.client
        if work.class_digest is None:
            client.upsert_class(work.class_body)
            return
        try:
            client.patch_class(work.class_body["id"], work.class_body)
        except GoogleNotFound:  # gone on Google's side: put it back
            client.upsert_class(work.class_body)
