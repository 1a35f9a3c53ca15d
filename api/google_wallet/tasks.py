"""Scheduled work of the Google Wallet sync: each task opens its own short transaction and
calls a session-first step of ``service``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.google_wallet import service as google_service


def release_stale(engine: Engine, *, now: datetime) -> int:
    """Once Google answers again, make every stale card due now; returns how many."""
    with Session(engine) as session, session.begin():
        return google_service.release_stale(session, now=now)


def retry_refused(engine: Engine, *, now: datetime) -> bool:
    """An operator retries after Google refused the key; True when it was blocked."""
    with Session(engine) as session, session.begin():
        return google_service.retry_refused(session, now=now)
