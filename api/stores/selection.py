"""Which stores each card carries (at most 10): the stores the member shops at, then the ones
nearest to their home point (or to where they shop), then the chain's flagships. The choice
is kept on the card; the card changes only when the chosen set does. Session-first: the
worker's task that refreshes whole merchants is ``stores.tasks``."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlmodel import Session

from api.members.models import Member
from api.outbox import service as outbox_service
from api.stores import repository
from api.stores.models import Store
from api.stores.service import encode_ids
from passes import MAX_CARD_STORES, Point, StoreIndex, choose_stores

logger = logging.getLogger(__name__)
_BATCH = 1000
_KM_PER_DEGREE = 111.0  # a little under a degree of latitude: the box errs on the large side
_FIRST_RADIUS_KM, _LAST_RADIUS_KM = 2.0, 2000.0


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


def refresh_member(session: Session, member: Member) -> bool:
    """Re-choose one member's stores (in the caller's transaction); True when the set changed.
    The caller marks the card changed."""
    chain = Chain.of(repository.list_open(session, member.merchant_id))
    visits = repository.count_visits_by_member(session, [member.id])[member.id]
    chosen = encode_ids(chain.choose(member, visits))
    if repository.get_card_store_ids(session, member.id) == chosen:
        return False
    repository.set_card_store_ids(session, member.id, chosen)
    return True


def choose_for_new_member(session: Session, member: Member) -> None:
    """Choose a new member's stores (no visits yet) in the caller's transaction: the ones
    nearest their home point. Only the stores in a box around the home point are read,
    growing until it surely holds the nearest ``MAX_CARD_STORES``, so an enrolment costs the
    same in a chain of 40 stores or of 60,000; a small or far-flung chain falls back to
    ``refresh_member``."""
    if member.home_latitude is None or member.home_longitude is None:
        refresh_member(session, member)
        return
    home = Point(member.home_latitude, member.home_longitude)
    radius_km = _FIRST_RADIUS_KM
    while radius_km <= _LAST_RADIUS_KM:
        lat_span = radius_km / _KM_PER_DEGREE
        edge = min(89.0, abs(home.latitude) + lat_span)
        lon_span = radius_km / (_KM_PER_DEGREE * math.cos(math.radians(edge)))
        stores = repository.list_open_points_within(
            session, member.merchant_id, south=home.latitude - lat_span,
            north=home.latitude + lat_span, west=home.longitude - lon_span,
            east=home.longitude + lon_span,
        )  # fmt: skip
        points = {store_id: Point(lat, lon) for store_id, lat, lon in stores}
        nearest = StoreIndex(points).nearest(home, MAX_CARD_STORES)
        # Every store within radius_km lies in the box: if the farthest of the nearest is
        # within it, no store outside the box can be nearer.
        if len(nearest) == MAX_CARD_STORES and nearest[-1][0] <= radius_km:
            repository.set_card_store_ids(session, member.id,
                                          encode_ids(key for _, key in nearest))  # fmt: skip
            return
        radius_km *= 4
    refresh_member(session, member)


def chain_of(session: Session, merchant_id: UUID) -> Chain:
    """The merchant's open stores, indexed for choosing."""
    return Chain.of(repository.list_open(session, merchant_id))


def refresh_batch(
    session: Session, chain: Chain, merchant_id: UUID, *, after: UUID | None, now: datetime
) -> tuple[list[UUID], int]:
    """Re-choose the stores of the next batch of the merchant's members (by id, after
    ``after``); a card whose set changed is updated and pushed. Returns (the members seen,
    the cards changed); no members: the merchant is done."""
    rows = repository.list_member_batch(session, merchant_id, after=after, limit=_BATCH)
    if not rows:
        return [], 0
    visits = repository.count_visits_by_member(session, [row[0] for row in rows])
    updates = []
    for member_id, latitude, longitude, card_id, current in rows:
        chosen = encode_ids(chain.choose_for(latitude, longitude, visits.get(member_id, {})))
        if chosen != current:
            updates.append((member_id, card_id, chosen))
    changed = 0
    if updates:
        repository.set_store_ids_of_cards(
            session, [(card_id, chosen) for _, card_id, chosen in updates]
        )
        changed = outbox_service.mark_cards_changed(
            session, [member_id for member_id, _, _ in updates], kind="stores", now=now
        )
    return [row[0] for row in rows], changed


def due_refreshes(session: Session) -> list[tuple[UUID, datetime]]:
    """(merchant, when the refresh was asked for) of every merchant whose stores changed
    since its last refresh."""
    return repository.list_due_refreshes(session)


def record_refresh(
    session: Session, merchant_id: UUID, *, requested_at: datetime, members: int, changed: int
) -> None:
    """The merchant's cards are refreshed as of the request made at ``requested_at``."""
    repository.set_refresh_done(session, merchant_id, requested_at=requested_at)
    logger.info("card stores refreshed",
                extra={"merchant_id": str(merchant_id), "members": members,
                       "changed": changed})  # fmt: skip
