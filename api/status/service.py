"""The operator's status of the installation, session-first: read by ``/metrics``, the
status API and the console page alike."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from api.delivery.budgets import NOTIFICATION_LIMIT, NOTIFICATION_WINDOW
from api.outbound import service as outbound_service
from api.settings import Settings
from api.status import repository
from api.status.certificates import WARNINGS, CertificateExpiry, expiries
from api.status.schemas import CertificatePublic, ChannelPublic, OperatorStatus, PushesPublic

APPLE_CLIENTS = ("apple", *outbound_service.ANDROID_APPS)


def operator_status(session: Session, settings: Settings, *, now: datetime) -> OperatorStatus:
    """Everything the operator watches; an expiring certificate is also logged (once a day)."""
    certificates = expiries(settings)
    WARNINGS.check(certificates, now=now)
    channels = {c.name: _channel(c) for c in outbound_service.status(session)}
    google = channels.get(outbound_service.GOOGLE)
    if not settings.google_enabled:
        google_token = "off"
    elif google is not None and google.state == "blocked":
        google_token = "refused"
    else:
        google_token = "valid" if google is not None and google.last_ok_at else "unknown"
    sent, at_budget = repository.google_notifications_since(
        session, now - NOTIFICATION_WINDOW, limit=NOTIFICATION_LIMIT
    )
    warnings = [_warning(c, now) for c in certificates if c.is_expiring(now)]
    warnings += [f"{name}: {c.state}" for name, c in channels.items() if c.state != "ok"]
    return OperatorStatus(
        status="ok" if all(c.state == "ok" for c in channels.values()) else "degraded",
        warnings=warnings,
        apns_enabled=settings.pushes_enabled,
        google_configured=settings.google_enabled,
        google_token=google_token,
        certificates=[_certificate(c, now) for c in certificates],
        deliveries=channels,
        outbox_lag_seconds=outbox_lag(session, settings, now=now),
        pushes=pushes(session, settings),
        google_notifications_24h=sent,
        google_cards_at_budget=at_budget,
    )


def outbox_lag(session: Session, settings: Settings, *, now: datetime) -> dict[str, float]:
    """Seconds since the oldest change each sender has not taken up (0: none waiting). Google
    is left out when it is not configured: nothing takes its changes up then."""
    channels = ["apple", "webpush"] + (["google"] if settings.google_enabled else [])
    lag = {}
    for channel in channels:
        oldest = repository.oldest_pending_change(session, channel)
        lag[channel] = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    return lag


def pushes(session: Session, settings: Settings) -> list[PushesPublic]:
    """Pending and failed pushes per channel."""
    apple = repository.apple_pushes(session)
    rows = [
        PushesPublic(
            channel=client,
            pending=apple.get((client, False), 0),
            failed=apple.get((client, True), 0),
        )  # fmt: skip
        for client in APPLE_CLIENTS
    ]
    if settings.google_enabled:
        rows.append(PushesPublic(channel="google",
                                 pending=repository.google_pending_cards(session),
                                 failed=repository.google_stale_objects(session)))  # fmt: skip
    waiting, given_up = repository.webpush_subscriptions(session)
    rows.append(PushesPublic(channel="webpush", pending=waiting, failed=given_up))
    return rows


def _certificate(certificate: CertificateExpiry, now: datetime) -> CertificatePublic:
    readable = certificate.error is None
    return CertificatePublic(
        which=certificate.which,
        subject=certificate.subject,
        expires=certificate.not_after if readable else None,
        days_left=certificate.left(now).days if readable else None,
        is_expiring=certificate.is_expiring(now),
        error=certificate.error,
    )


def _warning(certificate: CertificateExpiry, now: datetime) -> str:
    if certificate.error is not None:
        return f"certificate {certificate.which}: unreadable ({certificate.error})"
    days = certificate.left(now).days
    if days < 0:
        return f"certificate {certificate.which}: expired {certificate.not_after:%Y-%m-%d}"
    return (
        f"certificate {certificate.which}: expires {certificate.not_after:%Y-%m-%d} ({days} days)"
    )


def _channel(channel: outbound_service.ChannelStatus) -> ChannelPublic:
    return ChannelPublic(
        name=channel.name, state=channel.state, stale=channel.stale, reason=channel.reason,
        blocked_since=channel.blocked_since, last_ok_at=channel.last_ok_at,
        last_failure_at=channel.last_failure_at,
    )  # fmt: skip
