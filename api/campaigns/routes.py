"""HTTP routes for segments, audience counts, push campaigns, geo campaigns, automations and
RFM groups."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from api.audit import service as audit
from api.automations import service as automation_service
from api.automations.models import AutomationKind
from api.automations.schemas import AutomationPublic, AutomationUpdate
from api.campaigns import geo as geo_service
from api.campaigns import service as campaign_service
from api.campaigns.schemas import (
    AudienceCount,
    CampaignCreate,
    CampaignPreview,
    CampaignPreviewRequest,
    CampaignPublic,
    GeoCampaignCreate,
    GeoCampaignPublic,
    MessagePublic,
    SegmentCreate,
    SegmentPublic,
)
from api.clock import utcnow
from api.deps import AdminCaller, ReaderCaller, SessionDep, SettingsDep
from api.paging import Page, Paging
from api.segments import service as segment_service
from api.segments.filters import SegmentFilter

router = APIRouter(prefix="/api/v1", tags=["campaigns"])


@router.post("/programs/{program_id}/audience")
def count_audience(
    program_id: UUID, data: SegmentFilter, session: SessionDep, caller: ReaderCaller
) -> AudienceCount:
    """How many members a filter selects now (the preview before sending)."""
    count = segment_service.count_audience(session, caller.merchant_id, program_id, data,
                                           now=utcnow())  # fmt: skip
    return AudienceCount(members=count)


@router.post("/programs/{program_id}/segments", status_code=status.HTTP_201_CREATED)
def create_segment(
    program_id: UUID, data: SegmentCreate, session: SessionDep, caller: AdminCaller
) -> SegmentPublic:
    saved, count = segment_service.create_counted(session, caller.merchant_id, program_id,
                                                  data.name, data.filter, now=utcnow())  # fmt: skip
    return SegmentPublic.of(saved, count)


@router.get("/programs/{program_id}/segments")
def list_segments(
    program_id: UUID, session: SessionDep, caller: ReaderCaller, page: Paging
) -> Page[SegmentPublic]:
    """Saved segments with their member counts now, oldest first, a page at a time."""
    counted, total = segment_service.list_counted(session, caller.merchant_id, program_id, page,
                                                  now=utcnow())  # fmt: skip
    return Page.of([SegmentPublic.of(saved, count) for saved, count in counted], total, page)


@router.get("/programs/{program_id}/rfm")
def rfm_groups(program_id: UUID, session: SessionDep, caller: ReaderCaller) -> dict[str, int]:
    """Members per RFM group (recomputed daily, and now when a member has no score or bought
    since)."""
    return segment_service.rfm_groups(session, caller.merchant_id, program_id, now=utcnow())


@router.post("/programs/{program_id}/campaigns", status_code=status.HTTP_201_CREATED)
def create_campaign(
    program_id: UUID, data: CampaignCreate, session: SessionDep, caller: AdminCaller
) -> CampaignPublic:
    """Schedule a message to a segment's cards (now, or at ``send_at``). The answer carries
    ``audience_preview``: the members it would reach now."""
    campaign = campaign_service.create(
        session, caller, program_id, name=data.name, message=data.message,
        segment_id=data.segment_id, segment=data.filter, send_at=data.send_at, now=utcnow(),
        channels=data.channels, message_translations=data.message_translations,
    )  # fmt: skip
    return CampaignPublic.of(campaign)


@router.post("/programs/{program_id}/campaigns/preview")
def preview_campaign(
    program_id: UUID,
    data: CampaignPreviewRequest,
    session: SessionDep,
    caller: ReaderCaller,
    settings: SettingsDep,
) -> CampaignPreview:
    """Who a campaign would reach now, per channel (each member counted once, on the first
    channel that reaches them), and the SMS parts and cost (``LOYALPASS_SMS_SEGMENT_PRICE``
    per part)."""
    return campaign_service.preview(
        session, caller.merchant_id, program_id, message=data.message,
        segment_id=data.segment_id, segment=data.filter, channels=data.channels,
        sms_price=settings.sms_segment_price, now=utcnow(),
    )  # fmt: skip


@router.get("/members/{member_id}/messages")
def list_member_messages(
    member_id: UUID, session: SessionDep, caller: ReaderCaller, page: Paging
) -> Page[MessagePublic]:
    """The member's email and SMS messages with their delivery status, newest first."""
    rows, total = campaign_service.member_messages(session, caller.merchant_id, member_id, page)
    return Page.of([MessagePublic.of(m) for m in rows], total, page)


