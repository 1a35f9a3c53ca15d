"""Campaigns: a message to a segment's cards, and geo campaigns that change the lock-screen
text of chosen stores for a time window."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4

from sqlalchemy import JSON, String
from sqlmodel import Field, SQLModel

from api.columns import UTCDateTime, merchant_fk, optional_timestamp, timestamp


class CampaignStatus(StrEnum):
    scheduled = "scheduled"
    sending = "sending"
    sent = "sent"
    cancelled = "cancelled"


class Campaign(SQLModel, table=True):
    """A push campaign. ``filter`` is the audience, frozen when the campaign is created (from
    a saved segment or given inline), so the preview count and the send agree."""

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    message: str = Field(max_length=300)
    # The message in other languages (language -> text): the card shows the phone's language.
    message_translations: dict[str, str] | None = Field(default=None, sa_type=JSON)
    filter: dict[str, object] = Field(default_factory=dict, sa_type=JSON)
    segment_id: UUID | None = None
    status: CampaignStatus = Field(default=CampaignStatus.scheduled, sa_type=String(20), index=True)
    send_at: datetime = Field(sa_type=UTCDateTime, index=True)
    # The channels in order of preference (automations.channels); None: the default order.
    channels: list[str] | None = Field(default=None, sa_type=JSON)
    audience_preview: int = 0
    recipients: int = 0
    created_at: datetime = timestamp()
    started_at: datetime | None = optional_timestamp()
    finished_at: datetime | None = optional_timestamp()


class CampaignRecipient(SQLModel, table=True):
    """A member a campaign reached, and on which route (``automations.channels.Route``):
    written with the card's change or the queued message, so a resumed send skips it."""

    __tablename__ = "campaign_recipient"

    campaign_id: UUID = Field(foreign_key="campaign.id", primary_key=True, ondelete="CASCADE")
    member_id: UUID = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    quiet_on_apple: bool = False
    channel: str | None = Field(default=None, sa_type=String(10))  # None: before channels
    created_at: datetime = timestamp()


class GeoCampaign(SQLModel, table=True):
    """Lock-screen text for chosen stores between ``starts_at`` and ``ends_at``; where two
    overlap on a store, the higher ``priority`` (then the later start) wins."""

    __tablename__ = "geo_campaign"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    name: str = Field(max_length=100)
    relevant_text: str = Field(max_length=100)
    store_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    priority: int = 0
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime, index=True)
    started_at: datetime | None = optional_timestamp()  # the cards were updated for the start
    ended_at: datetime | None = optional_timestamp()  # ... and for the end
    cancelled_at: datetime | None = optional_timestamp()
    created_at: datetime = timestamp()
