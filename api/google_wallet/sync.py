"""The Google Wallet side of the outbox: every change of a card reaches its LoyaltyObject.

One round takes the cards with unsynced outbox rows, oldest first. For each card it holds a
short lease (so two workers never sync one card at once), reads the card's current state,
and makes it so on Google: the program's class first when its body changed (one call, once
per change: the next card sees the digest recorded), then the object (inserted the first
time, patched after that: one PATCH however many changes piled up, none when its body is the
one Google has, as after a design change only the class shows), then any new messages.
Only then are the outbox rows marked done, so a crash or a Google outage loses nothing: the
rows stay pending and the card is retried with a growing delay (at most an hour). After
``stale_after`` failures in a row the card is stale, which alerts the operator (the status
degraded, a console banner, an ERROR line); a key Google refuses (401, 403, or a token
endpoint refusing it) stops the sync until the key is replaced or an operator retries.

This is the coordinator, the task level of Google delivery: it opens a short transaction
around each session-first step of ``service`` and makes the calls to Google in between, never
inside a transaction. Who is notified and which messages stay is decided in ``budget``; the
message JSON comes from ``passes``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from google.auth.exceptions import GoogleAuthError, RefreshError
from sqlalchemy import Engine
from sqlmodel import Session

from api.cards import service as card_service
from api.clock import utcnow
from api.google_wallet import budget
from api.google_wallet import repository as google_repository
from api.google_wallet import service as google_service
from api.google_wallet.budget import Message
from api.google_wallet.pacing import SharedPacer
from api.google_wallet.service import SyncWork
from api.google_wallet.wallet import GoogleWallet, digest
from api.metrics import instruments
from passes import GoogleNotFound, GoogleWalletError, NotificationQuotaExceeded, object_message

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
    ) -> None:
        """``stale_after`` failures in a row (about an hour of back-off) make a card stale.
        ``shared_pacing`` paces the wallet's client across processes (``pacing``)."""
        self.engine = engine
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
        for card_id in self.pending_cards(self.batch_size):
            report.cards += 1
            try:
                result = self.sync_card(card_id, report=report)
            except GoogleWalletError:
                report.failed += 1
                if report.refused:  # every other card would be refused the same way
                    break
                continue
            if result is not None:
                report.synced += 1
                report.notified += result
        return report

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

    def sync_card(
        self, card_id: UUID, *, force: bool = False, report: SyncReport | None = None
    ) -> int | None:
        """Bring one card's Google object up to date. Returns the notifications it used, or
        None when another worker holds the card (or, unless ``force``, it waits to retry).

        Raises:
            GoogleWalletError: Google refused or is down; the card is retried later.
        """
        now = self.clock()
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            work = google_service.claim_work(
                session, card_id, wallet=self.wallet, now=now, lease=self.lease,
                message_lifetime=self.message_lifetime, force=force,
            )  # fmt: skip
        if work is None:
            return None
        try:
            try:
                notified = self._push(work, now)
                instruments.GOOGLE_ANSWERS.labels("200").inc()
                return notified
            except GoogleAuthError as auth_error:  # the token fetch failed, not the call
                raise _as_wallet_error(auth_error) from auth_error
        except GoogleWalletError as exc:
            instruments.GOOGLE_ANSWERS.labels(str(exc.status)).inc()
            with Session(self.engine) as session, session.begin():
                failure = google_service.record_failure(
                    session, card_id, exc, credential=self.credential, now=now,
                    stale_after=self.stale_after,
                )  # fmt: skip
            retry_in = failure.retry_in
            extra = {"card_id": str(card_id), "status": exc.status, "reason": exc.reason,
                     "retry_in_s": int(retry_in.total_seconds()) if retry_in else None}  # fmt: skip
            logger.warning("google wallet sync failed", extra=extra)
            if failure.newly_stale and not failure.refused:
                logger.error("Google Wallet card still unsynced after %d failures: marked "
                             "stale, retried hourly", self.stale_after, extra=extra)  # fmt: skip
            if report is not None:
                report.stale += failure.newly_stale
                report.refused = report.refused or failure.refused
            raise
        except BaseException:
            with Session(self.engine) as session, session.begin():
                google_service.release(session, card_id)
            raise

    def _push(self, work: SyncWork, now: datetime) -> int:
        client = self.wallet.client
        class_digest = digest(work.class_body)
        if class_digest != work.class_digest:
            self._write_class(work)
            with Session(self.engine) as session, session.begin():
                google_service.record_class(session, work, class_digest, now=now)
        body = work.object_body
        points = budget.points_key(body)
        plan = budget.plan(
            synced_version=work.synced_version, synced_points=work.synced_points, points=points,
            wants_notification=work.wants_notification,
            notifications_left=work.notifications_left, new_messages=work.new_messages,
            kept_messages=work.kept_messages,
        )  # fmt: skip
        notifications: list[tuple[str, int]] = []  # (kind, the outbox row it was for)

        def message(item: Message, *, notify: bool = False) -> dict[str, Any]:
            return object_message(
                message_id=f"lp-{item.event_id}", header=work.header, body=item.text,
                language=work.language, translations=_translations(work, item),
                start=item.created_at, lifetime=self.message_lifetime, notify=notify,
            )  # fmt: skip

        body_digest = digest(body)
        unchanged = (body_digest == work.object_digest and plan.kept_messages is None
                     and not plan.added_messages)  # fmt: skip
        if plan.is_new:  # a new object: no one holds it yet, nothing to notify
            if plan.initial_messages:
                body = {**body, "messages": [message(m) for m in plan.initial_messages]}
            client.upsert_object(body)
        elif unchanged:  # e.g. a design change only the class shows: no call for this card
            pass
        else:
            fields = {k: v for k, v in body.items() if k not in ("id", "classId")}
            if plan.kept_messages is not None:
                fields["messages"] = [message(m) for m in plan.kept_messages]
            try:
                notified = self._patch(body["id"], fields, notify=plan.patch_notifies)
            except GoogleNotFound:  # the object is gone on Google's side: put it back
                client.upsert_object(body)
                notified = False
            if notified:
                notifications.append(("update", work.last_event_id))
        for index, item in enumerate(plan.added_messages):
            notify = plan.first_message_notifies and index == 0
            try:
                client.add_object_message(body["id"], message(item, notify=notify))
            except NotificationQuotaExceeded:  # Google counted more than we did: go silent
                client.add_object_message(body["id"], message(item))
                notify = False
            if notify:
                notifications.append(("message", item.event_id))
        for kind, _ in notifications:
            instruments.GOOGLE_NOTIFICATIONS.labels(kind).inc()
        with Session(self.engine) as session, session.begin():
            google_service.record_synced(session, work, points=points, body_digest=body_digest,
                                         notifications=notifications, now=now)  # fmt: skip
        return len(notifications)

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

    def _patch(self, object_id: str, fields: dict[str, Any], *, notify: bool) -> bool:
        """PATCH the object; True when it notified."""
        try:
            self.wallet.client.patch_object(object_id, fields, notify=notify)
        except NotificationQuotaExceeded:  # Google counted more than we did: go out silently
            self.wallet.client.patch_object(object_id, fields, notify=False)
            return False
        return notify


def _translations(work: SyncWork, item: Message) -> dict[str, tuple[str, str]]:
    """A message's (header, body) in the design's other languages: the organisation's name
    as translated in the design, the text as its campaign translated it."""
    bodies = item.translations or {}
    others = (set(work.headers) | set(bodies)) - {work.language}
    return {lang: (work.headers.get(lang, work.header), bodies.get(lang, item.text))
            for lang in sorted(others)}  # fmt: skip


def _as_wallet_error(error: GoogleAuthError) -> GoogleWalletError:
    """A failed token fetch as the wallet error it amounts to: the token endpoint refused our
    key (a refusal, like a 401), or it could not be reached or timed out (try again)."""
    if isinstance(error, RefreshError) and not error.retryable:
        return GoogleWalletError(401, "tokenRefused", str(error)[:200])
    return GoogleWalletError(0, "unreachable", str(error)[:200])
