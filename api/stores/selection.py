"""Which stores each card carries (at most 10): the stores the member shops at, then the ones
nearest to their home point (or to where they shop), then the chain's flagships. The choice
is kept on the card; the card changes only when the chosen set does. Session-first: the
worker's task that refreshes whole merchants is ``stores.tasks``."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session, col

from api.ledger.models import Transaction, TransactionKind
from api.members.models import Card, Member
from api.outbox import service as outbox_service
from api.stores import repository
from api.stores.models import Store, StoreRefresh
from api.stores.service import encode_ids
from passes import Point, StoreIndex, choose_stores

logger = logging.getLogger(__name__)
_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Chain:
    """A merchant's open stores, indexed once for many members."""

    index: StoreIndex[UUID]
    flagships: tuple[UUID, ...]
    order: tuple[UUID, ...]

    @classmethod
    def of(cls, stores: Sequence[Store]) -> Chain:
        return cls(
            StoreIndex({s.id: Point(s.latitude, s.longitude) for s in stores}),
            tuple(s.id for s in stores if s.is_flagship),
            tuple(s.id for s in stores),
        )

    def choose(self, member: Member, visits: dict[UUID, int]) -> list[UUID]:
        return self.choose_for(member.home_latitude, member.home_longitude, visits)

    def choose_for(
        self, latitude: float | None, longitude: float | None, visits: dict[UUID, int]
    ) -> list[UUID]:
        home = (
            Point(latitude, longitude) if latitude is not None and longitude is not None else None
        )
        return choose_stores(self.index, visits=visits, home=home, flagships=self.flagships,
                             chain_order=self.order)  # fmt: skip


def visits_by_member(session: Session, member_ids: Sequence[UUID]) -> dict[UUID, dict[UUID, int]]:
    rows = session.execute(
        select(col(Transaction.member_id), col(Transaction.location_id), func.count())
        .where(
            col(Transaction.member_id).in_(member_ids),
            col(Transaction.kind) == TransactionKind.purchase,
            col(Transaction.location_id).is_not(None),
        )
        .group_by(col(Transaction.member_id), col(Transaction.location_id))
    ).all()
    visits: dict[UUID, dict[UUID, int]] = defaultdict(dict)
    for member_id, location_id, count in rows:
        visits[member_id][location_id] = count
    return visits


def card_store_ids(session: Session, member_id: UUID) -> str | None:
    ids: str | None = session.execute(
        select(col(Card.store_ids)).where(col(Card.member_id) == member_id)
    ).scalar_one()
    return ids


def refresh_member(session: Session, member: Member) -> bool:
    """Re-choose one member's stores (in the caller's transaction); True when the set changed.
    The caller marks the card changed."""
    chain = Chain.of(repository.list_open(session, member.merchant_id))
    chosen = encode_ids(chain.choose(member, visits_by_member(session, [member.id])[member.id]))
    if card_store_ids(session, member.id) == chosen:
        return False
    session.execute(update(Card).where(col(Card.member_id) == member.id).values(store_ids=chosen))
    return True


def chain_of(session: Session, merchant_id: UUID) -> Chain:
    """The merchant's open stores, indexed for choosing."""
    return Chain.of(repository.list_open(session, merchant_id))


def refresh_batch(
    session: Session, chain: Chain, merchant_id: UUID, *, after: UUID | None, now: datetime
) -> tuple[list[UUID], int]:
    """Re-choose the stores of the next batch of the merchant's members (by id, after
    ``after``); a card whose set changed is updated and pushed. Returns (the members seen,
    the cards changed); no members: the merchant is done."""
    # Plain rows, not ORM objects: a session holding thousands of cards would make every
    # UPDATE below re-check them all.
    query = (
        select(
            col(Member.id),
            col(Member.home_latitude),
            col(Member.home_longitude),
            col(Card.id),
            col(Card.store_ids),
        )  # fmt: skip
        .join(Card, col(Card.member_id) == col(Member.id))
        .where(col(Member.merchant_id) == merchant_id)
    )
    if after is not None:
        query = query.where(col(Member.id) > after)
    rows = session.execute(query.order_by(col(Member.id)).limit(_BATCH)).all()
    if not rows:
        return [], 0
    visits = visits_by_member(session, [row[0] for row in rows])
    updates = []
    for member_id, latitude, longitude, card_id, current in rows:
        chosen = encode_ids(chain.choose_for(latitude, longitude, visits.get(member_id, {})))
        if chosen != current:
            updates.append((member_id, card_id, chosen))
    changed = 0
    if updates:
        table = Card.__table__  # type: ignore[attr-defined]
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("card_id"))
            .values(store_ids=bindparam("chosen")),
            [{"card_id": card_id, "chosen": chosen} for _, card_id, chosen in updates],
        )
        changed = outbox_service.mark_cards_changed(
            session, [member_id for member_id, _, _ in updates], kind="stores", now=now
        )
    return [row[0] for row in rows], changed


def due_refreshes(session: Session) -> list[tuple[UUID, datetime]]:
    """(merchant, when the refresh was asked for) of every merchant whose stores changed
    since its last refresh."""
    rows = session.execute(
        select(col(StoreRefresh.merchant_id), col(StoreRefresh.requested_at)).where(
            (col(StoreRefresh.done_at).is_(None))
            | (col(StoreRefresh.done_at) < col(StoreRefresh.requested_at))
        )
    ).all()
    return [(merchant_id, requested_at) for merchant_id, requested_at in rows]


def record_refresh(
    session: Session, merchant_id: UUID, *, requested_at: datetime, members: int, changed: int
) -> None:
    """The merchant's cards are refreshed as of the request made at ``requested_at``."""
    session.execute(
        update(StoreRefresh)
        .where(col(StoreRefresh.merchant_id) == merchant_id)
        .values(done_at=requested_at)
    )
    logger.info("card stores refreshed",
                extra={"merchant_id": str(merchant_id), "members": members,
                       "changed": changed})  # fmt: skip
