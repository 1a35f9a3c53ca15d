"""Campaign work as tasks: each opens its transactions and calls the session-first service.
Sending is split into short transactions (one per batch of members), so a big campaign never
holds the tills back and a crash resumes where it stopped."""

from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

from sqlalchemy import Engine
from sqlmodel import Session

from api.campaigns import geo as geo_service
from api.campaigns import service as campaign_service

logger = logging.getLogger(__name__)
_BATCH = 500
_GEO_BATCH = 1000


def send_due(engine: Engine, *, now: datetime) -> int:
    """Send every campaign that is due (and resume any a crash interrupted). Returns the
    cards changed."""
    with Session(engine) as session:  # reads only
        due = campaign_service.due(session, now=now)
    return sum(send(engine, campaign_id, now=now) for campaign_id in due)


def send(engine: Engine, campaign_id: UUID, *, now: datetime) -> int:
    """Send one campaign, a batch of members per transaction. Returns the cards changed."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        started = campaign_service.start_sending(session, campaign_id, now=now)
    if started is None:
        return 0
    campaign, members = started
    changed = 0
    for start in range(0, len(members), _BATCH):
        with Session(engine) as session, session.begin():
            batch = members[start : start + _BATCH]
            changed += campaign_service.deliver(session, campaign, batch, now)
    with Session(engine) as session, session.begin():
        campaign_service.finish_sending(session, campaign_id, now=now)
    logger.info("campaign sent", extra={"campaign_id": str(campaign_id), "cards": changed})
    return changed


def geo_transitions(engine: Engine, *, now: datetime) -> int:
    """Start the geo campaigns whose window opened and end those whose window closed: change
    every affected card. Returns the cards changed."""
    with Session(engine) as session:  # reads only
        due = geo_service.due_transitions(session, now=now)
    changed = 0
    for campaign in due:
        with Session(engine) as session:
            members = geo_service.affected_members(session, campaign.merchant_id,
                                                   campaign.store_ids)  # fmt: skip
        for start in range(0, len(members), _GEO_BATCH):
            with Session(engine) as session, session.begin():
                batch = members[start : start + _GEO_BATCH]
                geo_service.change_cards(session, campaign, batch, now=now)
        with Session(engine) as session, session.begin():
            geo_service.record_transition(session, campaign, cards=len(members), now=now)
        changed += len(members)
    return changed
