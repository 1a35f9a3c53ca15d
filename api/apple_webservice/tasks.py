"""Scheduled work of the Apple push queue: each task opens its own short transaction and
calls a session-first step of ``pushes``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.apple_webservice import pushes


def release_stale(engine: Engine, *, now: datetime) -> int:
    """Once APNs answers again, make every stale push due now; returns how many."""
    with Session(engine) as session, session.begin():
        return pushes.release_stale(session, now=now)


def retry_refused(engine: Engine, *, now: datetime) -> bool:
    """An operator retries after APNs refused the certificate; True when it was blocked."""
    with Session(engine) as session, session.begin():
        return pushes.retry_refused(session, now=now)
