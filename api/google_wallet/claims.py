"""Claiming a batch of cards for the Google sync, session-first: hold them and read all their
sync needs in a handful of queries per batch (not per card), then render each object.

What one card's claim reads is what ``cards.service.card_state`` reads for it (the card, its
member and program, its stores, its next expiring points, the running geo campaigns' texts)
plus its sync state, its pending outbox rows and its notifications of the last 24 hours; here
each is one query for the whole batch (the stores and campaign texts one per merchant, the
class one per program), so the cost per card is the rendering.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlmodel import Session

from api.campaigns import geo as geo_service
from api.cards import service as card_service
from api.delivery.budgets import NOTIFICATION_WINDOW, notifications_left
from api.google_wallet import budget
from api.google_wallet import repository as google_repository
from api.google_wallet.budget import Message
from api.google_wallet.service import SyncWork
from api.google_wallet.wallet import GoogleWallet
from api.members.models import Card
from api.programs import repository as program_repository
from api.programs.models import Program
from api.stores import repository as store_repository
from api.stores.models import Store
from api.stores.service import MAX_CARD_LOCATIONS


def claim_batch(
    session: Session,
    card_ids: Sequence[UUID],
    *,
    wallet: GoogleWallet,
    now: datetime,
    lease: timedelta,
    message_lifetime: timedelta,
    force: bool = False,
) -> list[SyncWork]:
    """Hold each of ``card_ids`` for ``lease`` and read everything its sync writes, in the
    order of ``card_ids``; a card that is gone, that another worker holds or (unless
    ``force``) that waits to retry is left out."""
    found = google_repository.cards_with_members(session, card_ids)
    programs = _programs(session, {(m.merchant_id, m.program_id) for m, _ in found})
    google_repository.add_objects(session, [
        {"card_id": card.id, "merchant_id": card.merchant_id,
         "object_id": wallet.object_id(card.id), "class_id": wallet.class_id(member.program_id)}
        for member, card in found
    ])  # fmt: skip
    held = google_repository.lease_many(session, [card.id for _, card in found], now=now,
                                        until=now + lease, only_due=not force)  # fmt: skip
    found = [(member, card) for member, card in found if card.id in held]
    if not found:
        return []
    states = google_repository.object_states(session, held)
    events = google_repository.pending_events_of(session, held)
    used = google_repository.notifications_since_of(session, held, now - NOTIFICATION_WINDOW)
    expiries = google_repository.next_expiries(session, [member.id for member, _ in found])
    merchants = {member.merchant_id for member, _ in found}
    texts = {m: geo_service.store_texts(session, m, now) for m in merchants}
    stores = _Stores(session, [card for _, card in found])
    classes: dict[UUID, tuple[dict[str, Any], str | None]] = {}
    works: dict[UUID, SyncWork] = {}
    for member, card in found:
        program = programs[member.program_id]
        view = card_service.CardView(member, card, program)
        loyalty = card_service.loyalty_card(
            view, stores.of(card), web_service_url=None, next_expiry=expiries.get(member.id),
            store_texts=texts[member.merchant_id],
        )  # fmt: skip
        if program.id not in classes:  # the class shows the program's first card's stores
            class_state = google_repository.get_class(session, program.id)
            class_body = wallet.class_body(program.id, program.design, loyalty.locations)
            classes[program.id] = (class_body, class_state.body_digest if class_state else None)
        class_body, class_digest = classes[program.id]
        design = wallet.designs[program.design]
        pending = events.get(card.id, [])
        state = states[card.id]
        works[card.id] = SyncWork(
            card_id=card.id,
            merchant_id=card.merchant_id,
            program_id=program.id,
            version=card.version,
            last_event_id=max((e.id for e in pending), default=0),
            request_id=next((e.request_id for e in reversed(pending) if e.request_id), None),
            wants_notification=budget.wants_notification(e.kind for e in pending),
            synced_version=state.synced_version,
            synced_points=state.synced_points,
            object_digest=state.body_digest,
            notifications_left=notifications_left(used.get(card.id, 0)),
            object_body=wallet.object_body(
                loyalty, card_id=card.id, program_id=program.id, design_name=program.design
            ),  # fmt: skip
            class_body=class_body,
            class_digest=class_digest,
            header=design.organization_name,
            language=design.language,
            headers={
                design.language: design.organization_name,
                **design.translations.get("program.organization", {}),
            },  # fmt: skip
            new_messages=[
                Message(e.id, e.message, e.created_at, _texts(card, e.message))
                for e in pending
                if e.message
            ],  # fmt: skip
        )
        if works[card.id].new_messages:
            shown = google_repository.shown_messages(
                session, card.id, since=now - message_lifetime, limit=budget.MAX_MESSAGES
            )
            works[card.id].kept_messages = [
                Message(r.id, r.message, r.created_at, _texts(card, r.message))
                for r in reversed(shown)
            ]  # fmt: skip
    return [works[card_id] for card_id in card_ids if card_id in works]


def _texts(card: Card, message: str) -> dict[str, str] | None:
    """The card's current message in other languages (older ones have none kept)."""
    return card.message_translations if message == card.message else None


def _programs(session: Session, keys: Collection[tuple[UUID, UUID]]) -> dict[UUID, Program]:
    programs: dict[UUID, Program] = {}
    for merchant_id, program_id in keys:
        program = program_repository.get(session, merchant_id, program_id)
        assert program is not None  # the member's foreign key
        programs[program_id] = program
    return programs


class _Stores:
    """The stores each card carries (``stores.service.stores_for_card``), read once per
    merchant: its chosen ones (closed ones dropped), or the chain's default ones."""

    def __init__(self, session: Session, cards: Sequence[Card]) -> None:
        self.session = session
        wanted: dict[UUID, set[UUID]] = {}
        for card in cards:
            if card.store_ids:
                ids = wanted.setdefault(card.merchant_id, set())
                ids.update(UUID(s) for s in card.store_ids.split(","))
        self.chosen: dict[UUID, Store] = {
            store.id: store
            for merchant_id, ids in wanted.items()
            for store in store_repository.get_many(session, merchant_id, list(ids))
        }
        self.defaults: dict[UUID, list[Store]] = {}

    def of(self, card: Card) -> list[Store]:
        if card.store_ids:
            ids = [UUID(s) for s in card.store_ids.split(",")]
            return [self.chosen[i] for i in ids
                    if i in self.chosen and self.chosen[i].closed_at is None]  # fmt: skip
        if card.merchant_id not in self.defaults:
            self.defaults[card.merchant_id] = list(store_repository.list_default(
                self.session, card.merchant_id, limit=MAX_CARD_LOCATIONS))  # fmt: skip
        return self.defaults[card.merchant_id]
