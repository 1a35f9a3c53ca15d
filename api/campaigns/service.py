"""Push campaigns: a message to a segment's cards.

The audience is frozen as a filter when the campaign is created and counted for the preview;
at ``send_at`` the worker finds the members again and changes each card (its "latest news"
field, and an outbox row that carries the message to Google's ``addMessage``). Each recipient
is recorded in the same transaction as its card's change, so a send that crashes resumes
where it stopped and no card gets the message twice.

Budgets: Google allows 3 notifications per card per day (shared with balance updates, kept by
the Google sync). Apple has no documented cap, but a lock-screen alert per campaign is spam:
a card gets at most ``APPLE_ALERTS_PER_DAY`` campaign alerts a day, and past that the message
still lands on the card, silently (its field carries no ``changeMessage``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import Engine, Integer, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from api.campaigns.models import Campaign, CampaignRecipient, CampaignStatus
from api.errors import Conflict, NotFound
from api.google_wallet.models import GoogleNotification, GoogleObject
from api.members.models import Card
from api.outbox import service as outbox_service
from api.outbox.models import OutboxEvent
from api.programs import service as program_service
from api.segments import service as segment_service
from api.segments.filters import SegmentFilter, members_query

logger = logging.getLogger(__name__)
APPLE_ALERTS_PER_DAY = 3
_BATCH = 500


class CampaignNotFound(NotFound):
    code, title = "campaign_not_found", "Campaign not found"


class CampaignNotCancellable(Conflict):
    code, title = "campaign_not_cancellable", "The campaign has already been sent"


class CampaignStats(BaseModel):
    """How far a campaign got."""

    recipients: int
    apple_alerts: int  # cards whose change carries a lock-screen alert
    apple_silent: int  # cards past the Apple alert budget: the message landed silently
    apple_pushes_delivered: int  # cards whose last APNs push (after the campaign) was accepted
    apple_devices_fetched: int  # cards whose new version a device has downloaded
    google_synced: int  # Google objects that have the message
    google_notified: int  # ... and the ones whose message notified
    google_held_back: int  # synced without a notification: the card's daily cap was spent


def audience_count(
    session: Session, merchant_id: UUID, program_id: UUID, segment: SegmentFilter, now: datetime
) -> int:
    query = members_query(merchant_id, program_id, segment, now=now).subquery()
    return int(session.execute(select(func.count()).select_from(query)).scalar_one())


def create(
    session: Session,
    merchant_id: UUID,
    program_id: UUID,
    *,
    name: str,
    message: str,
    segment_id: UUID | None,
    segment: SegmentFilter | None,
    send_at: datetime | None,
    now: datetime,
) -> Campaign:
    """Raises:
    ProgramNotFound, SegmentNotFound."""
    program = program_service.get_program(session, merchant_id, program_id)
    if segment_id is not None:
        saved = segment_service.get(session, merchant_id, segment_id)
        if saved.program_id != program.id:
            raise segment_service.SegmentNotFound("the segment belongs to another program")
        segment = SegmentFilter.model_validate(saved.filter)
    audience = segment or SegmentFilter()
    campaign = Campaign(
        merchant_id=merchant_id,
        program_id=program.id,
        name=name,
        message=message,
        filter=audience.model_dump(mode="json", exclude_none=True),
        segment_id=segment_id,
        send_at=send_at or now,
        audience_preview=audience_count(session, merchant_id, program.id, audience, now),
        created_at=now,
    )
    session.add(campaign)
    session.flush()
    return campaign


def get(session: Session, merchant_id: UUID, campaign_id: UUID) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.merchant_id != merchant_id:
        raise CampaignNotFound()
    return campaign


def list_for_program(session: Session, merchant_id: UUID, program_id: UUID) -> list[Campaign]:
    program = program_service.get_program(session, merchant_id, program_id)
    query = (
        select(Campaign)
        .where(col(Campaign.program_id) == program.id)
        .order_by(col(Campaign.created_at).desc())
    )
    return list(session.execute(query.limit(200)).scalars())


def cancel(session: Session, merchant_id: UUID, campaign_id: UUID) -> Campaign:
    campaign = get(session, merchant_id, campaign_id)
    if campaign.status != CampaignStatus.scheduled:
        raise CampaignNotCancellable(f"status is {campaign.status}")
    campaign.status = CampaignStatus.cancelled
    return campaign


def send_due(engine: Engine, *, now: datetime) -> int:
    """Send every campaign that is due (and resume any a crash interrupted). Returns the
    cards changed."""
    with Session(engine) as session:
        due = (
            session.execute(
                select(col(Campaign.id)).where(
                    or_(
                        (col(Campaign.status) == CampaignStatus.scheduled)
                        & (col(Campaign.send_at) <= now),
                        col(Campaign.status) == CampaignStatus.sending,
                    )
                )
            )
            .scalars()
            .all()
        )
    return sum(send(engine, campaign_id, now=now) for campaign_id in due)


def send(engine: Engine, campaign_id: UUID, *, now: datetime) -> int:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        claimed = session.execute(
            update(Campaign)
            .where(
                col(Campaign.id) == campaign_id,
                col(Campaign.status).in_([CampaignStatus.scheduled, CampaignStatus.sending]),
            )
            .values(
                status=CampaignStatus.sending,
                started_at=func.coalesce(col(Campaign.started_at), now),
            )  # fmt: skip
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return 0
        campaign = session.get_one(Campaign, campaign_id)
        segment = SegmentFilter.model_validate(campaign.filter)
        members = list(
            session.execute(
                members_query(campaign.merchant_id, campaign.program_id, segment, now=now)
            ).scalars()
        )
    changed = 0
    for start in range(0, len(members), _BATCH):
        with Session(engine) as session, session.begin():
            changed += deliver(session, campaign, members[start : start + _BATCH], now)
    with Session(engine) as session, session.begin():
        recipients = session.execute(
            select(func.count())
            .select_from(CampaignRecipient)
            .where(col(CampaignRecipient.campaign_id) == campaign_id)
        ).scalar_one()
        session.execute(
            update(Campaign)
            .where(col(Campaign.id) == campaign_id)
            .values(status=CampaignStatus.sent, recipients=recipients, finished_at=now)
        )
    logger.info("campaign sent", extra={"campaign_id": str(campaign_id), "cards": changed})
    return changed


def deliver(session: Session, campaign: Campaign, member_ids: list[UUID], now: datetime) -> int:
    """Put the message on these members' cards, except those it already reached (a resumed
    send). Returns the cards changed."""
    alerts_today = dict(
        session.execute(
            select(col(CampaignRecipient.member_id), func.count())
            .where(
                col(CampaignRecipient.member_id).in_(member_ids),
                col(CampaignRecipient.created_at) > now - timedelta(hours=24),
                col(CampaignRecipient.quiet_on_apple).is_(False),
            )
            .group_by(col(CampaignRecipient.member_id))
        ).all()
    )
    quiet = {m for m in member_ids if alerts_today.get(m, 0) >= APPLE_ALERTS_PER_DAY}
    table = CampaignRecipient.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    reached = set(
        session.execute(
            dialect.insert(table)
            .values(
                [
                    {
                        "campaign_id": campaign.id,
                        "member_id": m,
                        "quiet_on_apple": m in quiet,
                        "created_at": now,
                    }
                    for m in member_ids
                ]
            )  # fmt: skip
            .on_conflict_do_nothing()
            .returning(table.c.member_id)
        ).scalars()
    )  # the rows written now: members reached before a crash are not reached twice
    for is_quiet in (False, True):
        group = [m for m in reached if (m in quiet) == is_quiet]
        if group:
            session.execute(
                update(Card)
                .where(col(Card.member_id).in_(group))
                .values(message=campaign.message, message_at=now, message_quiet=is_quiet)
                .execution_options(synchronize_session=False)
            )
    return outbox_service.mark_cards_changed(
        session, sorted(reached), kind="campaign", now=now, message=campaign.message,
        campaign_id=campaign.id,
    )  # fmt: skip


def stats(session: Session, campaign: Campaign) -> CampaignStats:
    def count(*conditions: object) -> int:
        query = (
            select(func.count())
            .select_from(OutboxEvent)
            .join(Card, col(Card.id) == col(OutboxEvent.card_id))
        )
        query = query.where(col(OutboxEvent.campaign_id) == campaign.id, *conditions)  # type: ignore[arg-type]
        return int(session.execute(query).scalar_one())

    recipients = session.execute(
        select(
            func.count(), func.sum(func.cast(col(CampaignRecipient.quiet_on_apple), Integer))
        ).where(col(CampaignRecipient.campaign_id) == campaign.id)
    ).one()
    total, quiet = int(recipients[0]), int(recipients[1] or 0)
    google_synced = int(
        session.execute(
            select(func.count())
            .select_from(OutboxEvent)
            .join(GoogleObject, col(GoogleObject.card_id) == col(OutboxEvent.card_id))
            .where(
                col(OutboxEvent.campaign_id) == campaign.id,
                col(OutboxEvent.google_done_at).is_not(None),
            )
        ).scalar_one()
    )
    google_notified = int(
        session.execute(
            select(func.count())
            .select_from(GoogleNotification)
            .join(OutboxEvent, col(OutboxEvent.id) == col(GoogleNotification.event_id))
            .where(col(OutboxEvent.campaign_id) == campaign.id)
        ).scalar_one()
    )
    return CampaignStats(
        recipients=total,
        apple_alerts=total - quiet,
        apple_silent=quiet,
        apple_pushes_delivered=count(
            col(Card.last_push_status) == "delivered",
            col(Card.last_push_at) >= col(OutboxEvent.created_at),
        ),
        apple_devices_fetched=count(
            col(Card.last_fetched_version) >= col(OutboxEvent.card_version)
        ),
        google_synced=google_synced,
        google_notified=google_notified,
        google_held_back=max(0, google_synced - google_notified),
    )
