"""Push campaigns: a message to a segment's cards.

The audience is frozen as a filter when the campaign is created and counted for the preview;
at ``send_at`` the worker finds the members again and sends each one the message once, on the
first of the campaign's channels that reaches them (``automations.channels``): an installed
card changes (its "latest news" field, and an outbox row that carries the message to Google's
``addMessage``); otherwise an email or SMS is queued in the messages outbox (marketing, with
the member's consent; its idempotency key names the campaign and the member). Each recipient
is recorded, with its route, in the same transaction as its card's change or its message, so
a send that crashes resumes where it stopped and no member gets the message twice. The
sending is session-first here; its task, which opens one transaction per batch, is
``campaigns.tasks.send``.

Budgets: Google allows 3 notifications per card per day (shared with balance updates, kept by
the Google sync). Apple has no documented cap, but a lock-screen alert per campaign is spam:
a card gets at most ``APPLE_ALERTS_PER_DAY`` campaign alerts a day, and past that the message
still lands on the card, silently (its field carries no ``changeMessage``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from sqlmodel import Session

from api.audit import service as audit
from api.automations.channels import ON_CARD, ChannelName, Route, choose, preference
from api.campaigns import repository as campaign_repository
from api.campaigns.errors import CampaignNotCancellable, CampaignNotFound
from api.campaigns.models import Campaign, CampaignStatus
from api.campaigns.schemas import (
    CampaignPreview,
    CampaignStats,
    ChannelCounts,
    MessageCounts,
    SmsCost,
)
from api.delivery import service as delivery_service
from api.members import service as member_service
from api.messaging import service as messaging_service
from api.messaging.models import Channel, Kind
from api.messaging.models import Message as MessageRow
from api.messaging.sms_encoding import estimate
from api.outbox import service as outbox_service
from api.paging import PageRequest
from api.programs import service as program_service
from api.segments import service as segment_service
from api.segments.errors import SegmentNotFound
from api.segments.filters import SegmentFilter
from api.webhooks import service as webhook_service

logger = logging.getLogger(__name__)
APPLE_ALERTS_PER_DAY = 3
LOCALE = "ru"  # members have no language of their own yet; the text is the merchant's
_PREVIEW_BATCH = 1000


def audience_count(
    session: Session, merchant_id: UUID, program_id: UUID, segment: SegmentFilter, now: datetime
) -> int:
    """How many members of the program ``segment`` selects now."""
    return segment_service.audience_count(session, merchant_id, program_id, segment, now)


def create(
    session: Session,
    caller: audit.Actor,
    program_id: UUID,
    *,
    name: str,
    message: str,
    segment_id: UUID | None,
    segment: SegmentFilter | None,
    send_at: datetime | None,
    now: datetime,
    channels: Sequence[ChannelName] | None = None,
    message_translations: Mapping[str, str] | None = None,
) -> Campaign:
    """Schedule a campaign (in the audit log with ``caller``: a key, an account).

    Raises:
        ProgramNotFound, SegmentNotFound."""
    merchant_id = caller.merchant_id
    program = program_service.get_program(session, merchant_id, program_id)
    audience = _audience(session, merchant_id, program.id, segment_id, segment)
    campaign = Campaign(
        merchant_id=merchant_id,
        program_id=program.id,
        name=name,
        message=message,
        message_translations=dict(message_translations) if message_translations else None,
        filter=audience.model_dump(mode="json", exclude_none=True),
        segment_id=segment_id,
        send_at=send_at or now,
        channels=[str(c) for c in channels] if channels is not None else None,
        audience_preview=audience_count(session, merchant_id, program.id, audience, now),
        created_at=now,
    )
    session.add(campaign)
    session.flush()
    audit.record(session, caller, "campaign.created", "campaign", campaign.id, None, campaign)
    return campaign


def _audience(
    session: Session, merchant_id: UUID, program_id: UUID, segment_id: UUID | None,
    segment: SegmentFilter | None,
) -> SegmentFilter:  # fmt: skip
    """The filter of a saved segment, or the inline one (everyone when neither is given).

    Raises:
        SegmentNotFound: not the merchant's segment, or another program's.
    """
    if segment_id is not None:
        saved = segment_service.get(session, merchant_id, segment_id)
        if saved.program_id != program_id:
            raise SegmentNotFound("the segment belongs to another program")
        return SegmentFilter.model_validate(saved.filter)
    return segment or SegmentFilter()


def preview(
    session: Session,
    merchant_id: UUID,
    program_id: UUID,
    *,
    message: str,
    segment_id: UUID | None,
    segment: SegmentFilter | None,
    channels: Sequence[ChannelName] | None,
    sms_price: Decimal,
    now: datetime,
) -> CampaignPreview:
    """Who a campaign would reach now, on which channel, and what its SMS would cost.

    Raises:
        ProgramNotFound, SegmentNotFound.
    """
    program = program_service.get_program(session, merchant_id, program_id)
    audience = _audience(session, merchant_id, program.id, segment_id, segment)
    order = preference([str(c) for c in channels] if channels else None)
    member_ids = segment_service.audience(session, merchant_id, program.id, audience, now)
    counts: Counter[Route] = Counter()
    for start in range(0, len(member_ids), _PREVIEW_BATCH):
        members = campaign_repository.members(session, member_ids[start : start + _PREVIEW_BATCH])
        counts.update(choose(session, members, order).values())
    sms = estimate(message, counts[Route.sms], sms_price)
    return CampaignPreview(
        members=len(member_ids),
        channels=order,
        by_channel=ChannelCounts(**{str(route): n for route, n in counts.items()}),
        sms=SmsCost(
            encoding=sms.length.encoding,
            characters=sms.length.units,
            parts_per_message=sms.length.segments,
            recipients=sms.recipients,
            parts=sms.segments,
            cost=sms.cost,
        ),
    )


def member_messages(
    session: Session, merchant_id: UUID, member_id: UUID, page: PageRequest
) -> tuple[Sequence[MessageRow], int]:
    """A page of a member's email and SMS messages with their delivery status, newest first.

    Raises:
        MemberNotFound: not the merchant's member.
    """
    member, _ = member_service.get_member(session, merchant_id, member_id)
    return campaign_repository.page_member_messages(session, member.id, page)


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


def cancel(session: Session, caller: audit.Actor, campaign_id: UUID) -> Campaign:
    """Cancel a scheduled campaign (in the audit log with ``caller``).

    Raises:
        CampaignNotFound, CampaignNotCancellable."""
    campaign = get(session, caller.merchant_id, campaign_id)
    if campaign.status != CampaignStatus.scheduled:
        raise CampaignNotCancellable(f"status is {campaign.status}")
    before = audit.snapshot(campaign)
    campaign.status = CampaignStatus.cancelled
    audit.record(session, caller, "campaign.cancelled", "campaign", campaign_id, before, campaign)
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
    """Send the message to these members, each on its route, except those it already reached
    (a resumed send). Returns the members reached now."""
    members = campaign_repository.members(session, member_ids)
    routes = choose(session, members, preference(campaign.channels))
    routed = {m: r for m, r in routes.items() if r != Route.none}
    alerts_today = campaign_repository.alerts_since(session, list(routed),
                                                    now - timedelta(hours=24))  # fmt: skip
    quiet = {m for m in routed if alerts_today.get(m, 0) >= APPLE_ALERTS_PER_DAY}
    reached = campaign_repository.add_recipients(session, campaign.id, routed, quiet=quiet,
                                                 now=now)  # fmt: skip
    on_card = sorted(m for m in reached if routed[m] in ON_CARD)
    outbox_service.post_message(
        session, on_card, campaign.message, kind="campaign", now=now,
        quiet_on_apple=sorted(set(on_card) & quiet), campaign_id=campaign.id,
        translations=campaign.message_translations,
    )  # fmt: skip
    for member in members:
        route = routed.get(member.id)
        if member.id in reached and route in (Route.email, Route.sms):
            messaging_service.enqueue(
                session, member=member, channel=Channel(route), kind=Kind.marketing,
                template="campaign", locale=LOCALE, context={"text": campaign.message},
                idempotency_key=f"campaign:{campaign.id}:{member.id}", now=now,
                campaign_id=campaign.id,
            )  # fmt: skip
    return len(reached)


def finish_sending(session: Session, campaign_id: UUID, *, now: datetime) -> None:
    """The campaign reached every member: it is sent, with its number of recipients."""
    recipients, _ = campaign_repository.count_recipients(session, campaign_id)
    campaign_repository.mark_sent(session, campaign_id, recipients=recipients, now=now)
    campaign = session.get(Campaign, campaign_id)
    if campaign is not None:
        webhook_service.enqueue(
            session,
            campaign.merchant_id,
            "campaign.finished",
            {"campaign_id": campaign_id, "recipients": recipients},
        )


def stats(session: Session, campaign: Campaign) -> CampaignStats:
    """How far the campaign got, from the delivery read model."""
    total, quiet = campaign_repository.count_recipients(session, campaign.id)
    delivery = delivery_service.campaign_delivery(session, campaign.id)
    routes = campaign_repository.recipients_by_route(session, campaign.id)
    statuses = campaign_repository.messages_by_status(session, campaign.id)
    on_cards = routes.get(Route.wallet, 0) + routes.get(Route.card, 0)
    return CampaignStats(
        recipients=total,
        by_channel=ChannelCounts(**routes),
        email=_message_counts(statuses.get(Channel.email, {})),
        sms=_message_counts(statuses.get(Channel.sms, {})),
        apple_alerts=on_cards - quiet,
        apple_silent=quiet,
        apple_pushes_delivered=delivery.apple_pushes_delivered,
        apple_devices_fetched=delivery.apple_devices_fetched,
        google_synced=delivery.google_synced,
        google_notified=delivery.google_notified,
        google_held_back=max(0, delivery.google_synced - delivery.google_notified),
        web_push_delivered=delivery.web_push_delivered,
    )


def _message_counts(by_status: dict[str, int]) -> MessageCounts:
    """``claimed`` and ``sending`` (a sender has it right now) show as queued: not out yet."""
    counts = dict(by_status)
    counts["queued"] = counts.get("queued", 0) + counts.pop("claimed", 0) + counts.pop("sending", 0)
    return MessageCounts(**counts)
