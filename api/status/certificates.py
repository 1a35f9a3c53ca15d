"""When the certificates the service depends on expire: the Apple pass certificate (it also
authenticates the service to APNs over TLS), the WWDR intermediate and an extra CA trusted
for APNs. An expired pass certificate makes every card stop updating without a word from
Apple; from :data:`WARN_BEFORE` before, the console, the logs and ``/metrics`` warn."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography import x509

from api.settings import Settings

logger = logging.getLogger(__name__)

WARN_BEFORE = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class CertificateExpiry:
    which: str  # pass, wwdr, apns_ca
    subject: str
    not_after: datetime
    error: str | None = None  # unreadable: the file is missing or not PEM

    def left(self, now: datetime) -> timedelta:
        return self.not_after - now

    def is_expiring(self, now: datetime) -> bool:
        return self.error is not None or self.left(now) < WARN_BEFORE


def certificate_files(settings: Settings) -> dict[str, Path]:
    """Which certificate is in which file (the APNs client certificate is the pass one)."""
    files = {"pass": settings.apple_cert_file, "wwdr": settings.apple_wwdr_file}
    if settings.apns_ca_file is not None:
        files["apns_ca"] = settings.apns_ca_file
    return files


def read_expiry(which: str, path: Path) -> CertificateExpiry:
    """The earliest expiry among the certificates in the PEM file at ``path``."""
    try:
        certificates = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        return CertificateExpiry(which, "", datetime.min.replace(tzinfo=UTC), type(exc).__name__)
    first = min(certificates, key=lambda c: c.not_valid_after_utc)
    return CertificateExpiry(which, first.subject.rfc4514_string(), first.not_valid_after_utc)


def expiries(settings: Settings) -> list[CertificateExpiry]:
    return [read_expiry(which, path) for which, path in certificate_files(settings).items()]


class ExpiryWarnings:
    """Logs one WARNING per expiring certificate per day (per process), however often the
    status is read."""

    def __init__(self) -> None:
        self._warned: dict[str, date] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Warn again today (after a certificate is replaced; tests)."""
        with self._lock:
            self._warned.clear()

    def check(self, certificates: list[CertificateExpiry], *, now: datetime) -> None:
        for certificate in certificates:
            if not certificate.is_expiring(now):
                continue
            with self._lock:
                if self._warned.get(certificate.which) == now.date():
                    continue
                self._warned[certificate.which] = now.date()
            if certificate.error is not None:
                extra = {"which": certificate.which, "error": certificate.error}
                logger.warning("certificate unreadable", extra=extra)
                continue
            days_left = certificate.left(now).days
            logger.log(
                logging.WARNING if days_left >= 0 else logging.ERROR,
                "certificate expires soon: renew it" if days_left >= 0 else "certificate expired",
                extra={"which": certificate.which, "expires": certificate.not_after.isoformat(),
                       "days_left": days_left},
            )  # fmt: skip


WARNINGS = ExpiryWarnings()  # one per process: the once-a-day memory
