"""Campaign, segment and geo campaign bodies."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from api.automations.channels import DEFAULT_CHANNELS, ChannelList, ChannelName
from api.campaigns.models import Campaign, CampaignStatus, GeoCampaign
from api.clock import utcnow
from api.messaging.models import Message as MessageRow
from api.segments.filters import SegmentFilter
from api.segments.models import Segment
from api.validation import RequestModel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
# A BCP 47 language tag, as a design's translations take it ("ru", "en-US").
Language = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")]
LockScreenText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
# A campaign is scheduled at most a year ahead (366 days: the same date next year always
# fits); a send_at up to a day ago is a clock or time-zone slip and sends now, older is a
# mistake (a year typed wrong) and is refused rather than sent at once.
SEND_AT_AHEAD = timedelta(days=366)
SEND_AT_BEHIND = timedelta(days=1)


class SegmentCreate(RequestModel):
    name: Name
    filter: SegmentFilter = Field(default_factory=SegmentFilter)


class SegmentPublic(BaseModel):
    id: UUID
    program_id: UUID
    name: str
    filter: dict[str, object]
    members: int
    created_at: datetime

    @classmethod
    def of(cls, segment: Segment, members: int) -> SegmentPublic:
        return cls(
            id=segment.id,
            program_id=segment.program_id,
            name=segment.name,
            filter=segment.filter,
            members=members,
            created_at=segment.created_at,
        )


class AudienceCount(BaseModel):
    members: int


class CampaignCreate(RequestModel):
    """A message to a saved segment (``segment_id``) or to an inline ``filter`` (all members
    when neither is given), sent now or at ``send_at``."""

    name: Name
    message: Message
    message_translations: dict[Language, Message] | None = Field(
        default=None,
        max_length=10,
        description="The message in other languages (language -> text): a phone set to one "
        "of them shows it, on Apple (pass.strings) and Google (translatedValues)",
    )
    segment_id: UUID | None = None
    filter: SegmentFilter | None = None
    send_at: datetime | None = Field(
        default=None, description="When to send (at most a year ahead); omitted, now"
    )
    channels: ChannelList | None = Field(
        default=None,
        description="In order of preference (each member gets the message once, on the first "
        "one that reaches them); omitted: wallet, email, sms",
    )

    @field_validator("send_at")
    @classmethod
    def _send_at_within_a_year(cls, value: datetime | None) -> datetime | None:
        if value is None or value.tzinfo is None:  # no offset: _one_audience says so
            return value
        now = utcnow()
        if value > now + SEND_AT_AHEAD:
            raise ValueError("send_at must be at most a year ahead")
        if value < now - SEND_AT_BEHIND:
            raise ValueError("send_at is in the past; leave it out to send now")
        return value

    @model_validator(mode="after")
    def _one_audience(self) -> Self:
        if self.segment_id is not None and self.filter is not None:
            raise ValueError("give a segment_id or a filter, not both")
        if self.send_at is not None and self.send_at.tzinfo is None:
            raise ValueError("send_at needs a time zone offset")
        return self


class CampaignPreviewRequest(RequestModel):
    """The audience (a saved segment, an inline filter, or everyone), the message and the
    channels of a campaign not yet created."""

    message: Message
    segment_id: UUID | None = None
    filter: SegmentFilter | None = None
    channels: ChannelList | None = None

    @model_validator(mode="after")
    def _one_audience(self) -> Self:
        if self.segment_id is not None and self.filter is not None:
            raise ValueError("give a segment_id or a filter, not both")
        return self


class ChannelCounts(BaseModel):
    """Members per route: ``wallet`` (the card is installed), ``email``, ``sms``, ``card``
    (none of the channels reaches them: the text only lands on the card) and ``none`` (not
    reached: the wallet is not among the channels)."""

    wallet: int = 0
    web_push: int = 0  # the card page subscribed to push
    email: int = 0
    sms: int = 0
    card: int = 0
    none: int = 0


class SmsCost(BaseModel):
    """What the SMS part of a campaign takes before it is sent (``LOYALPASS_SMS_SEGMENT_PRICE``
    per part)."""

    encoding: str  # GSM-7 or UCS-2 (any Cyrillic letter makes the whole text UCS-2)
    characters: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts_per_message: int
    recipients: int
    parts: int
    cost: Decimal


class CampaignPreview(BaseModel):
    members: int
    channels: list[ChannelName]
    by_channel: ChannelCounts
    sms: SmsCost


class MessageCounts(BaseModel):
    """Email or SMS messages of a campaign by delivery status."""

    queued: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    bounced: int = 0


class CampaignStats(BaseModel):
    """How far a campaign got."""

    recipients: int
    by_channel: ChannelCounts = Field(default_factory=ChannelCounts)
    email: MessageCounts = Field(default_factory=MessageCounts)
    sms: MessageCounts = Field(default_factory=MessageCounts)
    apple_alerts: int  # cards whose change carries a lock-screen alert
    apple_silent: int  # cards past the Apple alert budget: the message landed silently
    apple_pushes_delivered: int  # cards whose last APNs push (after the campaign) was accepted
    apple_devices_fetched: int  # cards whose new version a device has downloaded
    google_synced: int  # Google objects that have the message
    google_notified: int  # ... and the ones whose message notified
    google_held_back: int  # synced without a notification: the card's daily cap was spent
    web_push_delivered: int = 0  # cards whose browser's push service took a notification since


class CampaignPublic(BaseModel):
    id: UUID
    program_id: UUID
    name: str
    message: str
    message_translations: dict[str, str] | None = None
    filter: dict[str, object]
    segment_id: UUID | None
    status: CampaignStatus
    send_at: datetime
    channels: list[ChannelName]
    audience_preview: int
    recipients: int
    started_at: datetime | None
    finished_at: datetime | None
    stats: CampaignStats | None = None

    @classmethod
    def of(cls, campaign: Campaign, stats: CampaignStats | None = None) -> CampaignPublic:
        fields = set(cls.model_fields) - {"stats", "channels"}
        body = {name: getattr(campaign, name) for name in fields}
        channels = [ChannelName(c) for c in campaign.channels or DEFAULT_CHANNELS]
        return cls(**body, channels=channels, stats=stats)


class GeoCampaignCreate(RequestModel):
    name: Name
    relevant_text: LockScreenText
    store_ids: list[UUID] = Field(min_length=1, max_length=1000)
    starts_at: datetime
    ends_at: datetime
    priority: int = Field(default=0, ge=-1000, le=1000)

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a time zone offset")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class GeoCampaignPublic(BaseModel):
    id: UUID
    name: str
    relevant_text: str
    store_ids: list[str]
    priority: int
    starts_at: datetime
    ends_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, campaign: GeoCampaign) -> GeoCampaignPublic:
        return cls.model_validate(campaign, from_attributes=True)


class MessagePublic(BaseModel):
    """One email or SMS to a member, and how far it got: queued (``sending`` shows as
    queued), sent (the provider or mail server took it), delivered (the provider reported it),
    failed (refused, or given up after every retry: ``error`` says why), bounced."""

    id: UUID
    channel: str
    kind: str
    template: str
    recipient: str
    campaign_id: UUID | None
    status: str
    attempts: int
    segments: int | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, message: MessageRow) -> MessagePublic:
        body = cls.model_validate(message, from_attributes=True)
        if body.status == "sending":
            body.status = "queued"
        return body
