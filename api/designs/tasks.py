"""Designs work as tasks: marking the cards of a publish the request left unmarked, a batch
per transaction (``progress``)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from api.designs import progress

logger = logging.getLogger(__name__)


def mark_published(engine: Engine, *, now: datetime) -> int:
    """Mark the remaining cards of every publish still marking, a batch per transaction.
    Returns the batches run."""
    with Session(engine) as session:  # reads only
        open_ones = progress.open_markings(session)
    batches = 0
    for version_id in open_ones:
        with Session(engine) as session:  # reads only
            members = progress.unmarked_members(session, version_id)
        chunks = [members[i : i + progress.MARK_BATCH]
                  for i in range(0, len(members), progress.MARK_BATCH)]  # fmt: skip
        for chunk in [*chunks, []]:  # the empty one ends the marking
            with Session(engine) as session, session.begin():
                more = progress.mark_batch(session, version_id, chunk, now=now)
            batches += 1
            if not more:
                break
        logger.info("design publish marked", extra={"version_id": str(version_id)})
    return batches
