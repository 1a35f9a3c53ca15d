"""Push campaigns: a message to a segment's cards.

The audience is frozen as a filter when the campaign is created and counted for the preview;
at ``send_at`` the worker finds the members again and changes each card (its "latest news"
field, and an outbox row that carries the message to Google's ``addMessage``). Each recipient
is recorded in the same transaction as its card's change, so a send that crashes resumes
where it stopped and no card gets the message twice. The sending is session-first here; its
task, which opens one transaction per batch, is ``campaigns.tasks.send``.

Budgets: Google allows 3 notifications per card per day (shared with balance updates, kept by
the Google sync). Apple has no documented cap, but a lock-screen alert per campaign is spam:
a card gets at most ``APPLE_ALERTS_PER_DAY`` campaign alerts a day, and past that the message
still lands on the card, silently (its field carries no ``changeMessage``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel import Session

from api.campaigns import repository as campaign_repository
from api.campaigns.errors import CampaignNotCancellable, CampaignNotFound
from api.campaigns.models import Campaign, CampaignStatus
from api.campaigns.schemas import CampaignStats
from api.delivery import service as delivery_service
from api.outbox import service as outbox_service
from api.paging import PageRequest
from api.programs import service as program_service
from api.segments import service as segment_service
from api.segments.errors import SegmentNotFound
from api.segments.filters import SegmentFilter

logger = logging.getLogger(__name__)
APPLE_ALERTS_PER_DAY = 3


def audience_count(
    session: Session, merchant_id: UUID, program_id: UUID, segment: SegmentFilter, now: datetime
) -> int:
    """How many members of the program ``segment`` selects now."""
    return segment_service.audience_count(session, merchant_id, program_id, segment, now)


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
            raise SegmentNotFound("the segment belongs to another program")
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
    campaign = campaign_repository.get(session, campaign_id)
    if campaign is None or campaign.merchant_id != merchant_id:
        raise CampaignNotFound()
    return campaign


def list_for_program(session: Session, merchant_id: UUID, program_id: UUID) -> list[Campaign]:
    program = program_service.get_program(session, merchant_id, program_id)
    return campaign_repository.list_for_program(session, program.id, limit=200)


def page_for_program(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Sequence[Campaign], int]:
    """A page of the program's campaigns, newest first. Raises: ProgramNotFound."""
    program = program_service.get_program(session, merchant_id, program_id)
    return campaign_repository.page_for_program(session, program.id, page)


def cancel(session: Session, merchant_id: UUID, campaign_id: UUID) -> Campaign:
    campaign = get(session, merchant_id, campaign_id)
    if campaign.status != CampaignStatus.scheduled:
        raise CampaignNotCancellable(f"status is {campaign.status}")
    campaign.status = CampaignStatus.cancelled
    return campaign


# --- sending (run by campaigns.tasks) ----------------------------------------------------------


def due(session: Session, *, now: datetime) -> list[UUID]:
    """The campaigns to send now: due ones, and any a crash interrupted."""
    return campaign_repository.due_ids(session, now)


def start_sending(
    session: Session, campaign_id: UUID, *, now: datetime
) -> tuple[Campaign, list[UUID]] | None:
    """Claim the campaign for sending and find its members now; None when it is not due
    (sent, cancelled, or claimed by another worker that finished it)."""
    if not campaign_repository.claim(session, campaign_id, now):
        return None
    campaign = campaign_repository.get(session, campaign_id)
    assert campaign is not None
    segment = SegmentFilter.model_validate(campaign.filter)
    members = segment_service.audience(session, campaign.merchant_id, campaign.program_id,
                                       segment, now)  # fmt: skip
    return campaign, members


def deliver(session: Session, campaign: Campaign, member_ids: list[UUID], now: datetime) -> int:
    """Put the message on these members' cards, except those it already reached (a resumed
    send). Returns the cards changed."""
    alerts_today = campaign_repository.alerts_since(session, member_ids, now - timedelta(hours=24))
    quiet = {m for m in member_ids if alerts_today.get(m, 0) >= APPLE_ALERTS_PER_DAY}
    reached = campaign_repository.add_recipients(session, campaign.id, member_ids, quiet=quiet,
                                                 now=now)  # fmt: skip
    return outbox_service.post_message(
        session, sorted(reached), campaign.message, kind="campaign", now=now,
        quiet_on_apple=sorted(reached & quiet), campaign_id=campaign.id,
    )  # fmt: skip


def finish_sending(session: Session, campaign_id: UUID, *, now: datetime) -> None:
    """The campaign reached every member: it is sent, with its number of recipients."""
    recipients, _ = campaign_repository.count_recipients(session, campaign_id)
    campaign_repository.mark_sent(session, campaign_id, recipients=recipients, now=now)


def stats(session: Session, campaign: Campaign) -> CampaignStats:
    """How far the campaign got, from the delivery read model."""
    total, quiet = campaign_repository.count_recipients(session, campaign.id)
    delivery = delivery_service.campaign_delivery(session, campaign.id)
    return CampaignStats(
        recipients=total,
        apple_alerts=total - quiet,
        apple_silent=quiet,
        apple_pushes_delivered=delivery.apple_pushes_delivered,
        apple_devices_fetched=delivery.apple_devices_fetched,
        google_synced=delivery.google_synced,
        google_notified=delivery.google_notified,
        google_held_back=max(0, delivery.google_synced - delivery.google_notified),
    )
