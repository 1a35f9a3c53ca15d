"""Geo campaigns: lock-screen text for chosen stores during a time window ("Double points
until 18:00"). When a window starts, every card that carries one of its stores is changed and
pushed, so Wallet shows the new text near the store; when it ends, the cards change back.
The transitions are session-first here; their task is ``campaigns.tasks.geo_transitions``."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from sqlmodel import Session

from api.campaigns import repository as campaign_repository
from api.campaigns.errors import GeoCampaignNotFound
from api.campaigns.models import GeoCampaign
from api.outbox import service as outbox_service
from api.paging import PageRequest
from api.stores import repository as store_repository
from api.stores import service as store_service
from api.stores.service import MAX_CARD_LOCATIONS

logger = logging.getLogger(__name__)


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


def list_for_merchant(
    session: Session, merchant_id: UUID, page: PageRequest
) -> tuple[Sequence[GeoCampaign], int]:
    """A page of the merchant's geo campaigns, newest first."""
    return campaign_repository.page_geo(session, merchant_id, page)


def cancel(session: Session, merchant_id: UUID, campaign_id: UUID, *, now: datetime) -> GeoCampaign:
    """Stop a geo campaign; if it is running, the worker changes its cards back."""
    campaign = campaign_repository.get_geo(session, campaign_id)
    if campaign is None or campaign.merchant_id != merchant_id:
        raise GeoCampaignNotFound()
    if campaign.cancelled_at is None and campaign.ended_at is None:
        campaign.cancelled_at = now
    return campaign


def running(session: Session, merchant_id: UUID, now: datetime) -> list[GeoCampaign]:
    """Geo campaigns whose window contains ``now``, the winner of each store first."""
    found = campaign_repository.running_geo(session, merchant_id, now)
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
    is_default = bool(defaults & set(wanted))
    return campaign_repository.members_carrying(session, merchant_id, wanted, or_default=is_default)


def due_transitions(session: Session, *, now: datetime) -> list[GeoCampaign]:
    """Campaigns whose window opened or closed (or that were cancelled while running) and
    whose cards have not changed for it yet."""
    return campaign_repository.geo_due(session, now)


def is_ending(campaign: GeoCampaign, now: datetime) -> bool:
    return campaign.ends_at <= now or campaign.cancelled_at is not None


def change_cards(
    session: Session, campaign: GeoCampaign, member_ids: list[UUID], *, now: datetime
) -> int:
    """Change these cards for the campaign's start or end. Returns the cards changed."""
    kind = "geo_end" if is_ending(campaign, now) else "geo_start"
    return outbox_service.mark_cards_changed(session, member_ids, kind=kind, now=now)


def record_transition(
    session: Session, campaign: GeoCampaign, *, cards: int, now: datetime
) -> None:
    """The campaign's ``cards`` have changed for its start or end."""
    ending = is_ending(campaign, now)
    values = {"ended_at": now} if ending else {"started_at": now}
    if ending and campaign.started_at is None:
        values["started_at"] = now
    campaign_repository.mark_geo(session, campaign.id, values)
    logger.info("geo campaign " + ("ended" if ending else "started"),
                extra={"campaign_id": str(campaign.id), "cards": cards})  # fmt: skip