@router.get("/programs/{program_id}/campaigns")
def list_campaigns(
    program_id: UUID, session: SessionDep, caller: ReaderCaller, page: Paging
) -> Page[CampaignPublic]:
    """The program's campaigns, newest first, a page at a time."""
    campaigns, total = campaign_service.page_for_program(session, caller.merchant_id, program_id,
                                                         page)  # fmt: skip
    return Page.of([CampaignPublic.of(c) for c in campaigns], total, page)


@router.get("/campaigns/{campaign_id}")
def get_campaign(campaign_id: UUID, session: SessionDep, caller: ReaderCaller) -> CampaignPublic:
    """The campaign with its delivery stats."""
    campaign = campaign_service.get(session, caller.merchant_id, campaign_id)
    return CampaignPublic.of(campaign, campaign_service.stats(session, campaign))


@router.post("/campaigns/{campaign_id}/cancel")
def cancel_campaign(campaign_id: UUID, session: SessionDep, caller: AdminCaller) -> CampaignPublic:
    return CampaignPublic.of(campaign_service.cancel(session, caller, campaign_id))


@router.post("/geo-campaigns", status_code=status.HTTP_201_CREATED)
def create_geo_campaign(
    data: GeoCampaignCreate, session: SessionDep, caller: AdminCaller
) -> GeoCampaignPublic:
    """Lock-screen text for chosen stores during a window; the cards that carry those stores
    change when it starts and change back when it ends."""
    campaign = geo_service.create(
        session, caller.merchant_id, name=data.name, relevant_text=data.relevant_text,
        store_ids=data.store_ids, starts_at=data.starts_at, ends_at=data.ends_at,
        priority=data.priority,
    )  # fmt: skip
    audit.record(
        session,
        caller,
        "geo_campaign.created",
        "geo_campaign",
        campaign.id,
        None,
        GeoCampaignPublic.of(campaign),
    )
    return GeoCampaignPublic.of(campaign)


@router.get("/geo-campaigns")
def list_geo_campaigns(
    session: SessionDep, caller: ReaderCaller, page: Paging
) -> Page[GeoCampaignPublic]:
    """The merchant's geo campaigns, newest first, a page at a time."""
    campaigns, total = geo_service.list_for_merchant(session, caller.merchant_id, page)
    return Page.of([GeoCampaignPublic.of(c) for c in campaigns], total, page)


@router.post("/geo-campaigns/{geo_campaign_id}/cancel")
def cancel_geo_campaign(
    geo_campaign_id: UUID, session: SessionDep, caller: AdminCaller
) -> GeoCampaignPublic:
    """Stop a geo campaign; if it is running, its cards change back within a minute."""
    campaign = geo_service.cancel(session, caller.merchant_id, geo_campaign_id, now=utcnow())
    return GeoCampaignPublic.of(campaign)


@router.get("/programs/{program_id}/automations")
def list_automations(
    program_id: UUID, session: SessionDep, caller: ReaderCaller, page: Paging
) -> Page[AutomationPublic]:
    """The program's automations by kind, a page at a time."""
    rows, total = automation_service.list_automations(session, caller.merchant_id, program_id,
                                                      page)  # fmt: skip
    items = [AutomationPublic.of(r) for r in rows]
    return Page.of(items, total, page)


@router.put("/programs/{program_id}/automations/{kind}")
def set_automation(
    program_id: UUID,
    kind: AutomationKind,
    data: AutomationUpdate,
    session: SessionDep,
    caller: AdminCaller,
) -> AutomationPublic:
    """Turn an automation on or off and set its text (``{name}``, ``{points}``, ``{tier}``,
    ``{days}``, ``{reward}``, ``{date}`` are filled in; after_purchase: ``{earned}``,
    ``{balance}``, ``{purchases}``), its channels in order of preference and, for
    points_expiring and win_back, its number of days."""
    row = automation_service.set_automation(session, caller.merchant_id, program_id, kind, data)
    return AutomationPublic.of(row)
