"""Errors of push and geo campaigns."""

from __future__ import annotations

from api.errors import Conflict, NotFound


class CampaignNotFound(NotFound):
    code, title = "campaign_not_found", "Campaign not found"


class CampaignNotCancellable(Conflict):
    code, title = "campaign_not_cancellable", "The campaign has already been sent"


class GeoCampaignNotFound(NotFound):
    code, title = "geo_campaign_not_found", "Geo campaign not found"
