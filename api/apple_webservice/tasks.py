"""Scheduled work of the Apple web service: each task opens its own short transaction and
calls a session-first step (the push queue's stale re-push and operator retry, the device
log retention)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.apple_webservice import device_logs, pushes


def prune_device_logs(engine: Engine, *, now: datetime) -> int:
    """Delete the ``/log`` lines past their retention; returns how many."""
    with Session(engine) as session, session.begin():
        return device_logs.prune(session, now=now)


def release_stale(engine: Engine, *, now: datetime) -> int:
    """Once APNs answers again, make every stale push due now; returns how many."""
    with Session(engine) as session, session.begin():
        return pushes.release_stale(session, now=now)


def retry_refused(engine: Engine, *, now: datetime) -> bool:
    """An operator retries after APNs refused the certificate; True when it was blocked."""
    with Session(engine) as session, session.begin():
        return pushes.retry_refused(session, now=now)
