"""Queries for the Apple web service and the push queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, literal, text, tuple_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from api.apple_webservice.models import AppleDevice, AppleDeviceLog, ApplePush, AppleRegistration
from api.columns import UTCDateTime
from api.members.models import Card
from api.outbox.models import OutboxEvent
from api.outbox.repository import TAG_LOCK

# Writers of /log lines hold this advisory lock until they commit, so the rate limit's counts
# are exact under concurrency (SQLite serialises writers anyway).
DEVICE_LOG_LOCK = 0x10A1_D10C


def card_by_serial(session: Session, serial: str) -> Card | None:
    return session.exec(select(Card).where(Card.serial_number == serial)).first()


def device(session: Session, library_id: str) -> AppleDevice | None:
    query = select(AppleDevice).where(AppleDevice.device_library_identifier == library_id)
    return session.exec(query).first()


def registration(session: Session, device_id: UUID, card_id: UUID) -> AppleRegistration | None:
    query = select(AppleRegistration).where(
        AppleRegistration.device_id == device_id, AppleRegistration.card_id == card_id
    )
    return session.exec(query).first()


def count_registrations(session: Session, device_id: UUID) -> int:
    query = select(func.count()).select_from(AppleRegistration)
    return int(session.exec(query.where(AppleRegistration.device_id == device_id)).one())


def wait_for_tag_writers(session: Session) -> None:
    """Wait until every transaction that may still commit a smaller update tag has ended."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TAG_LOCK})


def updated_serials(
    session: Session, device_id: UUID, since: int | None
) -> Sequence[tuple[str, int]]:
    """(serial, tag) of the cards this device registered, changed after ``since``."""
    query = (
        select(Card.serial_number, Card.update_tag)
        .join(AppleRegistration, col(AppleRegistration.card_id) == col(Card.id))
        .where(AppleRegistration.device_id == device_id)
    )
    if since is not None:
        query = query.where(col(Card.update_tag) > since)
    return [(serial, int(tag)) for serial, tag in session.exec(query).all()]


