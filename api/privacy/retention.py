"""Retention: what the service keeps about people only as long as it needs it.

- Wallet's device log lines (``apple_device_log``): deleted after
  ``LOYALPASS_DEVICE_LOG_RETENTION_DAYS`` (14).
- Email and SMS deliveries (``message``): a finished one keeps its status, template and times
  (campaign statistics) but loses the address and the message's values after
  ``LOYALPASS_DELIVERY_LOG_RETENTION_DAYS`` (90); the row itself stays, because its
  idempotency key is what stops the same message being sent twice.
- Registrations of a voided card (an erased member's): deleted once the device fetched the
  void pass, or a week after the erasure; a device left with no registration goes with its
  push token.

Access logs are never stored by the service: they go to standard output, redacted
(``api/logs.py``), and their retention is the log collector's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select, update
from sqlmodel import Session, col

from api.apple_webservice.models import AppleDevice, AppleDeviceLog, AppleRegistration
from api.members.models import Card
from api.messaging.models import Message, Status

VOID_PASS_GRACE = timedelta(days=7)
FINISHED = (Status.sent, Status.delivered, Status.failed, Status.bounced)
EXPIRED = "[expired]"


@dataclass(frozen=True, slots=True)
class Retention:
    device_log_days: int = 14
    delivery_log_days: int = 90


@dataclass
class RetentionReport:
    device_logs: int = 0
    deliveries: int = 0
    registrations: int = 0
    devices: int = 0


def apply(session: Session, retention: Retention, *, now: datetime) -> RetentionReport:
    """Delete or redact what is past its retention; returns how many rows each step touched."""
    report = RetentionReport()
    logs_before = now - timedelta(days=retention.device_log_days)
    deleted = session.execute(
        delete(AppleDeviceLog).where(col(AppleDeviceLog.created_at) < logs_before)
    )
    report.device_logs = int(deleted.rowcount)  # type: ignore[attr-defined]

    deliveries_before = now - timedelta(days=retention.delivery_log_days)
    redacted = session.execute(
        update(Message)
        .where(
            col(Message.status).in_(FINISHED),
            col(Message.updated_at) < deliveries_before,
            col(Message.recipient) != EXPIRED,
        )
        .values(recipient=EXPIRED, context={}, error=None)
    )
    report.deliveries = int(redacted.rowcount)  # type: ignore[attr-defined]

    fetched_or_old = or_(
        col(Card.last_fetched_version) >= col(Card.version),
        col(Card.voided_at) < now - VOID_PASS_GRACE,
    )
    void_cards = select(col(Card.id)).where(col(Card.voided_at).is_not(None), fetched_or_old)
    removed = session.execute(
        delete(AppleRegistration).where(col(AppleRegistration.card_id).in_(void_cards))
    )
    report.registrations = int(removed.rowcount)  # type: ignore[attr-defined]
    if report.registrations:
        orphan = ~exists().where(col(AppleRegistration.device_id) == col(AppleDevice.id))
        gone = session.execute(delete(AppleDevice).where(orphan))
        report.devices = int(gone.rowcount)  # type: ignore[attr-defined]
    return report
