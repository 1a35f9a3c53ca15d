"""What an operator sees of a card's way to the phones (Apple and Google) and of a
campaign's: plain models, filled by ``delivery.service``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel


class GoogleDeliveryPublic(BaseModel):
    """A card's Google Wallet object: how far it is synced, whether it is saved."""

    object_id: str
    synced_version: int
    is_current: bool
    synced_at: datetime | None
    in_wallet: bool
    saved_at: datetime | None
    removed_at: datetime | None
    notifications_left_today: int
    failures: int
    retry_at: datetime | None
    last_error: str | None


class DeliveryPublic(BaseModel):
    """What the operator needs to see whether a card reached the phones."""

    version: int
    update_tag: str
    updated_at: datetime
    registered_devices: int
    # Devices by wallet app: "apple", "walletpasses", "pass2u", "passworks".
    devices_by_client: dict[str, int] = {}
    last_push_at: datetime | None
    last_push_status: str | None
    last_fetched_at: datetime | None
    last_fetched_version: int | None
    is_current_on_devices: bool
    google: GoogleDeliveryPublic | None = None  # null: no Google Wallet object (yet)


@dataclass(frozen=True, slots=True)
class CampaignDelivery:
    """How far a campaign's outbox rows got on each wallet, counted in cards."""

    apple_pushes_delivered: int  # cards whose last APNs push (after the campaign) was accepted
    apple_devices_fetched: int  # cards whose new version a device has downloaded
    google_synced: int  # Google objects that have the message
    google_notified: int  # ... and the ones whose message notified
    web_push_delivered: int = 0  # cards a push service accepted a notification for, after it
