"""Pre-rendering changed passes in the worker, so the fetch storm after a push is lookups.

A campaign changes many cards at once and every device then downloads its pass within
seconds. The worker walks the changed cards by Apple update tag (one sequence across all
cards, indexed), in batches: one query for the batch's members, cards and programs, one for
their expiring points, one for each merchant's running geo texts and stores, then signs each
pass and stores it with one batched upsert (``passfiles.store``). Cards with a registered
device are rendered (they are the ones that will be fetched), and so are cards whose stored
pass is stale (so an erased member's old pass does not linger). A card already stored at its
version is skipped: running a batch again changes nothing.

On PostgreSQL one worker renders at a time (a transaction-scoped advisory lock; the others
skip the round); the tag cursor lives in the process and starts below zero, which costs one
indexed scan of the cards after a restart. A card missed here (a tag committed late, a fetch
that came first) is rendered on its request: correctness never depends on this job.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, exists, func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from api.apple_webservice.models import AppleRegistration
from api.apple_webservice.passfiles import StoredPass, store
from api.apple_webservice.repository import wait_for_tag_writers
from api.campaigns import geo as geo_service
from api.cards import service as card_service
from api.cards.apple import AppleWallet
from api.cards.service import CardView
from api.clock import utcnow
from api.db import reading
from api.ledger.models import PointLot
from api.members.models import Card, Member
from api.polling import PollingThread
from api.programs.models import Program
from api.stores import service as store_service
from api.stores.models import Store
from passes import build_pkpass

logger = logging.getLogger(__name__)
BATCH = 200
PRERENDER_LOCK = 0x10A1_9A55


@dataclass
class PrerenderReport:
    rendered: int = 0
    batches: int = 0


def due_cards(session: Session, *, after_tag: int, limit: int) -> list[tuple[UUID, int]]:
    """(card id, update tag) of cards changed after ``after_tag`` whose pass is not stored
    at their version and that have a registered device or a stale stored pass, by tag."""
    stored_current = exists().where(
        col(StoredPass.card_id) == col(Card.id), col(StoredPass.version) == col(Card.version)
    )
    stored_any = exists().where(col(StoredPass.card_id) == col(Card.id))
    registered = exists().where(col(AppleRegistration.card_id) == col(Card.id))
    query = (
        select(col(Card.id), col(Card.update_tag))
        .where(col(Card.update_tag) > after_tag, ~stored_current, registered | stored_any)
        .order_by(col(Card.update_tag))
        .limit(limit)
    )
    return [(card_id, int(tag)) for card_id, tag in session.execute(query).all()]


def render_batch(
    session: Session, card_ids: Sequence[UUID], *, wallet: AppleWallet, now: datetime
) -> int:
    """Sign the current version of these cards with batched reads and store the passes;
    returns how many were stored."""
    if not card_ids:
        return 0
    rows = session.execute(
        select(Member, Card, Program)
        .join(Card, and_(col(Card.member_id) == col(Member.id)))
        .join(Program, col(Program.id) == col(Member.program_id))
        .where(col(Card.id).in_(card_ids))
    ).all()
    expiring = _next_expiries(session, [member.id for member, _, _ in rows])
    texts: dict[UUID, dict[UUID, str]] = {}
    stores: dict[tuple[UUID, str | None], list[Store]] = {}
    passes: list[tuple[UUID, int, bytes]] = []
    for member, card, program in rows:
        merchant_id = member.merchant_id
        if merchant_id not in texts:
            texts[merchant_id] = geo_service.store_texts(session, merchant_id, now)
        key = (merchant_id, card.store_ids)
        if key not in stores:
            stores[key] = store_service.stores_for_card(session, merchant_id, card.store_ids)
        state = card_service.loyalty_card(
            CardView(member, card, program),
            stores[key],
            web_service_url=wallet.web_service_url,
            next_expiry=expiring.get(member.id),
            store_texts=texts[merchant_id],
        )
        template = wallet.templates[program.design]
        data = build_pkpass(state, template, wallet.signer, wallet.strips(state, template.design))
        passes.append((card.id, card.version, data))
    store(session.connection(), passes)
    return len(passes)


def _next_expiries(session: Session, member_ids: list[UUID]) -> dict[UUID, tuple[int, datetime]]:
    """``members.repository.next_expiry`` for many members in one query."""
    if not member_ids:
        return {}
    lots = session.execute(
        select(col(PointLot.member_id), col(PointLot.expires_at), col(PointLot.remaining)).where(
            col(PointLot.member_id).in_(member_ids),
            col(PointLot.remaining) > 0,
            col(PointLot.expires_at).is_not(None),
        )
    ).all()
    found: dict[UUID, tuple[int, datetime]] = {}
    for member_id, expires_at, remaining in lots:
        current = found.get(member_id)
        if current is None or expires_at < current[1]:
            found[member_id] = (remaining, expires_at)
        elif expires_at == current[1]:
            found[member_id] = (current[0] + remaining, expires_at)
    return found


class Prerenderer:
    """The worker's loop over changed cards (see the module's docstring)."""

    def __init__(self, engine: Engine, wallet: AppleWallet, *, batch_size: int = BATCH) -> None:
        self.engine = engine
        self.wallet = wallet
        self.batch_size = batch_size
        self.after_tag = -1  # a card never changed since enrolment has tag 0

    def has_work(self) -> bool:
        with reading(self.engine) as session, session.begin():
            return bool(due_cards(session, after_tag=self.after_tag, limit=1))

    def run_once(self) -> PrerenderReport:
        """Render batch after batch until no changed card is left (or another worker holds
        the lock)."""
        report = PrerenderReport()
        while True:
            with reading(self.engine) as session, session.begin():
                wait_for_tag_writers(session)  # a smaller tag may still commit: let it
                newest = session.execute(select(func.max(Card.update_tag))).scalar() or 0
                due = due_cards(session, after_tag=self.after_tag, limit=self.batch_size)
            if not due:  # what is left needs no pass: never scan it again
                self.after_tag = max(self.after_tag, int(newest))
                return report
            with Session(self.engine) as session, session.begin():
                if not _try_lock(session):
                    return report
                report.rendered += render_batch(
                    session, [card_id for card_id, _ in due], wallet=self.wallet, now=utcnow()
                )
            report.batches += 1
            self.after_tag = max(self.after_tag, due[-1][1])


def _try_lock(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    query = text("SELECT pg_try_advisory_xact_lock(:key)")
    return bool(session.execute(query, {"key": PRERENDER_LOCK}).scalar())


def start_thread(engine: Engine, wallet: AppleWallet) -> PollingThread:
    """The started pre-render loop of a worker (or of a service process that pushes)."""
    prerenderer = Prerenderer(engine, wallet)
    thread = PollingThread(
        "apple-prerender", has_work=prerenderer.has_work, run_once=prerenderer.run_once
    )
    thread.start()
    return thread