def due_outbox(session: Session, *, limit: int) -> Sequence[OutboxEvent]:
    """Outbox events not yet fanned out to Apple devices, oldest first, locked for us."""
    query = (
        select(OutboxEvent)
        .where(col(OutboxEvent.apple_done_at).is_(None))
        .order_by(col(OutboxEvent.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.exec(query).all()


def mark_fanned_out(session: Session, event_ids: list[int], now: datetime) -> None:
    """These outbox rows have become pending pushes."""
    session.execute(
        update(OutboxEvent).where(col(OutboxEvent.id).in_(event_ids)).values(apple_done_at=now)
    )


def enqueue_pushes(session: Session, card_ids: set[UUID], now: datetime) -> None:
    """One pending push per device registered for these cards, made inside the database
    (INSERT ... SELECT). A push already pending for a registration gets its generation bumped
    instead: the change is coalesced into the push already queued."""
    table = ApplePush.__table__  # type: ignore[attr-defined]
    registrations = AppleRegistration.__table__  # type: ignore[attr-defined]
    devices = AppleDevice.__table__  # type: ignore[attr-defined]
    rows = (
        sa_select(
            registrations.c.id,
            registrations.c.card_id,
            devices.c.push_token,
            devices.c.client,
            literal(0),
            literal(0),
            literal(now, UTCDateTime()),
            literal(now, UTCDateTime()),
        )
        .join(devices, devices.c.id == registrations.c.device_id)
        .where(registrations.c.card_id.in_(card_ids))
    )
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    columns = ["registration_id", "card_id", "push_token", "client", "generation", "attempts",
               "due_at", "created_at"]  # fmt: skip
    session.execute(
        insert(table)
        .from_select(columns, rows)
        .on_conflict_do_update(
            index_elements=[table.c.registration_id],
            set_={"generation": table.c.generation + 1},
        )
    )


def retry_push(session: Session, push_id: int, *, attempts: int, due_at: datetime) -> None:
    session.execute(
        update(ApplePush)
        .where(col(ApplePush.id) == push_id)
        .values(attempts=attempts, due_at=due_at)
    )


def record_push_status(session: Session, card_ids: list[UUID], status: str, now: datetime) -> None:
    """The cards' last push was at ``now`` and APNs answered ``status``."""
    session.execute(
        update(Card)
        .where(col(Card.id).in_(card_ids))
        .values(last_push_at=now, last_push_status=status)
        .execution_options(synchronize_session=False)
    )


def lease_pushes(
    session: Session, *, now: datetime, lease_until: datetime, limit: int, client: str = "apple"
) -> Sequence[ApplePush]:
    """Claim up to ``limit`` due pushes to ``client``'s devices by moving their ``due_at``
    past the lease."""
    due = (
        select(ApplePush.id)
        .where(col(ApplePush.due_at) <= now, col(ApplePush.client) == client)
        .order_by(col(ApplePush.due_at), col(ApplePush.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = [row for row in session.exec(due).all()]
    if not ids:
        return []
    session.execute(update(ApplePush).where(col(ApplePush.id).in_(ids)).values(due_at=lease_until))
    return session.exec(select(ApplePush).where(col(ApplePush.id).in_(ids))).all()


def delete_delivered(session: Session, pushes: list[tuple[int, int]]) -> None:
    """Delete pushes by (id, generation): a push re-queued meanwhile survives."""
    for start in range(0, len(pushes), 1000):
        chunk = pushes[start : start + 1000]
        session.execute(
            delete(ApplePush).where(tuple_(col(ApplePush.id), col(ApplePush.generation)).in_(chunk))
        )


def make_due(session: Session, ids: list[int], now: datetime) -> None:
    for start in range(0, len(ids), 1000):
        session.execute(
            update(ApplePush)
            .where(col(ApplePush.id).in_(ids[start : start + 1000]))
            .values(due_at=now)
        )


def mark_stale(session: Session, ids: list[int], now: datetime) -> None:
    """These pushes are stale from ``now`` on (those already stale keep their time)."""
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        session.execute(
            update(ApplePush)
            .where(col(ApplePush.id).in_(chunk), col(ApplePush.stale_at).is_(None))
            .values(stale_at=now)
        )


def release_stale(session: Session, now: datetime) -> int:
    """Make every stale push due now; returns how many were waiting."""
    result = session.execute(
        update(ApplePush)
        .where(col(ApplePush.stale_at).is_not(None), col(ApplePush.due_at) > now)
        .values(due_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_registrations(session: Session, ids: list[UUID]) -> None:
    if ids:
        session.execute(delete(AppleRegistration).where(col(AppleRegistration.id).in_(ids)))


def has_due_work(session: Session, now: datetime, client: str = "apple") -> bool:
    outbox = select(OutboxEvent.id).where(col(OutboxEvent.apple_done_at).is_(None)).limit(1)
    pushes = (
        select(ApplePush.id)
        .where(col(ApplePush.due_at) <= now, col(ApplePush.client) == client)
        .limit(1)
    )
    return session.exec(outbox).first() is not None or session.exec(pushes).first() is not None


def logs_for_merchant(
    session: Session, merchant_id: UUID, *, limit: int
) -> Sequence[AppleDeviceLog]:
    query = (
        select(AppleDeviceLog)
        .where(AppleDeviceLog.merchant_id == merchant_id)
        .order_by(col(AppleDeviceLog.id).desc())
        .limit(limit)
    )
    return session.exec(query).all()


def lock_device_logs(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DEVICE_LOG_LOCK})


def log_usage(
    session: Session, since: datetime, *, client_key: str | None = None
) -> tuple[int, datetime | None]:
    """(lines, the oldest one's time) kept since ``since``: of one sender, or of all."""
    query = select(func.count(), func.min(AppleDeviceLog.created_at)).where(
        col(AppleDeviceLog.created_at) >= since
    )
    if client_key is not None:
        query = query.where(AppleDeviceLog.client_key == client_key)
    count, oldest = session.exec(query).one()
    return int(count), oldest


def merchants_by_serial(session: Session, serials: set[str]) -> dict[str, UUID]:
    if not serials:
        return {}
    query = select(Card.serial_number, Card.merchant_id).where(col(Card.serial_number).in_(serials))
    return {serial: merchant_id for serial, merchant_id in session.exec(query).all()}


def delete_logs_before(session: Session, before: datetime) -> int:
    result = session.execute(delete(AppleDeviceLog).where(col(AppleDeviceLog.created_at) < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
