"""The automations' daily sweep as a task: it opens the transactions, the service decides."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from api.automations import purchase as purchase_messages
from api.automations import service as automation_service

logger = logging.getLogger(__name__)
_BATCH = 500


def run_all(engine: Engine, *, now: datetime) -> int:
    """Fire every enabled date-based automation that is due, a batch of members per
    transaction. Returns how many fired."""
    with Session(engine) as session:  # reads only: no write lock held while finding members
        automations = automation_service.sweeping_automations(session)
    fired = 0
    for automation in automations:
        with Session(engine) as session:
            found = automation_service.due_occasions(session, automation, now=now)
        for start in range(0, len(found), _BATCH):
            with Session(engine) as session, session.begin():
                batch = found[start : start + _BATCH]
                fired += automation_service.fire_occasions(session, automation, batch, now=now)
    fired += send_purchase_messages(engine, now=now)
    if fired:
        logger.info("automations fired", extra={"count": fired})
    return fired


def send_purchase_messages(engine: Engine, *, now: datetime) -> int:
    """Send the due after-purchase messages, one short transaction each. Returns how many
    reached a member."""
    with Session(engine) as session:
        due = purchase_messages.due(session, now=now)
    sent = 0
    for member_id in due:
        with Session(engine) as session, session.begin():
            route = purchase_messages.send(session, member_id, now=now)
        sent += route is not None and route != "none"
    return sent
