"""The campaign page's channels: the form's choice of channels, its audience per channel with
the SMS parts and cost (the campaign service's own preview), and how far each sent campaign's
messages got (its stats)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import ValidationError
from sqlmodel import Session

from api.automations.channels import ChannelName
from api.campaigns import service as campaign_service
from api.campaigns.models import Campaign
from api.campaigns.schemas import CampaignPreview, CampaignStats
from api.errors import ApiError
from api.segments.filters import SegmentFilter

# The form's choices, in order of preference each: the best channel each member consented
# to (with or without web push), the cards and their web push, the cards only, or email and
# SMS only.
CHANNEL_CHOICES = ("wallet,web_push,email,sms", "wallet,email,sms", "wallet,web_push", "wallet",
                   "email,sms")  # fmt: skip
STATS_SHOWN = 20  # the newest campaigns get their delivery counted on the page


def channels_of(fields: Mapping[str, str]) -> list[ChannelName] | None:
    """The channels the form chose (None: the default order). Raises ValueError."""
    raw = fields.get("channels", "").strip()
    if not raw:
        return None
    if raw not in CHANNEL_CHOICES:
        raise ValueError("choose the channels from the list")
    return [ChannelName(c) for c in raw.split(",")]


def preview(
    session: Session,
    merchant_id: UUID,
    fields: Mapping[str, str],
    *,
    sms_price: Decimal,
    now: datetime,
) -> CampaignPreview | None:
    """The form's audience per channel and its SMS cost; None when the form is incomplete or
    wrong (the page shows the error the count gives)."""
    try:
        program_id = _uuid(fields.get("program", ""))
        segment_id = _uuid(fields.get("segment", ""))
        if program_id is None:
            return None
        conditions = {
            name: fields[name]
            for name in ("min_balance", "visited_within_days", "not_visited_for_days")
            if fields.get(name, "").strip()
        }
        segment = None if segment_id else SegmentFilter.model_validate(conditions)
        return campaign_service.preview(
            session, merchant_id, program_id, message=fields.get("message", "").strip(),
            segment_id=segment_id, segment=segment, channels=channels_of(fields),
            sms_price=sms_price, now=now,
        )  # fmt: skip
    except (ApiError, ValueError, ValidationError):
        return None


def stats(session: Session, campaigns: Sequence[Campaign]) -> dict[UUID, CampaignStats]:
    """Delivery of the newest campaigns: recipients per channel, messages per status."""
    return {c.id: campaign_service.stats(session, c) for c in campaigns[:STATS_SHOWN]}


def _uuid(raw: str) -> UUID | None:
    try:
        return UUID(raw) if raw else None
    except ValueError:
        return None
