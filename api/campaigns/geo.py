"""Geo campaigns: lock-screen text for chosen stores during a time window ("Double points
until 18:00"). When a window starts, every card that carries one of its stores is changed and
pushed, so Wallet shows the new text near the store; when it ends, the cards change back."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from sqlalchemy import Engine, or_, select, update
from sqlmodel import Session, col

from api.campaigns.models import GeoCampaign
from api.errors import NotFound
from api.members.models import Card
from api.outbox import service as outbox_service
from api.stores import repository as store_repository
from api.stores import service as store_service
from api.stores.service import MAX_CARD_LOCATIONS

logger = logging.getLogger(__name__)
_BATCH = 1000


class GeoCampaignNotFound(NotFound):
    code, title = "geo_campaign_not_found", "Geo campaign not found"


def create(
    session: Session, merchant_id: UUID, *, name: str, relevant_text: str,
    store_ids: Iterable[UUID], starts_at: datetime, ends_at: datetime, priority: int,
) -> GeoCampaign:  # fmt: skip
    """Raises:
    StoreNotFound: a store is not the merchant's."""
    wanted = set(store_ids)
    for store_id in wanted:
        store_service.get(session, merchant_id, store_id)
    campaign = GeoCampaign(
        merchant_id=merchant_id,
        name=name,
        relevant_text=relevant_text,
        store_ids=sorted(str(s) for s in wanted),
        priority=priority,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    session.add(campaign)
    session.flush()
    return campaign


def list_for_merchant(session: Session, merchant_id: UUID) -> list[GeoCampaign]:
    query = (
        select(GeoCampaign)
        .where(col(GeoCampaign.merchant_id) == merchant_id)
        .order_by(col(GeoCampaign.starts_at).desc())
        .limit(200)
    )
    return list(session.execute(query).scalars())


def cancel(session: Session, merchant_id: UUID, campaign_id: UUID, *, now: datetime) -> GeoCampaign:
    """Stop a geo campaign; if it is running, the worker changes its cards back."""
    campaign = session.get(GeoCampaign, campaign_id)
    if campaign is None or campaign.merchant_id != merchant_id:
        raise GeoCampaignNotFound()
    if campaign.cancelled_at is None and campaign.ended_at is None:
        campaign.cancelled_at = now
    return campaign


def running(session: Session, merchant_id: UUID, now: datetime) -> list[GeoCampaign]:
    """Geo campaigns whose window contains ``now``, the winner of each store first."""
    query = select(GeoCampaign).where(
        col(GeoCampaign.merchant_id) == merchant_id,
        col(GeoCampaign.starts_at) <= now,
        col(GeoCampaign.ends_at) > now,
        col(GeoCampaign.cancelled_at).is_(None),
    )
    found = session.execute(query).scalars().all()
    return sorted(found, key=lambda c: (c.priority, c.starts_at), reverse=True)


def store_texts(session: Session, merchant_id: UUID, now: datetime) -> dict[UUID, str]:
    """The lock-screen text each store has now: the highest priority running campaign's."""
    texts: dict[UUID, str] = {}
    for campaign in running(session, merchant_id, now):
        for store_id in campaign.store_ids:
            texts.setdefault(UUID(store_id), campaign.relevant_text)
    return texts


def affected_members(session: Session, merchant_id: UUID, store_ids: Iterable[str]) -> list[UUID]:
    """Members whose cards carry any of the stores (cards not yet given their own stores
    carry the chain's default ones)."""
    wanted = list(store_ids)
    default_stores = store_repository.list_default(session, merchant_id, limit=MAX_CARD_LOCATIONS)
    defaults = {str(s.id) for s in default_stores}
    clauses = [col(Card.store_ids).contains(store_id) for store_id in wanted]
    if defaults & set(wanted):
        clauses.append(col(Card.store_ids).is_(None))
    if not clauses:
        return []
    query = select(col(Card.member_id)).where(col(Card.merchant_id) == merchant_id, or_(*clauses))
    return list(session.execute(query).scalars())


def run_transitions(engine: Engine, *, now: datetime) -> int:
    """Start the campaigns whose window opened and end those whose window closed: change
    every affected card. Returns the cards changed."""
    changed = 0
    with Session(engine) as session:
        due = (
            session.execute(
                select(GeoCampaign).where(
                    or_(
                        (col(GeoCampaign.starts_at) <= now) & col(GeoCampaign.started_at).is_(None),
                        (col(GeoCampaign.ends_at) <= now) & col(GeoCampaign.ended_at).is_(None),
                        col(GeoCampaign.cancelled_at).is_not(None)
                        & col(GeoCampaign.started_at).is_not(None)
                        & col(GeoCampaign.ended_at).is_(None),
                    )
                )
            )
            .scalars()
            .all()
        )
    for campaign in due:
        ending = campaign.ends_at <= now or campaign.cancelled_at is not None
        kind = "geo_end" if ending else "geo_start"
        with Session(engine) as session:
            members = affected_members(session, campaign.merchant_id, campaign.store_ids)
        for start in range(0, len(members), _BATCH):
            with Session(engine) as session, session.begin():
                batch = members[start : start + _BATCH]
                outbox_service.mark_cards_changed(session, batch, kind=kind, now=now)
        with Session(engine) as session, session.begin():
            values = {"ended_at": now} if ending else {"started_at": now}
            if ending and campaign.started_at is None:
                values["started_at"] = now
            session.execute(
                update(GeoCampaign).where(col(GeoCampaign.id) == campaign.id).values(**values)
            )
        logger.info("geo campaign " + ("ended" if ending else "started"),
                    extra={"campaign_id": str(campaign.id), "cards": len(members)})  # fmt: skip
        changed += len(members)
    return changed
