"""The gauges computed from the database at each scrape (outbox lag, pending and failed
pushes, blocked channels, Google's notification budget) and the certificates' expiry: the
same values whichever process is scraped, so they need no multiprocess bookkeeping."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.clock import utcnow
from api.settings import Settings
from api.status import service as status_service


class StatusCollector(Collector):
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            status = status_service.operator_status(session, self.settings, now=now)
        expiry = GaugeMetricFamily(
            "loyalpass_certificate_expiry_seconds",
            "Seconds until the certificate expires (negative: expired; -1e9: unreadable).",
            labels=["which"],
        )
        for certificate in status.certificates:
            left = (certificate.expires - now).total_seconds() if certificate.expires else -1e9
            expiry.add_metric([certificate.which], left)
        yield expiry
        lag = GaugeMetricFamily(
            "loyalpass_outbox_lag_seconds",
            "Age of the oldest card change a sender has not taken up (0: none waiting).",
            labels=["channel"],
        )
        for channel, seconds in status.outbox_lag_seconds.items():
            lag.add_metric([channel], seconds)
        yield lag
        pending = GaugeMetricFamily(
            "loyalpass_pushes_pending",
            "Pushes waiting to be sent, per channel.",
            labels=["channel"],
        )
        failed = GaugeMetricFamily(
            "loyalpass_pushes_failed",
            "Pushes past their retry budget (stale) or given up, per channel.",
            labels=["channel"],
        )
        for row in status.pushes:
            pending.add_metric([row.channel], row.pending)
            failed.add_metric([row.channel], row.failed)
        yield pending
        yield failed
        blocked = GaugeMetricFamily(
            "loyalpass_channel_blocked",
            "1 while a wallet refuses our credential (APNs 403, Google 401/403).",
            labels=["channel"],
        )
        for name, delivery in status.deliveries.items():
            blocked.add_metric([name], 1.0 if delivery.state == "blocked" else 0.0)
        yield blocked
        yield GaugeMetricFamily(
            "loyalpass_google_notifications_24h",
            "Notifications asked of Google in the last 24 hours.",
            value=status.google_notifications_24h,
        )
        yield GaugeMetricFamily(
            "loyalpass_google_cards_at_budget",
            "Cards that used all of Google's notifications for the last 24 hours.",
            value=status.google_cards_at_budget,
        )
