"""The Google Wallet side of the outbox: every change of a card reaches its LoyaltyObject.

One round takes the cards with unsynced outbox rows, oldest first. For each card it holds a
short lease (so two workers never sync one card at once), reads the card's current state,
and makes it so on Google: the program's class first when its body changed, then the object
(inserted the first time, patched after that: one PATCH however many changes piled up), then
any new messages. Only then are the outbox rows marked done, so a crash or a Google outage
loses nothing: the rows stay pending and the card is retried with a growing delay.

Notifications follow Google's budget of 3 per card per 24 hours, counted by us: a change that
deserves one (a balance change, a message) notifies while the budget lasts and goes out
silently after that. A new message carries the notification when there is one, so a purchase
with a reward message costs one notification, not two.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Engine, func, or_, select, update
from sqlmodel import Session, col

from api.cards import service as card_service
from api.clock import utcnow
from api.db import insert_unless_conflict
from api.google_wallet.models import GoogleClass, GoogleNotification, GoogleObject
from api.google_wallet.wallet import GoogleWallet, digest
from api.members.models import Card, Member
from api.outbox.models import OutboxEvent
from passes import GoogleNotFound, GoogleWalletError, NotificationQuotaExceeded

logger = logging.getLogger(__name__)

SILENT_KINDS = frozenset({"enrol", "coupon_used"})  # the member is at the counter, or just joined
NOTIFICATION_LIMIT = 3
NOTIFICATION_WINDOW = timedelta(hours=24)
MAX_MESSAGES = 10
MAX_BACKOFF = timedelta(hours=1)


@dataclass(slots=True)
class SyncReport:
    cards: int = 0
    synced: int = 0
    failed: int = 0
    notified: int = 0


@dataclass(frozen=True, slots=True)
class _Message:
    event_id: int
    text: str
    created_at: datetime


@dataclass(slots=True)
class _Work:
    """One card's sync, read in one short transaction before any call to Google."""

    card_id: UUID
    program_id: UUID
    version: int
    last_event_id: int
    wants_notification: bool
    synced_version: int
    synced_points: str | None
    notifications_left: int
    object_body: dict[str, Any]
    class_body: dict[str, Any]
    class_digest: str | None
    header: str
    new_messages: list[_Message] = field(default_factory=list)
    kept_messages: list[_Message] = field(default_factory=list)


