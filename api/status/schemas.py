"""What ``GET /api/v1/operator/status`` answers (and the console's status page shows)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class CertificatePublic(BaseModel):
    which: str  # pass (also the APNs TLS client certificate), wwdr, apns_ca
    subject: str
    expires: datetime | None
    days_left: int | None
    is_expiring: bool  # within 30 days, expired, or unreadable
    error: str | None = None


class ChannelPublic(BaseModel):
    """One outbound channel (apns, google, an Android wallet app): ``ok``, ``stale`` (changes
    undelivered past the retry budget) or ``blocked`` (our credential was refused)."""

    name: str
    state: str
    stale: int
    reason: str | None = None  # the last failure, or the refusal
    blocked_since: datetime | None = None
    last_ok_at: datetime | None = None
    last_failure_at: datetime | None = None


class PushesPublic(BaseModel):
    channel: str  # apple, walletpasses, pass2u, passworks, google, webpush
    pending: int
    failed: int  # stale (still retried hourly) or given up


class OperatorStatus(BaseModel):
    status: str  # ok, or degraded when a channel is stale or blocked
    warnings: list[str]
    apns_enabled: bool
    google_configured: bool
    google_token: str  # valid (Google answered), refused, unknown (no call yet), off
    certificates: list[CertificatePublic]
    deliveries: dict[str, ChannelPublic]
    outbox_lag_seconds: dict[str, float]  # apple, google, webpush: the oldest change waiting
    pushes: list[PushesPublic]
    google_notifications_24h: int
    google_cards_at_budget: int  # cards that used Google's 3 notifications in 24 h
