"""Scheduled work of the privacy domain: the retention pass (one short transaction)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.privacy.retention import Retention, RetentionReport, apply


def apply_retention(engine: Engine, retention: Retention, *, now: datetime) -> RetentionReport:
    with Session(engine) as session, session.begin():
        return apply(session, retention, now=now)
