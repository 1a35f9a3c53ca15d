"""Queries on stores, the stores each card carries, and the refreshes of that choice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Row, bindparam, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.ledger.models import Transaction, TransactionKind
from api.members.models import Card, Member
from api.paging import PageRequest, fetch_page
from api.stores.models import Store, StoreRefresh


def list_open(session: Session, merchant_id: UUID) -> Sequence[Store]:
    query = select(Store).where(Store.merchant_id == merchant_id, col(Store.closed_at).is_(None))
    return session.exec(query.order_by(col(Store.created_at), col(Store.name))).all()


def page_open(
    session: Session, merchant_id: UUID, page: PageRequest
) -> tuple[Sequence[Store], int]:
    """A page of the open stores, in the order they were added."""
    query = select(Store).where(Store.merchant_id == merchant_id, col(Store.closed_at).is_(None))
    return fetch_page(session, query, page, order_by=(col(Store.created_at), col(Store.id)))


def list_default(session: Session, merchant_id: UUID, *, limit: int) -> Sequence[Store]:
    """Open stores, flagships first, then in the order they were added."""
    query = (
        select(Store)
        .where(Store.merchant_id == merchant_id, col(Store.closed_at).is_(None))
        .order_by(col(Store.is_flagship).desc(), col(Store.created_at), col(Store.name))
    )
    return session.exec(query.limit(limit)).all()


def list_open_points_within(
    session: Session, merchant_id: UUID, *, south: float, north: float, west: float, east: float
) -> Sequence[Row[UUID, float, float]]:
    """(id, latitude, longitude) of the open stores inside a box (no wrap at ±180°)."""
    query = sa_select(col(Store.id), col(Store.latitude), col(Store.longitude)).where(
        col(Store.merchant_id) == merchant_id,
        col(Store.closed_at).is_(None),
        col(Store.latitude).between(south, north),
        col(Store.longitude).between(west, east),
    )
    return session.execute(query).all()


def get_many(session: Session, merchant_id: UUID, ids: Sequence[UUID]) -> Sequence[Store]:
    query = select(Store).where(Store.merchant_id == merchant_id, col(Store.id).in_(ids))
    return session.exec(query).all()


def get(session: Session, merchant_id: UUID, store_id: UUID) -> Store | None:
    query = select(Store).where(Store.id == store_id, Store.merchant_id == merchant_id)
    return session.exec(query).first()


def count_beacon_uuids(session: Session, merchant_id: UUID) -> int:
    """The distinct beacon UUIDs of the merchant's open stores."""
    query = sa_select(func.count(func.distinct(col(Store.beacon_uuid)))).where(
        col(Store.merchant_id) == merchant_id,
        col(Store.beacon_uuid).is_not(None),
        col(Store.closed_at).is_(None),
    )
    count: int = session.execute(query).scalar_one()
    return count


def set_refresh_requested(session: Session, merchant_id: UUID, *, requested_at: datetime) -> None:
    """Move the merchant's pending refresh request to ``requested_at``."""
    session.execute(
        update(StoreRefresh)
        .where(col(StoreRefresh.merchant_id) == merchant_id)
        .values(requested_at=requested_at)
    )


def list_due_refreshes(session: Session) -> list[tuple[UUID, datetime]]:
    """(merchant, when the refresh was asked for) of every refresh not done since asked."""
    rows = session.execute(
        sa_select(col(StoreRefresh.merchant_id), col(StoreRefresh.requested_at)).where(
            (col(StoreRefresh.done_at).is_(None))
            | (col(StoreRefresh.done_at) < col(StoreRefresh.requested_at))
        )
    ).all()
    return [(merchant_id, requested_at) for merchant_id, requested_at in rows]


def set_refresh_done(session: Session, merchant_id: UUID, *, requested_at: datetime) -> None:
    """The merchant's refresh is done as of the request made at ``requested_at``."""
    session.execute(
        update(StoreRefresh)
        .where(col(StoreRefresh.merchant_id) == merchant_id)
        .values(done_at=requested_at)
    )


def count_visits_by_member(
    session: Session, member_ids: Sequence[UUID]
) -> dict[UUID, dict[UUID, int]]:
    """Purchases per member and store (a member with none maps to an empty dict)."""
    rows = session.execute(
        sa_select(col(Transaction.member_id), col(Transaction.location_id), func.count())
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


def get_card_store_ids(session: Session, member_id: UUID) -> str | None:
    """The store ids (comma-separated) the member's card carries; None: not chosen yet."""
    ids: str | None = session.execute(
        sa_select(col(Card.store_ids)).where(col(Card.member_id) == member_id)
    ).scalar_one()
    return ids


def set_card_store_ids(session: Session, member_id: UUID, store_ids: str | None) -> None:
    session.execute(
        update(Card).where(col(Card.member_id) == member_id).values(store_ids=store_ids)
    )


def set_store_ids_of_cards(session: Session, chosen: Sequence[tuple[UUID, str | None]]) -> None:
    """Set the store ids of many cards, one executemany: (card id, store ids) pairs."""
    table = Card.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        update(table).where(table.c.id == bindparam("card_id")).values(store_ids=bindparam("ids")),
        [{"card_id": card_id, "ids": ids} for card_id, ids in chosen],
    )


def list_member_batch(
    session: Session, merchant_id: UUID, *, after: UUID | None, limit: int
) -> Sequence[Row[UUID, float | None, float | None, UUID, str | None]]:
    """(member id, home latitude, home longitude, card id, card's store ids) of the next
    ``limit`` members of the merchant by id, after ``after``."""
    # Plain rows, not ORM objects: a session holding thousands of cards would make every
    # UPDATE of the batch re-check them all.
    query = (
        sa_select(
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
    return session.execute(query.order_by(col(Member.id)).limit(limit)).all()
