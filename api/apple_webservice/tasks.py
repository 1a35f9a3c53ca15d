"""Scheduled work of the Apple web service: deleting old device log lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from api.apple_webservice import device_logs


def prune_device_logs(engine: Engine, *, now: datetime) -> int:
    """Delete the ``/log`` lines past their retention; returns how many."""
    with Session(engine) as session, session.begin():
        return device_logs.prune(session, now=now)
