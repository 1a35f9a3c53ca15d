"""The daily RFM recomputation as a task: one transaction per program."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from api.segments import rfm

logger = logging.getLogger(__name__)


def run_daily(engine: Engine, *, now: datetime) -> int:
    """Recompute the programs whose scores are older than 20 hours. Returns members scored."""
    with Session(engine, expire_on_commit=False) as session:
        programs = rfm.programs_due(session, now=now)
    total = 0
    for program in programs:
        with Session(engine) as session, session.begin():
            total += rfm.recompute_program(session, program, now)
    if total:
        logger.info("rfm scores recomputed", extra={"members": total})
    return total