class GoogleSync:
    def __init__(
        self,
        engine: Engine,
        wallet: GoogleWallet,
        *,
        batch_size: int = 200,
        lease: timedelta = timedelta(seconds=60),
        message_days: int = 7,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.wallet = wallet
        self.batch_size = batch_size
        self.lease = lease
        self.message_lifetime = timedelta(days=message_days)
        self.clock = clock

    # rounds ----------------------------------------------------------------------------------

    def pending_cards(self, limit: int) -> list[UUID]:
        """Cards with unsynced changes that no one holds and that are not waiting to retry,
        oldest change first."""
        now = self.clock()
        pending = (
            select(col(OutboxEvent.card_id), func.min(col(OutboxEvent.id)).label("first"))
            .where(col(OutboxEvent.google_done_at).is_(None))
            .group_by(col(OutboxEvent.card_id))
            .subquery()
        )
        query = (
            select(pending.c.card_id)
            .outerjoin(GoogleObject, col(GoogleObject.card_id) == pending.c.card_id)
            .where(_unleased(now), _due(now))
            .order_by(pending.c.first)
            .limit(limit)
        )
        with Session(self.engine) as session:
            return list(session.execute(query).scalars())

    def has_work(self) -> bool:
        return bool(self.pending_cards(1))

    def run_once(self) -> SyncReport:
        report = SyncReport()
        for card_id in self.pending_cards(self.batch_size):
            report.cards += 1
            try:
                result = self.sync_card(card_id)
            except GoogleWalletError:
                report.failed += 1
                continue
            if result is not None:
                report.synced += 1
                report.notified += result
        return report

    # one card --------------------------------------------------------------------------------

    def sync_card(self, card_id: UUID, *, force: bool = False) -> int | None:
        """Bring one card's Google object up to date. Returns the notifications it used, or
        None when another worker holds the card (or, unless ``force``, it waits to retry).

        Raises:
            GoogleWalletError: Google refused or is down; the card is retried later.
        """
        now = self.clock()
        work = self._claim(card_id, now, force=force)
        if work is None:
            return None
        try:
            notified = self._push(work, now)
        except GoogleWalletError as exc:
            self._failed(card_id, now, exc)
            raise
        except BaseException:
            self._release(card_id)
            raise
        return notified

    def _claim(self, card_id: UUID, now: datetime, *, force: bool) -> _Work | None:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            card = session.get(Card, card_id)
            if card is None:
                return None
            member = session.get(Member, card.member_id)
            assert member is not None
            view = card_service.view_of(session, member, card)
            program = view.program
            insert_unless_conflict(
                session,
                GoogleObject(
                    card_id=card.id,
                    merchant_id=card.merchant_id,
                    object_id=self.wallet.object_id(card.id),
                    class_id=self.wallet.class_id(program.id),
                ),
            )
            claim = (
                update(GoogleObject)
                .where(col(GoogleObject.card_id) == card_id)
                .where(
                    or_(
                        col(GoogleObject.lease_until).is_(None), col(GoogleObject.lease_until) < now
                    )
                )
                .values(lease_until=now + self.lease)
            )
            if not force:
                claim = claim.where(_due(now))
            if session.execute(claim).rowcount != 1:  # type: ignore[attr-defined]
                return None
            state = session.get_one(GoogleObject, card_id, populate_existing=True)
            events = session.execute(
                select(
                    col(OutboxEvent.id),
                    col(OutboxEvent.kind),
                    col(OutboxEvent.message),
                    col(OutboxEvent.created_at),
                )  # fmt: skip
                .where(
                    col(OutboxEvent.card_id) == card_id, col(OutboxEvent.google_done_at).is_(None)
                )
                .order_by(col(OutboxEvent.id))
            ).all()
            loyalty = card_service.card_state(session, view, web_service_url=None, now=now)
            class_state = session.get(GoogleClass, program.id)
            used = session.execute(
                select(func.count())
                .select_from(GoogleNotification)
                .where(
                    col(GoogleNotification.card_id) == card_id,
                    col(GoogleNotification.sent_at) > now - NOTIFICATION_WINDOW,
                )
            ).scalar_one()
            work = _Work(
                card_id=card_id,
                program_id=program.id,
                version=card.version,
                last_event_id=max((e.id for e in events), default=0),
                wants_notification=any(e.kind not in SILENT_KINDS for e in events),
                synced_version=state.synced_version,
                synced_points=state.synced_points,
                notifications_left=max(0, NOTIFICATION_LIMIT - used),
                object_body=self.wallet.object_body(
                    loyalty, card_id=card.id, program_id=program.id, design_name=program.design
                ),
                class_body=self.wallet.class_body(program.id, program.design, loyalty.locations),
                class_digest=class_state.body_digest if class_state else None,
                header=self.wallet.designs[program.design].organization_name,
                new_messages=[_Message(e.id, e.message, e.created_at) for e in events if e.message],
            )
            if work.new_messages:
                work.kept_messages = self._recent_messages(session, card_id, now)
            return work

    def _recent_messages(self, session: Session, card_id: UUID, now: datetime) -> list[_Message]:
        """Messages already on the card that are still shown (we are their only writer)."""
        rows = session.execute(
            select(col(OutboxEvent.id), col(OutboxEvent.message), col(OutboxEvent.created_at))
            .where(
                col(OutboxEvent.card_id) == card_id,
                col(OutboxEvent.message).is_not(None),
                col(OutboxEvent.google_done_at).is_not(None),
                col(OutboxEvent.created_at) > now - self.message_lifetime,
            )
            .order_by(col(OutboxEvent.id).desc())
            .limit(MAX_MESSAGES)
        ).all()
        return [_Message(r.id, r.message, r.created_at) for r in reversed(rows)]

    def _push(self, work: _Work, now: datetime) -> int:
        client = self.wallet.client
        class_digest = digest(work.class_body)
        if class_digest != work.class_digest:
            client.upsert_class(work.class_body)
            self._class_synced(work, class_digest, now)
        body = work.object_body
        points = json.dumps([body["loyaltyPoints"], body.get("secondaryLoyaltyPoints")],
                            sort_keys=True)  # fmt: skip
        budget = work.notifications_left if work.wants_notification else 0
        notifications: list[tuple[str, int]] = []  # (kind, the outbox row it was for)
        message_notifies = bool(work.new_messages) and budget > 0
        new_messages = work.new_messages[-MAX_MESSAGES:]

        def message(item: _Message, *, notify: bool = False) -> dict[str, Any]:
            return self._message(item, work.header, notify=notify)

        if work.synced_version == 0:  # a new object: no one holds it yet, nothing to notify
            if new_messages:
                body = {**body, "messages": [message(m) for m in new_messages]}
            client.upsert_object(body)
            new_messages = []
        else:
            fields = {k: v for k, v in body.items() if k not in ("id", "classId")}
            if work.new_messages:  # make room: at most 10 messages, the newest kept
                room = MAX_MESSAGES - min(len(work.new_messages), MAX_MESSAGES)
                kept = work.kept_messages[-room:] if room else []
                fields["messages"] = [message(m) for m in kept]
            notify = budget > 0 and not message_notifies and points != work.synced_points
            try:
                notify = self._patch(body["id"], fields, notify=notify)
            except GoogleNotFound:  # the object is gone on Google's side: put it back
                client.upsert_object(body)
                notify = False
            if notify:
                notifications.append(("update", work.last_event_id))
        for index, item in enumerate(new_messages):
            notify = message_notifies and index == 0
            try:
                client.add_object_message(body["id"], message(item, notify=notify))
            except NotificationQuotaExceeded:  # Google counted more than we did: go silent
                client.add_object_message(body["id"], message(item))
                notify = False
            if notify:
                notifications.append(("message", item.event_id))
        self._synced(work, points, notifications, now)
        return len(notifications)

    def _patch(self, object_id: str, fields: dict[str, Any], *, notify: bool) -> bool:
        """PATCH the object; True when it notified."""
        try:
            self.wallet.client.patch_object(object_id, fields, notify=notify)
        except NotificationQuotaExceeded:  # Google counted more than we did: go out silently
            self.wallet.client.patch_object(object_id, fields, notify=False)
            return False
        return notify

    def _message(self, message: _Message, header: str, *, notify: bool) -> dict[str, Any]:
        end = message.created_at + self.message_lifetime
        return {
            "id": f"lp-{message.event_id}",
            "header": header,
            "body": message.text[:500],
            "messageType": "TEXT_AND_NOTIFY" if notify else "TEXT",
            "displayInterval": {
                "start": {"date": _rfc3339(message.created_at)},
                "end": {"date": _rfc3339(end)},
            },
        }

    # bookkeeping -----------------------------------------------------------------------------

    def _class_synced(self, work: _Work, class_digest: str, now: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(GoogleClass, work.program_id)
            if row is None:
                member_card = session.get_one(Card, work.card_id)
                session.add(
                    GoogleClass(
                        program_id=work.program_id,
                        merchant_id=member_card.merchant_id,
                        class_id=work.class_body["id"],
                        body_digest=class_digest,
                        synced_at=now,
                    )
                )
            else:
                row.body_digest, row.synced_at = class_digest, now

    def _synced(
        self, work: _Work, points: str, notifications: Sequence[tuple[str, int]], now: datetime
    ) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(OutboxEvent)
                .where(
                    col(OutboxEvent.card_id) == work.card_id,
                    col(OutboxEvent.id) <= work.last_event_id,
                    col(OutboxEvent.google_done_at).is_(None),
                )
                .values(google_done_at=now)
            )
            session.execute(
                update(GoogleObject)
                .where(col(GoogleObject.card_id) == work.card_id)
                .values(
                    synced_version=work.version,
                    synced_points=points,
                    synced_at=now,
                    lease_until=None,
                    retry_at=None,
                    failures=0,
                    last_error=None,
                )
            )
            for kind, event_id in notifications:
                session.add(
                    GoogleNotification(
                        card_id=work.card_id, kind=kind, event_id=event_id, sent_at=now
                    )
                )

    def _failed(self, card_id: UUID, now: datetime, error: GoogleWalletError) -> None:
        with Session(self.engine) as session, session.begin():
            state = session.get_one(GoogleObject, card_id)
            state.failures += 1
            delay = min(timedelta(seconds=30 * 2 ** min(state.failures - 1, 10)), MAX_BACKOFF)
            state.retry_at = now + delay
            state.lease_until = None
            state.last_error = f"{error.status} {error.reason}: {error}"[:300]
        logger.warning(
            "google wallet sync failed",
            extra={
                "card_id": str(card_id),
                "status": error.status,
                "reason": error.reason,
                "retry_in_s": int(delay.total_seconds()),
            },
        )

    def _release(self, card_id: UUID) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(GoogleObject)
                .where(col(GoogleObject.card_id) == card_id)
                .values(lease_until=None)
            )


def _unleased(now: datetime) -> ColumnElement[bool]:
    return or_(col(GoogleObject.lease_until).is_(None), col(GoogleObject.lease_until) < now)


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(col(GoogleObject.retry_at).is_(None), col(GoogleObject.retry_at) <= now)


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
