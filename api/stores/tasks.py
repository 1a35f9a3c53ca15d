"""Re-choosing the stores of a merchant's cards as a task: a batch of members per
transaction, so the tills are never held back for long."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Engine
from sqlmodel import Session

from api.stores import selection


def refresh_merchant(engine: Engine, merchant_id: UUID, *, now: datetime) -> tuple[int, int]:
    """Re-choose the stores of every card of a merchant; a card whose set changed is updated
    and pushed. Returns (members, cards changed)."""
    with Session(engine) as session:  # reads only
        chain = selection.chain_of(session, merchant_id)
    members = changed = 0
    after: UUID | None = None
    while True:
        with Session(engine) as session, session.begin():
            seen, batch_changed = selection.refresh_batch(session, chain, merchant_id,
                                                          after=after, now=now)  # fmt: skip
        if not seen:
            return members, changed
        members += len(seen)
        changed += batch_changed
        after = seen[-1]


def run_refreshes(engine: Engine, *, now: datetime) -> int:
    """Refresh every merchant whose stores changed since its last refresh. Returns the cards
    that changed."""
    with Session(engine) as session:  # reads only
        due = selection.due_refreshes(session)
    total = 0
    for merchant_id, requested_at in due:
        members, changed = refresh_merchant(engine, merchant_id, now=now)
        with Session(engine) as session, session.begin():
            selection.record_refresh(session, merchant_id, requested_at=requested_at,
                                     members=members, changed=changed)  # fmt: skip
        total += changed
    return total
